import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { curveKeyPair } from 'zeromq';
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

  it('takes CurveZMQ client keys (all three or none), naming the variables when incomplete', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-curve-'));
    const server = curveKeyPair();
    const own = curveKeyPair();
    writeFileSync(join(dir, 'gw.pub'), `${own.publicKey}\n`);
    writeFileSync(join(dir, 'gw.key'), `${own.secretKey}\n`);
    const full = parseGatewayConfig({
      YOLOMQ_CURVE_SERVER_KEY: server.publicKey,
      YOLOMQ_CLIENT_CURVE_PUBLIC_KEY_FILE: join(dir, 'gw.pub'),
      YOLOMQ_CLIENT_CURVE_SECRET_KEY_FILE: join(dir, 'gw.key'),
    });
    expect(full.ok && full.config.curve).toEqual({
      serverKey: server.publicKey,
      publicKey: own.publicKey,
      secretKey: own.secretKey,
    });
    const partial = parseGatewayConfig({ YOLOMQ_CURVE_SERVER_KEY: server.publicKey });
    expect(partial.ok).toBe(false);
    if (!partial.ok) expect(partial.message).toMatch(/YOLOMQ_CLIENT_CURVE_PUBLIC_KEY_FILE/);
    rmSync(dir, { recursive: true, force: true });
  });
});
