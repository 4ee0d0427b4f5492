/** The broker's configuration: defaults, and a clear message naming each bad variable. */
import { describe, expect, it } from 'vitest';
import { parseBrokerConfig } from '../src/config.js';
import { LogRateLimiter } from '../src/logger.js';

describe('parseBrokerConfig', () => {
  it('has the documented defaults', () => {
    const result = parseBrokerConfig({});
    expect(result).toEqual({
      ok: true,
      config: {
        frontendBind: 'tcp://0.0.0.0:5555',
        backendBind: 'tcp://0.0.0.0:5556',
        httpHost: '0.0.0.0',
        httpPort: 8080,
        defaultModel: undefined,
        models: [],
        heartbeatMs: 1000,
        heartbeatLiveness: 3,
        maxRetries: 2,
        defaultTimeoutMs: 30_000,
        queueMaxRequests: 10_000,
        queueMaxBytes: 536_870_912,
        maxMessageBytes: 33_554_432,
        maxInflightPerClient: 1000,
        maxQueuedBytesPerClient: 268_435_456,
        startupGraceMs: 5000,
        drainTimeoutMs: 10_000,
        curve: undefined,
        logLevel: 'info',
        // the autoscaler's defaults are checked in autoscale-meter.test.ts
        scaler: expect.objectContaining({ kind: 'none' }),
        workerEnv: {},
      },
    });
  });

  it('reads every variable, treating empty values as unset', () => {
    const result = parseBrokerConfig({
      YOLOMQ_FRONTEND_BIND: 'tcp://127.0.0.1:6000',
      YOLOMQ_BACKEND_BIND: 'ipc:///tmp/backend',
      YOLOMQ_HTTP_HOST: '127.0.0.1',
      YOLOMQ_HTTP_PORT: '0',
      YOLOMQ_DEFAULT_MODEL: 'yolov8n_int8',
      YOLOMQ_MODELS: ' a, b ,,a ',
      YOLOMQ_HEARTBEAT_MS: '250',
      YOLOMQ_HEARTBEAT_LIVENESS: '5',
      YOLOMQ_MAX_RETRIES: '0',
      YOLOMQ_DEFAULT_TIMEOUT_MS: '1000',
      YOLOMQ_QUEUE_MAX_REQUESTS: '7',
      YOLOMQ_QUEUE_MAX_BYTES: '1024',
      YOLOMQ_MAX_MESSAGE_BYTES: '2048',
      YOLOMQ_MAX_INFLIGHT_PER_CLIENT: '3',
      YOLOMQ_DRAIN_TIMEOUT_MS: '',
      LOG_LEVEL: 'debug',
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config).toMatchObject({
      frontendBind: 'tcp://127.0.0.1:6000',
      backendBind: 'ipc:///tmp/backend',
      httpPort: 0,
      defaultModel: 'yolov8n_int8',
      models: ['a', 'b'],
      heartbeatMs: 250,
      heartbeatLiveness: 5,
      maxRetries: 0,
      queueMaxRequests: 7,
      drainTimeoutMs: 10_000,
      logLevel: 'debug',
    });
  });

  it.each([
    ['YOLOMQ_HTTP_PORT', '70000', 'at most 65535'],
    ['YOLOMQ_HTTP_PORT', 'eighty', 'must be a number'],
    ['YOLOMQ_HEARTBEAT_MS', '1.5', 'whole number'],
    ['YOLOMQ_MAX_RETRIES', '-1', 'at least 0'],
    ['YOLOMQ_FRONTEND_BIND', 'localhost:5555', 'ZeroMQ endpoint'],
    ['LOG_LEVEL', 'loud', 'LOG_LEVEL'],
    ['YOLOMQ_DEFAULT_MODEL', 'x'.repeat(200), '128 bytes'],
  ])('refuses %s=%s with a message naming it', (name, value, fragment) => {
    const result = parseBrokerConfig({ [name]: value });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.message).toContain(name);
    expect(result.message).toContain(fragment);
  });
});

describe('LogRateLimiter', () => {
  it('lets a burst through, suppresses the rest of the window, then reports how many it suppressed', () => {
    const limiter = new LogRateLimiter(3, 1000);
    expect([0, 1, 2, 3, 4].map((i) => limiter.allow('x', i))).toEqual([0, 0, 0, -1, -1]);
    expect(limiter.allow('other', 5)).toBe(0);
    expect(limiter.allow('x', 1000)).toBe(2);
  });
});
