import { describe, expect, it } from 'vitest';
import { parseGatewayConfig } from '../src/config.js';

describe('parseGatewayConfig', () => {
  it('defaults', () => {
    expect(parseGatewayConfig({})).toEqual({
      ok: true,
      config: {
        host: '0.0.0.0',
        port: 8081,
        broker: 'tcp://127.0.0.1:5555',
        brokerHttp: 'http://127.0.0.1:8080',
        maxBodyBytes: 33_554_432,
        requestTimeoutMs: 30_000,
        maxInflight: 256,
        statusIntervalMs: 1000,
        logLevel: 'info',
      },
    });
  });

  it('empty values mean the default; a trailing slash on the broker URL is dropped', () => {
    const parsed = parseGatewayConfig({ YOLOMQ_GATEWAY_PORT: '', YOLOMQ_BROKER_HTTP: 'http://broker:8080/' });
    expect(parsed).toMatchObject({ ok: true, config: { port: 8081, brokerHttp: 'http://broker:8080' } });
  });

  it('names each bad variable', () => {
    const parsed = parseGatewayConfig({
      YOLOMQ_GATEWAY_PORT: 'eighty',
      YOLOMQ_BROKER: 'localhost:5555',
      YOLOMQ_BROKER_HTTP: 'ftp://x',
      YOLOMQ_GATEWAY_MAX_BODY_BYTES: '10',
    });
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.message).toMatch(/YOLOMQ_GATEWAY_PORT: must be a number/);
    expect(parsed.message).toMatch(/YOLOMQ_BROKER: must be a ZeroMQ endpoint/);
    expect(parsed.message).toMatch(/YOLOMQ_BROKER_HTTP: must be an http\(s\) URL/);
    expect(parsed.message).toMatch(/YOLOMQ_GATEWAY_MAX_BODY_BYTES: must be at least 1024/);
  });
});
