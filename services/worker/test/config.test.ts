/** The worker's configuration: defaults from the CPU count, validation naming the variable, start-up errors. */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startNode, stopAll } from '../../../test/helpers/processes.js';
import { defaultThreads, parseWorkerConfig } from '../src/config.js';
import { TEST_MODEL, WORKER_MAIN } from './paths.js';

afterAll(stopAll);

describe('parseWorkerConfig', () => {
  it('fills the defaults: model name from the file, threads from the CPU count, credit K + K', () => {
    const r = parseWorkerConfig({ YOLOMQ_MODEL: '/models/yolov8n_int8.onnx' }, 2);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config).toMatchObject({
      brokerBackend: 'tcp://127.0.0.1:5556',
      modelName: 'yolov8n_int8',
      executionProvider: 'cpu',
      inferenceThreads: 2,
      intraOpThreads: 1,
      prefetch: undefined, // K x the model's batch, once the model is loaded
      maxPixels: 50_000_000,
      heartbeatMs: 1000,
      heartbeatLiveness: 3,
      reconnectMinMs: 1000,
      reconnectMaxMs: 32_000,
      batchMax: 1,
      batchDelayMs: 2,
      logLevel: 'info',
    });
    expect(r.config.workerId).toMatch(/^w-/);
  });

  it('batching: the variables are read and their limits checked', () => {
    const r = parseWorkerConfig({ YOLOMQ_MODEL: 'm.onnx', YOLOMQ_BATCH_MAX: '4', YOLOMQ_BATCH_DELAY_MS: '5' }, 2);
    expect(r.ok && r.config).toMatchObject({ inferenceThreads: 2, batchMax: 4, batchDelayMs: 5, prefetch: undefined });
    const bad = parseWorkerConfig({ YOLOMQ_MODEL: 'm.onnx', YOLOMQ_BATCH_MAX: '0', YOLOMQ_BATCH_DELAY_MS: '-1' });
    expect(!bad.ok && bad.message).toContain('YOLOMQ_BATCH_MAX');
    expect(!bad.ok && bad.message).toContain('YOLOMQ_BATCH_DELAY_MS');
    const credit = parseWorkerConfig({
      YOLOMQ_MODEL: 'm.onnx',
      YOLOMQ_INFERENCE_THREADS: '16',
      YOLOMQ_BATCH_MAX: '64',
    });
    expect(!credit.ok && credit.message).toContain('the credit must be at most 1024');
  });

  it('never oversubscribes the cores by default', () => {
    for (const cpus of [1, 2, 3, 4, 6, 8, 16, 64]) {
      const { inferenceThreads, intraOpThreads } = defaultThreads(cpus);
      expect(inferenceThreads * intraOpThreads).toBeLessThanOrEqual(cpus);
      expect(inferenceThreads).toBeGreaterThanOrEqual(1);
    }
    expect(defaultThreads(16)).toEqual({ inferenceThreads: 4, intraOpThreads: 4 });
  });

  it('names each bad variable', () => {
    const r = parseWorkerConfig({
      YOLOMQ_EP: 'tpu',
      YOLOMQ_INFERENCE_THREADS: 'many',
      YOLOMQ_BROKER_BACKEND: 'localhost:5556',
      YOLOMQ_MAX_PIXELS: '0',
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    for (const name of [
      'YOLOMQ_MODEL',
      'YOLOMQ_EP',
      'YOLOMQ_INFERENCE_THREADS',
      'YOLOMQ_BROKER_BACKEND',
      'YOLOMQ_MAX_PIXELS',
    ]) {
      expect(r.message).toContain(name);
    }
    const backoff = parseWorkerConfig({
      YOLOMQ_MODEL: 'm.onnx',
      YOLOMQ_RECONNECT_MIN_MS: '500',
      YOLOMQ_RECONNECT_MAX_MS: '100',
    });
    expect(!backoff.ok && backoff.message).toContain('YOLOMQ_RECONNECT_MAX_MS');
  });
});

describe('start-up errors', () => {
  const run = (env: Record<string, string>) =>
    startNode(WORKER_MAIN, { YOLOMQ_BROKER_BACKEND: 'tcp://127.0.0.1:9', LOG_LEVEL: 'info', ...env });

  it('exits 1 naming the variable when the configuration is invalid', async () => {
    const p = run({ YOLOMQ_MODEL: '' });
    expect(await p.exited).toBe(1);
    expect(p.output()).toContain('YOLOMQ_MODEL');
  });

  it('exits 1 with the reason when the model file is not a model', async () => {
    const bogus = join(tmpdir(), `yolomq-not-a-model-${process.pid}.onnx`);
    writeFileSync(bogus, 'this is not an ONNX model');
    const p = run({ YOLOMQ_MODEL: bogus });
    expect(await p.exited).toBe(1);
    expect(p.output()).toContain('worker failed to start');
    expect(p.output()).toContain(bogus);
  });

  it('exits 1 with a clear message when CUDA is asked for and not available', async () => {
    const p = run({ YOLOMQ_MODEL: TEST_MODEL, YOLOMQ_EP: 'cuda', YOLOMQ_INFERENCE_THREADS: '1' });
    const outcome = await Promise.race([
      p.exited.then((code) => ({ code })),
      p.waitFor('model loaded', 60_000).then(
        () => ({ ready: true }),
        () => new Promise<never>(() => {}), // it exited: the other branch answers
      ),
    ]);
    if ('ready' in outcome) {
      // a machine with a working CUDA setup: the worker runs on it
      expect(p.output()).toContain('"executionProvider":"cuda"');
      await p.stop();
      return;
    }
    expect(outcome.code).toBe(1);
    expect(p.output()).toContain('YOLOMQ_EP=cuda: the CUDA execution provider could not be used');
  });
});
