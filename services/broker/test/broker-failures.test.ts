/**
 * Failures over real sockets: a worker killed mid-request, a frozen worker, deadlines, backpressure.
 * Build first: `npx tsc -b`.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { stopAll } from '../../../test/helpers/processes.js';
import {
  type BrokerProcess,
  codeOf,
  eventually,
  resultOf,
  sleep,
  startBroker,
  startWorker,
  TestClient,
} from './support/cluster.js';

const clients: TestClient[] = [];
const client = (broker: BrokerProcess) => {
  const c = new TestClient(broker.frontend);
  clients.push(c);
  return c;
};

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await stopAll();
});

describe('worker loss', () => {
  it('a worker killed with SIGKILL mid-request: its requests are answered by another worker, once each', async () => {
    const broker = await startBroker();
    const doomed = await startWorker(broker, { id: 'doomed', credit: 3, delayMs: 2000 });
    await broker.waitForWorkers(1);
    const c = client(broker);
    const ids = Array.from({ length: 8 }, (_, i) => `kill-${i}`);
    for (const id of ids) void c.request(id);
    // the doomed worker holds 3, 5 wait in the queue
    await eventually(async () => ((await broker.status()).workers[0]?.inflight === 3 ? true : undefined));
    await startWorker(broker, { id: 'survivor', credit: 2, delayMs: 20 });
    doomed.kill('SIGKILL');
    const answers = await c.all(ids);
    expect(answers.map((a) => resultOf(a).workerId)).toEqual(ids.map(() => 'survivor'));
    await sleep(500); // nothing else arrives: no request answered twice
    expect([...c.answerCounts().values()]).toEqual(ids.map(() => 1));
    const status = await broker.status();
    expect(status.workers.map((w) => w.workerId)).toEqual(['survivor']);
    expect(status.pending).toBe(0);
  });

  it('a frozen worker (SIGSTOP) is dropped when its heartbeats stop; its late reply is discarded', async () => {
    const broker = await startBroker();
    const frozen = await startWorker(broker, { id: 'frozen', credit: 1, delayMs: 1500 });
    await broker.waitForWorkers(1);
    const c = client(broker);
    await c.request('stuck');
    await eventually(async () => ((await broker.status()).workers[0]?.inflight === 1 ? true : undefined));
    frozen.kill('SIGSTOP');
    await startWorker(broker, { id: 'healthy', credit: 1, delayMs: 0 });
    const answer = await c.answer('stuck');
    expect(resultOf(answer).workerId).toBe('healthy');
    const status = await broker.status();
    expect(status.workers.map((w) => w.workerId)).toEqual(['healthy']);
    // Thawed, the frozen worker finishes and replies late: the broker discards it and tells it
    // DISCONNECT (the echo worker then exits 0). The client still has exactly one answer.
    frozen.kill('SIGCONT');
    expect(await frozen.exited).toBe(0);
    await sleep(200);
    expect(c.answers.get('stuck')).toHaveLength(1);
    const metrics = await (await fetch(`${broker.http}/metrics`)).text();
    expect(metrics).toMatch(/yolomq_broker_worker_losses_total\{reason="silent"\} 1/);
    expect(metrics).toMatch(/yolomq_broker_retries_total\{model="echo"\} 1/);
  });

  it('answers WORKER_FAILED after the retry limit when every worker that takes a request dies', async () => {
    const broker = await startBroker({ YOLOMQ_MAX_RETRIES: '1' });
    const c = client(broker);
    const first = await startWorker(broker, { id: 'die-1', credit: 1, delayMs: 5000 });
    await broker.waitForWorkers(1);
    await c.request('unlucky');
    await eventually(async () => ((await broker.status()).workers[0]?.inflight === 1 ? true : undefined));
    first.kill('SIGKILL');
    await broker.waitForWorkers(0);
    const second = await startWorker(broker, { id: 'die-2', credit: 1, delayMs: 5000 });
    await eventually(async () => ((await broker.status()).workers[0]?.inflight === 1 ? true : undefined));
    second.kill('SIGKILL');
    const answer = await c.answer('unlucky');
    expect(codeOf(answer)).toBe('WORKER_FAILED');
  });
});

describe('deadlines', () => {
  it('a request that expires in the queue is answered DEADLINE_EXCEEDED and never reaches a worker', async () => {
    const broker = await startBroker();
    await startWorker(broker, { id: 'slow', credit: 1, delayMs: 800 });
    await broker.waitForWorkers(1);
    const c = client(broker);
    await c.request('first', { timeoutMs: 20_000 });
    await c.request('short', { timeoutMs: 150 });
    const expired = await c.answer('short');
    expect(codeOf(expired)).toBe('DEADLINE_EXCEEDED');
    const first = await c.answer('first');
    expect(codeOf(first)).toBe('REPLY');
    // 'short' was answered while 'first' (800 ms of work) was still running
    expect(expired.seq).toBeLessThan(first.seq);
    await c.request('after', { timeoutMs: 20_000 });
    expect(codeOf(await c.answer('after'))).toBe('REPLY');
    const status = await broker.status();
    expect(status.workers[0]!.served).toBe(2); // first and after; short never went to the worker
  });

  it('a request that expires at the worker is answered DEADLINE_EXCEEDED; the late result is dropped', async () => {
    const broker = await startBroker();
    await startWorker(broker, { id: 'slower', credit: 1, delayMs: 700 });
    await broker.waitForWorkers(1);
    const c = client(broker);
    await c.request('late', { timeoutMs: 200 });
    expect(codeOf(await c.answer('late'))).toBe('DEADLINE_EXCEEDED');
    await c.request('next', { timeoutMs: 20_000 });
    expect(codeOf(await c.answer('next'))).toBe('REPLY');
    // the worker's result for 'late' came back before 'next' was served, and went nowhere
    expect(c.answers.get('late')).toHaveLength(1);
    const metrics = await (await fetch(`${broker.http}/metrics`)).text();
    expect(metrics).toMatch(/yolomq_broker_discarded_answers_total\{reason="late-reply"\} 1/);
    expect(metrics).toContain('yolomq_broker_requests_total{model="echo",outcome="DEADLINE_EXCEEDED"} 1');
  });
});

describe('backpressure', () => {
  it('answers QUEUE_FULL at once past the queue bounds (count and bytes)', async () => {
    const broker = await startBroker({ YOLOMQ_QUEUE_MAX_REQUESTS: '3', YOLOMQ_QUEUE_MAX_BYTES: '100000' });
    await startWorker(broker, { id: 'full', credit: 1, delayMs: 400 });
    await broker.waitForWorkers(1);
    const c = client(broker);
    const ids = Array.from({ length: 6 }, (_, i) => `q-${i}`);
    for (const id of ids) await c.request(id);
    const answers = await c.all(ids);
    const codes = answers.map(codeOf);
    // one in flight, three queued, two refused at once (before any of the others finished)
    expect(codes.filter((code) => code === 'QUEUE_FULL')).toHaveLength(2);
    expect(codes.filter((code) => code === 'REPLY')).toHaveLength(4);
    const firstReply = Math.min(...answers.filter((a) => codeOf(a) === 'REPLY').map((a) => a.seq));
    for (const a of answers.filter((x) => codeOf(x) === 'QUEUE_FULL')) expect(a.seq).toBeLessThan(firstReply);

    // the byte bound: 60 KB images, one in flight, one queued, the next refused
    const big = Buffer.alloc(60_000, 1);
    for (const id of ['b-0', 'b-1', 'b-2']) await c.request(id, undefined, { image: big });
    const bytes = await c.all(['b-0', 'b-1', 'b-2']);
    expect(bytes.map(codeOf)).toEqual(['REPLY', 'REPLY', 'QUEUE_FULL']);
    expect(resultOf(bytes[0]!).echoBytes).toBe(60_000);
  });

  it('answers TOO_MANY_REQUESTS past the per-client limit; other clients are unaffected', async () => {
    const broker = await startBroker({ YOLOMQ_MAX_INFLIGHT_PER_CLIENT: '2' });
    await startWorker(broker, { id: 'limit', credit: 4, delayMs: 300 });
    await broker.waitForWorkers(1);
    const greedy = client(broker);
    const other = client(broker);
    for (const id of ['g-0', 'g-1', 'g-2']) await greedy.request(id);
    await other.request('o-0');
    expect((await greedy.all(['g-0', 'g-1', 'g-2'])).map(codeOf)).toEqual(['REPLY', 'REPLY', 'TOO_MANY_REQUESTS']);
    expect(codeOf(await other.answer('o-0'))).toBe('REPLY');
  });

  it('does not run a request id twice while it is pending from the same client', async () => {
    const broker = await startBroker();
    await startWorker(broker, { id: 'dedupe', credit: 4, delayMs: 300 });
    await broker.waitForWorkers(1);
    const c = client(broker);
    await c.request('same');
    await c.request('same');
    await c.answer('same');
    await sleep(500);
    expect(c.answers.get('same')).toHaveLength(1);
    expect((await broker.status()).workers[0]!.served).toBe(1);
  });
});
