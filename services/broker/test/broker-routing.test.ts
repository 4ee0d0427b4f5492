/**
 * The broker over real ZeroMQ sockets on loopback (built dist/main.js, echo workers, a Dealer client):
 * load spread by credit, queueing, fairness between clients, PING, and the HTTP port.
 * Build first: `npx tsc -b`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNode, stopAll } from '../../../test/helpers/processes.js';
import {
  BROKER_MAIN,
  type BrokerProcess,
  eventually,
  resultOf,
  startBroker,
  startWorker,
  TestClient,
} from './support/cluster.js';

const clients: TestClient[] = [];
const client = (broker: BrokerProcess, id?: string) => {
  const c = new TestClient(broker.frontend, id);
  clients.push(c);
  return c;
};

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await stopAll();
});

describe('load balancing', () => {
  let broker: BrokerProcess;
  beforeAll(async () => {
    broker = await startBroker();
  });

  it('spreads load across workers in proportion to their credit', async () => {
    const small = await startWorker(broker, { id: 'credit-1', credit: 1, delayMs: 30 });
    const big = await startWorker(broker, { id: 'credit-3', credit: 3, delayMs: 30 });
    await broker.waitForWorkers(2);
    const c = client(broker);
    const ids = Array.from({ length: 160 }, (_, i) => `spread-${i}`);
    for (const id of ids) void c.request(id);
    const answers = await c.all(ids);
    const byWorker = new Map<string, number>();
    for (const a of answers) {
      const w = resultOf(a).workerId;
      byWorker.set(w, (byWorker.get(w) ?? 0) + 1);
    }
    const ratio = byWorker.get('credit-3')! / byWorker.get('credit-1')!;
    // equal service times, both saturated: 3:1 (with slack for a busy machine)
    expect(ratio).toBeGreaterThan(2);
    expect(ratio).toBeLessThan(4.5);
    expect([...c.answerCounts().values()].every((n) => n === 1)).toBe(true);
    await Promise.all([small.stop(), big.stop()]);
    await broker.waitForWorkers(0);
  });

  it('queues requests while every worker is busy and serves them as credit frees up', async () => {
    await startWorker(broker, { id: 'busy-1', credit: 1, delayMs: 300 });
    await startWorker(broker, { id: 'busy-2', credit: 1, delayMs: 300 });
    await broker.waitForWorkers(2);
    const c = client(broker);
    const ids = Array.from({ length: 6 }, (_, i) => `queued-${i}`);
    for (const id of ids) void c.request(id);
    // two in flight, four waiting in the echo model's queue
    const seen = await eventually(async () => {
      const q = (await broker.status()).queues.find((x) => x.model === 'echo');
      return q !== undefined && q.queued > 0 ? q : undefined;
    });
    expect(seen.inflight).toBe(2);
    const answers = await c.all(ids);
    const results = answers.map(resultOf);
    // the broker tells the worker how long each request waited; the echo worker reports it as queueMs
    const waited = results.filter((r) => r.timings.queueMs >= 200);
    expect(waited.length).toBeGreaterThanOrEqual(4);
    expect(new Set(results.map((r) => r.workerId))).toEqual(new Set(['busy-1', 'busy-2']));
  });
});

describe('fairness between clients', () => {
  it('a light client is served between the requests of a client flooding the same model', async () => {
    const broker = await startBroker();
    await startWorker(broker, { id: 'only', credit: 1, delayMs: 15 });
    await broker.waitForWorkers(1);
    const flood = client(broker);
    const light = client(broker);
    const floodIds = Array.from({ length: 120 }, (_, i) => `flood-${i}`);
    for (const id of floodIds) void flood.request(id);
    await eventually(async () => ((await broker.status()).queues[0]?.queued ?? 0) > 50 || undefined);
    const lightIds = Array.from({ length: 5 }, (_, i) => `light-${i}`);
    for (const id of lightIds) void light.request(id);
    await light.all(lightIds);
    const floodDoneBeforeLight = flood.answers.size;
    await flood.all(floodIds);
    // round-robin: the light client's 5 requests alternate with the flood's (about 5 flood answers),
    // instead of waiting behind the 50+ flood requests already queued
    expect(floodDoneBeforeLight).toBeLessThan(35);
  });
});

describe('client protocol', () => {
  it('answers PING with PONG carrying the same token', async () => {
    const broker = await startBroker();
    const c = client(broker);
    await c.ping('tok-1');
    await c.until(() => (c.pongs.length > 0 ? true : undefined), 10_000, 'a PONG');
    expect(c.pongs.map((t) => t.toString())).toEqual(['tok-1']);
  });
});

describe('HTTP port', () => {
  it('serves /healthz, /readyz, /metrics and /status', async () => {
    const broker = await startBroker({ YOLOMQ_DEFAULT_MODEL: 'echo' });
    expect((await fetch(`${broker.http}/healthz`)).status).toBe(200);
    const notReady = await fetch(`${broker.http}/readyz`);
    expect(notReady.status).toBe(503);
    expect(((await notReady.json()) as { reason: string }).reason).toContain('echo');

    await startWorker(broker, { id: 'http-w', credit: 2 });
    await broker.waitForWorkers(1);
    const ready = await fetch(`${broker.http}/readyz`);
    expect(ready.status).toBe(200);

    const c = client(broker, 'status-client');
    for (let i = 0; i < 5; i++) await c.request(`m-${i}`);
    await c.request('nope', undefined, { model: 'no-such-model' });
    await c.all(['m-0', 'm-1', 'm-2', 'm-3', 'm-4', 'nope']);

    const metrics = await fetch(`${broker.http}/metrics`);
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    const text = await metrics.text();
    expect(text).toContain('yolomq_broker_requests_total{model="echo",outcome="ok"} 5');
    expect(text).toContain('yolomq_broker_requests_total{model="unknown",outcome="UNKNOWN_MODEL"} 1');
    expect(text).toContain('yolomq_broker_live_workers{model="echo"} 1');
    expect(text).toContain('yolomq_broker_queue_depth{model="echo"} 0');
    expect(text).toContain('yolomq_broker_inflight{model="echo"} 0');
    expect(text).toMatch(/yolomq_broker_latency_seconds_count\{model="echo"\} 5/);
    expect(text).toMatch(/yolomq_broker_queue_wait_seconds_bucket\{le="\+Inf",model="echo"\} 5/);
    expect(text).toMatch(/yolomq_broker_service_seconds_sum\{model="echo"\} [0-9.e-]+/);
    expect(text).toContain('process_cpu_seconds_total');

    const status = await broker.status();
    expect(status).toMatchObject({ status: 'serving', defaultModel: 'echo', pending: 0 });
    expect(status.workers).toEqual([
      expect.objectContaining({
        workerId: 'http-w',
        model: 'echo',
        credit: 2,
        inflight: 0,
        served: 5,
        accepting: true,
      }),
    ]);
    expect(status.workers[0]!.lastHeartbeatAgeMs).toBeGreaterThanOrEqual(0);
    expect(status.queues).toEqual([expect.objectContaining({ model: 'echo', queued: 0, liveWorkers: 1 })]);
    expect(status.clients).toEqual([
      expect.objectContaining({ id: Buffer.from('status-client').toString('hex'), requests: 6, pending: 0 }),
    ]);
    expect(status.clientsSeenLastMinute).toBe(1);

    expect((await fetch(`${broker.http}/nope`)).status).toBe(404);
  });

  it('refuses to start with an invalid variable, naming it', async () => {
    const bad = startNode(BROKER_MAIN, { YOLOMQ_HTTP_PORT: 'eighty', YOLOMQ_MAX_RETRIES: '-3' });
    expect(await bad.exited).toBe(1);
    expect(bad.output()).toContain('YOLOMQ_HTTP_PORT');
    expect(bad.output()).toContain('YOLOMQ_MAX_RETRIES');
  });
});
