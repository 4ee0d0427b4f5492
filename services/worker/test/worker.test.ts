/**
 * The worker process's shell against a fake broker (a ROUTER driven by the test), with the real model:
 * READY and credit, jobs answered with results in original-image pixels, every bad input answered
 * with its code, deadlines, heartbeats, re-announcing after broker silence or DISCONNECT, the
 * graceful close (in-flight work finished, then DISCONNECT), and an inference thread that dies being
 * restarted with its job answered INTERNAL. Uses the built worker (dist/): the threads run compiled JS.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DISCONNECT_MESSAGE, encodeJobRequest, encodeOptions, encodeTiming, parseResult } from '@yolomq/protocol';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../test/helpers/processes.js';
import { parseWorkerConfig, startWorker, type WorkerConfig, type WorkerHandle } from '../dist/index.js';
import { expectBus } from './expected.js';
import { FakeBroker } from './fake-broker.js';
import { IMAGES_DIR, TEST_MODEL } from './paths.js';

const logger = pino({ level: 'silent' });
const bus = readFileSync(join(IMAGES_DIR, 'bus.jpg'));

function config(endpoint: string, extra: Record<string, string> = {}): WorkerConfig {
  const parsed = parseWorkerConfig({
    YOLOMQ_BROKER_BACKEND: endpoint,
    YOLOMQ_MODEL: TEST_MODEL,
    YOLOMQ_INFERENCE_THREADS: '2',
    YOLOMQ_INTRA_OP_THREADS: '1',
    YOLOMQ_PREFETCH: '1',
    YOLOMQ_HEARTBEAT_MS: '200',
    YOLOMQ_HEARTBEAT_LIVENESS: '3',
    YOLOMQ_RECONNECT_MIN_MS: '100',
    YOLOMQ_RECONNECT_MAX_MS: '400',
    ...extra,
  });
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.config;
}

let seq = 0;
function job(image: Buffer, options = {}, budgetMs = 30_000, queuedMs = 5) {
  const id = `job-${++seq}`;
  return { id, frames: encodeJobRequest(id, encodeOptions(options), encodeTiming(budgetMs, queuedMs), image) };
}

describe('worker against a fake broker', () => {
  let broker: FakeBroker;
  let worker: WorkerHandle;
  let workerId: string;

  beforeAll(async () => {
    const endpoint = `tcp://127.0.0.1:${await freePort()}`;
    broker = await FakeBroker.start(endpoint);
    const cfg = config(endpoint, { YOLOMQ_WORKER_ID: 'test-worker-1' });
    workerId = cfg.workerId;
    worker = await startWorker(cfg, logger);
  });
  afterAll(async () => {
    await worker?.close();
    broker?.close();
  });

  const answer = (id: string) =>
    broker.waitFor(
      () => broker.received.find((r) => 'jobId' in r.message && r.message.jobId === id)?.message,
      60_000,
      `the answer to ${id}`,
    );

  it('announces itself with READY: model name from the file, credit K + prefetch', async () => {
    const ready = await broker.waitFor(() => broker.all('READY')[0]);
    expect(ready.model).toBe('yolov8n_int8');
    expect(ready.info).toMatchObject({ workerId, credit: 3, concurrency: 2, pid: process.pid });
    expect(broker.received[0]!.routingId).toBe(workerId);
  });

  it('answers a job with detections in original-image pixels and stage timings', async () => {
    const j = job(bus, {}, 30_000, 7);
    broker.send(workerId, j.frames);
    const reply = await answer(j.id);
    expect(reply.command).toBe('REPLY');
    if (reply.command !== 'REPLY') return;
    const result = parseResult(reply.result);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const r = result.value;
    expect(r).toMatchObject({ model: 'yolov8n_int8', workerId, width: 810, height: 1080 });
    expectBus(r.width, r.height, r.detections);
    const t = r.timings;
    expect(t.queueMs).toBeGreaterThanOrEqual(7);
    expect(t.preprocessMs).toBeGreaterThan(0);
    expect(t.inferenceMs).toBeGreaterThan(0);
    expect(t.postprocessMs).toBeGreaterThan(0);
    expect(t.totalMs).toBeGreaterThanOrEqual(t.queueMs + t.preprocessMs + t.inferenceMs);
  });

  it('runs up to its credit at once and answers every job', async () => {
    const jobs = [job(bus), job(bus, { classes: ['bus'] }), job(bus, { maxDetections: 2 })];
    for (const j of jobs) broker.send(workerId, j.frames);
    const replies = await Promise.all(jobs.map((j) => answer(j.id)));
    expect(replies.map((r) => r.command)).toEqual(['REPLY', 'REPLY', 'REPLY']);
    const results = replies.map((r) => (r.command === 'REPLY' ? parseResult(r.result) : undefined));
    const detections = results.map((r) => (r?.ok ? r.value.detections : []));
    expect(detections[1]!.map((d) => d.className)).toEqual(['bus']);
    expect(detections[2]).toHaveLength(2);
  });

  it('answers each bad input with its code and keeps serving', async () => {
    const cases: Array<[ReturnType<typeof job>, string]> = [
      [job(Buffer.alloc(0)), 'INVALID_IMAGE'],
      [job(Buffer.from('just some text, not an image\n')), 'INVALID_IMAGE'],
      [job(bus.subarray(0, 20_000)), 'INVALID_IMAGE'],
      [job(bus, { classes: ['unicorn'] }), 'BAD_REQUEST'],
      [job(bus, {}, 0), 'DEADLINE_EXCEEDED'],
    ];
    for (const [j] of cases) broker.send(workerId, j.frames);
    for (const [j, code] of cases) {
      const a = await answer(j.id);
      expect(a).toMatchObject({ command: 'ERROR', code });
      if (a.command === 'ERROR') expect(a.message.length).toBeGreaterThan(10);
    }
    const ok = job(bus);
    broker.send(workerId, ok.frames);
    expect((await answer(ok.id)).command).toBe('REPLY');
  });

  it('sends heartbeats', async () => {
    const from = broker.received.length;
    await broker.waitFor(() => (broker.all('HEARTBEAT', from).length >= 2 ? true : undefined), 5000, 'heartbeats');
  });

  it('re-announces itself when the broker is silent, and when the broker says DISCONNECT', async () => {
    const readies = broker.all('READY').length;
    // the broker goes quiet: after 3 x 200 ms of silence the worker reconnects and says READY again
    broker.silent = true;
    await broker.waitFor(() => (broker.all('READY').length > readies ? true : undefined), 5000, 'READY after silence');
    broker.silent = false;
    const now = broker.all('READY').length;
    broker.send(workerId, [...DISCONNECT_MESSAGE]);
    await broker.waitFor(() => (broker.all('READY').length > now ? true : undefined), 5000, 'READY after DISCONNECT');
    const j = job(bus);
    broker.send(workerId, j.frames);
    expect((await answer(j.id)).command).toBe('REPLY');
  });

  it('on close: finishes the jobs in progress, refuses new ones with SHUTTING_DOWN, then sends DISCONNECT', async () => {
    const running = [job(bus), job(bus), job(bus)]; // the credit: both threads busy, one job decoding ahead
    for (const j of running) broker.send(workerId, j.frames);
    await new Promise((r) => setTimeout(r, 50));
    const closing = worker.close();
    const late = job(bus);
    broker.send(workerId, late.frames);
    expect(await answer(late.id)).toMatchObject({ command: 'ERROR', code: 'SHUTTING_DOWN' });
    for (const j of running) expect((await answer(j.id)).command).toBe('REPLY');
    await closing;
    const last = broker.received.at(-1)!;
    expect(last.message.command).toBe('DISCONNECT');
  });
});

describe('inference threads that die', () => {
  it('are restarted, and the job they held is answered INTERNAL', async () => {
    const endpoint = `tcp://127.0.0.1:${await freePort()}`;
    const broker = await FakeBroker.start(endpoint);
    const cfg = config(endpoint, { YOLOMQ_WORKER_ID: 'test-worker-crash', YOLOMQ_INFERENCE_THREADS: '1' });
    const worker = await startWorker(cfg, logger, {
      threadEntry: new URL('./fixtures/crashing-thread.mjs', import.meta.url),
    });
    try {
      const answer = (id: string) =>
        broker.waitFor(() => broker.received.find((r) => 'jobId' in r.message && r.message.jobId === id)?.message);
      // a ROUTER drops messages to a peer it has not heard from: wait for READY first
      await broker.waitFor(() => broker.all('READY')[0]);
      const crash = job(Buffer.from('crash'));
      const next = job(Buffer.from('fine'));
      broker.send(cfg.workerId, crash.frames);
      broker.send(cfg.workerId, next.frames);
      const failed = await answer(crash.id);
      expect(failed).toMatchObject({ command: 'ERROR', code: 'INTERNAL' });
      if (failed.command === 'ERROR') expect(failed.message).toContain('exited with code 1');
      // the job the thread held behind it (not started) runs on the restarted thread
      expect((await answer(next.id)).command).toBe('REPLY');
      const again = job(Buffer.from('crash'));
      broker.send(cfg.workerId, again.frames);
      expect(await answer(again.id)).toMatchObject({ command: 'ERROR', code: 'INTERNAL' });
      const after = job(Buffer.from('fine'));
      broker.send(cfg.workerId, after.frames);
      expect((await answer(after.id)).command).toBe('REPLY');
    } finally {
      await worker.close();
      broker.close();
    }
  });
});
