/** The scheduler's decisions, driven by events and a hand-moved clock (no sockets, no timers). */
import { ErrorCode } from '@yolomq/protocol';
import { describe, expect, it } from 'vitest';
import { MAX_MODELS } from '../src/scheduler/scheduler.js';
import { Harness } from './support/recording-sink.js';

describe('dispatch and load balancing', () => {
  it('sends a request to a worker with free credit at once and forwards its one reply', () => {
    const h = new Harness();
    h.worker('w1', 1);
    h.submit('c1', 'r1', { timeoutMs: 5000 });
    const [dispatch] = h.sink.of('dispatch');
    expect(dispatch).toMatchObject({ requestId: 'r1', worker: 'w1', budgetMs: 5000, queuedMs: 0 });
    h.now += 7;
    h.reply('w1', dispatch!.jobId, '{"x":1}');
    expect(h.sink.of('reply')).toEqual([{ type: 'reply', requestId: 'r1', client: 'c1', result: '{"x":1}', at: 7 }]);
    expect(h.scheduler.active).toBe(0);
    expect(h.scheduler.workers.get('w1')!.served).toBe(1);
  });

  it('at light load takes idle workers in turn (round-robin)', () => {
    const h = new Harness();
    h.worker('w1', 4);
    h.worker('w2', 4);
    h.worker('w3', 4);
    const order: string[] = [];
    for (let i = 0; i < 6; i++) {
      h.submit('c', `r${i}`);
      const d = h.sink.take().find((a) => a.type === 'dispatch');
      if (d?.type !== 'dispatch') throw new Error('not dispatched');
      order.push(d.worker);
      h.reply(d.worker, d.jobId);
      h.sink.take();
    }
    expect(order).toEqual(['w1', 'w2', 'w3', 'w1', 'w2', 'w3']);
  });

  it('spreads concurrent requests: a worker holding a job is not tied with an idle one', () => {
    const h = new Harness();
    h.worker('w1', 4);
    h.worker('w2', 4);
    h.worker('w3', 4);
    for (let i = 0; i < 6; i++) h.submit('c', `r${i}`);
    const perWorker = new Map<string, number>();
    for (const d of h.sink.of('dispatch')) perWorker.set(d.worker, (perWorker.get(d.worker) ?? 0) + 1);
    expect([...perWorker.values()]).toEqual([2, 2, 2]);
  });

  it('fills workers in proportion to their credit, least loaded first', () => {
    const h = new Harness();
    h.worker('small', 1);
    h.worker('big', 3);
    for (let i = 0; i < 4; i++) h.submit('c', `r${i}`);
    const perWorker = (w: string) => h.sink.of('dispatch').filter((d) => d.worker === w).length;
    expect(perWorker('small')).toBe(1);
    expect(perWorker('big')).toBe(3);
  });

  it('under saturation serves requests in proportion to credit', () => {
    const h = new Harness();
    h.worker('a', 1);
    h.worker('b', 4);
    // Keep 50 requests queued; each step the oldest outstanding job finishes (equal service times).
    let next = 0;
    for (let i = 0; i < 60; i++) h.submit('c', `r${next++}`);
    const held = new Map<string, string[]>([
      ['a', []],
      ['b', []],
    ]);
    const served = { a: 0, b: 0 };
    for (let step = 0; step < 1000; step++) {
      for (const d of h.sink.take()) if (d.type === 'dispatch') held.get(d.worker)!.push(d.jobId);
      // each worker finishes its jobs at the same per-job rate: one job per unit of its credit
      const w = step % 5 === 0 ? 'a' : 'b';
      const jobId = held.get(w)!.shift();
      if (jobId === undefined) continue;
      h.reply(w, jobId);
      served[w as 'a' | 'b']++;
      h.submit('c', `r${next++}`);
    }
    expect(served.b / served.a).toBeGreaterThan(3.5);
    expect(served.b / served.a).toBeLessThan(4.5);
  });

  it('never sends more jobs to a worker than its credit', () => {
    const h = new Harness();
    h.worker('w1', 2);
    for (let i = 0; i < 10; i++) h.submit('c', `r${i}`);
    expect(h.sink.of('dispatch')).toHaveLength(2);
    expect(h.scheduler.model('m')!.queue.count).toBe(8);
    expect(h.scheduler.workers.get('w1')!.inflight).toBe(2);
  });
});

describe('queueing and fairness', () => {
  it('queues when every worker is busy and dispatches in order as credit frees up', () => {
    const h = new Harness();
    h.worker('w1', 1);
    h.submit('c', 'r1');
    h.submit('c', 'r2');
    h.submit('c', 'r3');
    let dispatches = h.sink.of('dispatch');
    expect(dispatches.map((d) => d.requestId)).toEqual(['r1']);
    h.now += 10;
    h.reply('w1', dispatches[0]!.jobId);
    dispatches = h.sink.of('dispatch');
    expect(dispatches.map((d) => d.requestId)).toEqual(['r1', 'r2']);
    expect(dispatches[1]!.queuedMs).toBe(10);
  });

  it('serves clients round-robin: a flooding client cannot starve a light one', () => {
    const h = new Harness();
    h.worker('w1', 1);
    for (let i = 0; i < 100; i++) h.submit('flood', `f${i}`);
    h.submit('light', 'l1');
    h.submit('light', 'l2');
    const served: string[] = [];
    for (let i = 0; i < 6; i++) {
      const d = h.sink.of('dispatch').at(-1)!;
      served.push(`${d.client}:${d.requestId}`);
      h.reply('w1', d.jobId);
    }
    // f0 was dispatched at once; then the two clients alternate.
    expect(served).toEqual(['flood:f0', 'flood:f1', 'light:l1', 'flood:f2', 'light:l2', 'flood:f3']);
  });

  it('a model that is known but has no worker queues requests until a worker registers (scale to zero)', () => {
    const h = new Harness({ models: ['later'] });
    h.submit('c', 'r1', { model: 'later' });
    expect(h.sink.of('dispatch')).toHaveLength(0);
    expect(h.sink.of('reject')).toHaveLength(0);
    h.now += 100;
    h.worker('w1', 1, 'later');
    expect(h.sink.of('dispatch')).toMatchObject([{ requestId: 'r1', worker: 'w1', queuedMs: 100 }]);
  });

  it('answers QUEUE_FULL at the request bound', () => {
    const h = new Harness({ queueMaxRequests: 2, models: ['m'] });
    h.submit('c', 'r1');
    h.submit('c', 'r2');
    h.submit('c', 'r3');
    expect(h.sink.of('reject')).toMatchObject([{ requestId: 'r3', code: ErrorCode.QUEUE_FULL }]);
    expect(h.scheduler.model('m')!.queue.count).toBe(2);
  });

  it('answers QUEUE_FULL at the byte bound', () => {
    const h = new Harness({ queueMaxBytes: 250, models: ['m'] });
    h.submit('c', 'r1', { bytes: 100 });
    h.submit('c', 'r2', { bytes: 100 });
    h.submit('c', 'r3', { bytes: 100 });
    h.submit('c', 'r4', { bytes: 50 });
    expect(h.sink.of('reject')).toMatchObject([{ requestId: 'r3', code: ErrorCode.QUEUE_FULL }]);
    expect(h.scheduler.model('m')!.queue.bytes).toBe(250);
  });

  it('a request that finds a free worker does not count against the queue bound', () => {
    const h = new Harness({ queueMaxRequests: 0 });
    h.worker('w1', 1);
    h.submit('c', 'r1');
    h.submit('c', 'r2');
    expect(h.sink.of('dispatch').map((d) => d.requestId)).toEqual(['r1']);
    expect(h.sink.of('reject')).toMatchObject([{ requestId: 'r2', code: ErrorCode.QUEUE_FULL }]);
  });

  it('answers TOO_MANY_REQUESTS past the per-client limit, other clients unaffected', () => {
    const h = new Harness({ maxInflightPerClient: 2, models: ['m'] });
    h.submit('c1', 'r1');
    h.submit('c1', 'r2');
    h.submit('c1', 'r3');
    h.submit('c2', 'r1');
    expect(h.sink.of('reject')).toMatchObject([{ client: 'c1', requestId: 'r3', code: ErrorCode.TOO_MANY_REQUESTS }]);
    expect(h.scheduler.model('m')!.queue.count).toBe(3);
  });
});

describe('models', () => {
  it('answers UNKNOWN_MODEL for a model no worker ever registered', () => {
    const h = new Harness();
    h.worker('w1', 1, 'yolo');
    h.submit('c', 'r1', { model: 'other' });
    expect(h.sink.of('reject')).toMatchObject([{ code: ErrorCode.UNKNOWN_MODEL, model: 'other' }]);
  });

  it("an empty model name means the first registered worker's model, unless a default is configured", () => {
    const first = new Harness();
    first.submit('c', 'early', { model: '' });
    expect(first.sink.of('reject')).toMatchObject([{ code: ErrorCode.UNKNOWN_MODEL }]);
    first.worker('w1', 1, 'yolo');
    first.worker('w2', 1, 'other');
    first.submit('c', 'r1', { model: '' });
    expect(first.sink.of('dispatch')).toMatchObject([{ requestId: 'r1', worker: 'w1' }]);

    const configured = new Harness({ defaultModel: 'big' });
    configured.worker('w1', 1, 'small');
    configured.submit('c', 'r1', { model: '' });
    expect(configured.sink.of('dispatch')).toHaveLength(0);
    expect(configured.scheduler.model('big')!.queue.count).toBe(1);
  });

  it('refuses (DISCONNECT) a worker for a new model once MAX_MODELS models are known', () => {
    const h = new Harness();
    for (let i = 0; i < MAX_MODELS; i++) h.worker(`w${i}`, 1, `model-${i}`);
    h.sink.take();
    h.worker('one-too-many', 1, 'model-new');
    expect(h.sink.of('refused')).toHaveLength(1);
    expect(h.sink.of('disconnect')).toEqual([{ type: 'disconnect', worker: 'one-too-many' }]);
    expect(h.scheduler.workers.get('one-too-many')).toBeUndefined();
    h.worker('more-of-the-same', 1, 'model-3');
    expect(h.sink.of('joined')).toHaveLength(1);
  });

  it('a model stays known after its last worker leaves (requests wait for the next one)', () => {
    const h = new Harness();
    h.worker('w1', 1, 'yolo');
    h.scheduler.workerDisconnected('w1', h.now);
    h.submit('c', 'r1', { model: 'yolo' });
    expect(h.sink.of('reject')).toHaveLength(0);
    expect(h.scheduler.model('yolo')!.queue.count).toBe(1);
  });
});

describe('deadlines', () => {
  it('answers DEADLINE_EXCEEDED when a queued request expires, and never dispatches it', () => {
    const h = new Harness();
    h.worker('w1', 1);
    h.submit('c', 'busy', { timeoutMs: 10_000 });
    h.submit('c', 'short', { timeoutMs: 100 });
    h.advance(99);
    expect(h.sink.of('fail')).toHaveLength(0);
    h.advance(1);
    expect(h.sink.of('fail')).toMatchObject([{ requestId: 'short', code: ErrorCode.DEADLINE_EXCEEDED, at: 100 }]);
    expect(h.scheduler.model('m')!.queue.count).toBe(0);
    h.reply('w1', h.sink.of('dispatch')[0]!.jobId);
    expect(h.sink.of('dispatch').map((d) => d.requestId)).toEqual(['busy']);
  });

  it('uses the default timeout when the request names none', () => {
    const h = new Harness({ defaultTimeoutMs: 500, models: ['m'] });
    h.submit('c', 'r1');
    h.advance(499);
    expect(h.sink.of('fail')).toHaveLength(0);
    h.advance(1);
    expect(h.sink.of('fail')).toMatchObject([{ requestId: 'r1', code: ErrorCode.DEADLINE_EXCEEDED }]);
  });

  it('answers an in-flight request at its deadline; the late reply is discarded and frees the credit', () => {
    const h = new Harness();
    h.worker('w1', 1);
    h.submit('c', 'slow', { timeoutMs: 100 });
    h.submit('c', 'next', { timeoutMs: 10_000 });
    const jobId = h.sink.of('dispatch')[0]!.jobId;
    h.advance(100);
    expect(h.sink.of('fail')).toMatchObject([{ requestId: 'slow', code: ErrorCode.DEADLINE_EXCEEDED }]);
    // the worker still computes it: its credit slot stays taken, nothing else is sent to it
    expect(h.sink.of('dispatch')).toHaveLength(1);
    h.now += 50;
    h.reply('w1', jobId, 'late');
    expect(h.sink.of('reply')).toHaveLength(0);
    expect(h.sink.of('discard')).toMatchObject([{ jobId, reason: 'late-reply' }]);
    expect(h.sink.of('dispatch').map((d) => d.requestId)).toEqual(['slow', 'next']);
  });

  it('frees the slot of an expired in-flight request after the grace period if the worker never answers', () => {
    const h = new Harness({ heartbeatMs: 100, heartbeatLiveness: 3 });
    h.worker('w1', 1);
    h.submit('c', 'lost', { timeoutMs: 100 });
    h.submit('c', 'next', { timeoutMs: 10_000 });
    h.advance(100);
    h.heartbeat('w1');
    h.advance(299);
    expect(h.sink.of('dispatch')).toHaveLength(1);
    h.advance(1);
    expect(h.sink.of('dispatch').map((d) => d.requestId)).toEqual(['lost', 'next']);
  });

  it('tells the worker how much time is left and how long the request waited', () => {
    const h = new Harness();
    h.worker('w1', 1);
    h.submit('c', 'a', { timeoutMs: 1000 });
    h.submit('c', 'b', { timeoutMs: 1000 });
    h.now += 300;
    h.reply('w1', h.sink.of('dispatch')[0]!.jobId);
    expect(h.sink.of('dispatch')[1]).toMatchObject({ requestId: 'b', budgetMs: 700, queuedMs: 300 });
  });
});

describe('worker failure and retries', () => {
  it('drops a silent worker and sends its requests to another worker, front of the queue first', () => {
    const h = new Harness();
    h.worker('w1', 2);
    h.worker('w2', 1);
    h.submit('c', 'r1'); // w1
    h.submit('c', 'r2'); // w2
    h.submit('c', 'r3'); // w1
    h.submit('c', 'r4'); // queued
    expect(h.sink.of('dispatch').map((d) => `${d.requestId}@${d.worker}`)).toEqual(['r1@w1', 'r2@w2', 'r3@w1']);
    // w2 keeps heartbeating; w1 falls silent
    for (let t = 0; t < 4; t++) {
      h.heartbeat('w2');
      h.advance(1000, { tick: true });
    }
    expect(h.sink.of('lost')).toMatchObject([{ worker: 'w1', reason: 'silent', requeued: 2, failed: 0 }]);
    // r2 is done on w2 now; then the requeued r1 and r3 go before the waiting r4
    h.reply('w2', h.sink.of('dispatch')[1]!.jobId);
    h.reply('w2', h.sink.of('dispatch').at(-1)!.jobId);
    h.reply('w2', h.sink.of('dispatch').at(-1)!.jobId);
    expect(h.sink.of('dispatch').map((d) => `${d.requestId}@${d.worker}`)).toEqual([
      'r1@w1',
      'r2@w2',
      'r3@w1',
      'r1@w2',
      'r3@w2',
      'r4@w2',
    ]);
  });

  it('answers WORKER_FAILED once a request has lost more workers than the retry limit', () => {
    const h = new Harness({ maxRetries: 2 });
    h.submit('c', 'poison', { model: '' }); // refused: no model yet
    h.sink.take();
    h.worker('w1', 1);
    h.submit('c', 'poison');
    // each worker that takes it is lost: 1 attempt + 2 retries, then the answer
    for (let i = 1; i <= 3; i++) {
      if (i > 1) h.worker(`w${i}`, 1);
      expect(h.sink.of('fail')).toHaveLength(0);
      h.scheduler.workerUnreachable(`w${i}`, h.now);
    }
    h.worker('w4', 1);
    expect(h.sink.of('fail')).toMatchObject([{ requestId: 'poison', code: ErrorCode.WORKER_FAILED }]);
    expect(h.sink.of('dispatch').map((d) => d.worker)).toEqual(['w1', 'w2', 'w3']);
  });

  it('answers WORKER_FAILED at once with retries disabled', () => {
    const h = new Harness({ maxRetries: 0 });
    h.worker('w1', 1);
    h.worker('w2', 1);
    h.submit('c', 'r1');
    h.scheduler.workerDisconnected('w1', h.now);
    expect(h.sink.of('fail')).toMatchObject([{ requestId: 'r1', code: ErrorCode.WORKER_FAILED }]);
    expect(h.sink.of('dispatch')).toHaveLength(1);
  });

  it('discards a late reply from a dropped worker and tells it DISCONNECT: one answer per request', () => {
    const h = new Harness();
    h.worker('w1', 1);
    h.worker('w2', 1);
    h.submit('c', 'r1');
    const first = h.sink.of('dispatch')[0]!;
    h.scheduler.workerUnreachable(first.worker, h.now);
    const second = h.sink.of('dispatch')[1]!;
    expect(second.worker).not.toBe(first.worker);
    expect(second.jobId).not.toBe(first.jobId);
    h.reply(first.worker, first.jobId, 'from-dead');
    expect(h.sink.of('disconnect')).toEqual([{ type: 'disconnect', worker: first.worker }]);
    h.reply(second.worker, second.jobId, 'from-live');
    h.reply(second.worker, second.jobId, 'again');
    expect(h.sink.of('reply')).toMatchObject([{ requestId: 'r1', result: 'from-live' }]);
    expect(h.sink.of('discard').map((d) => d.reason)).toEqual(['late-reply', 'unknown-job']);
  });

  it('discards a reply naming a job that another worker holds', () => {
    const h = new Harness();
    h.worker('w1', 1);
    h.worker('w2', 1);
    h.submit('c', 'r1');
    const d = h.sink.of('dispatch')[0]!;
    const other = d.worker === 'w1' ? 'w2' : 'w1';
    h.reply(other, d.jobId);
    expect(h.sink.of('reply')).toHaveLength(0);
    expect(h.sink.of('discard')).toMatchObject([{ worker: other, reason: 'wrong-worker' }]);
    h.reply(d.worker, d.jobId);
    expect(h.sink.of('reply')).toHaveLength(1);
  });

  it("forwards a worker's error as the request's answer", () => {
    const h = new Harness();
    h.worker('w1', 1);
    h.submit('c', 'r1');
    h.error('w1', h.sink.of('dispatch')[0]!.jobId, ErrorCode.INVALID_IMAGE, 'not an image');
    expect(h.sink.of('fail')).toMatchObject([
      { requestId: 'r1', code: ErrorCode.INVALID_IMAGE, message: 'not an image' },
    ]);
  });

  it('a worker answering SHUTTING_DOWN gets no new jobs; its request goes to another worker', () => {
    const h = new Harness();
    h.worker('leaving', 2);
    h.submit('c', 'r1');
    h.error('leaving', h.sink.of('dispatch')[0]!.jobId, ErrorCode.SHUTTING_DOWN);
    expect(h.sink.of('fail')).toHaveLength(0);
    expect(h.sink.of('dispatch')).toHaveLength(1);
    h.worker('w2', 1);
    expect(h.sink.of('dispatch').map((d) => d.worker)).toEqual(['leaving', 'w2']);
  });

  it('a READY from a registered routing id replaces the old registration and re-sends its jobs', () => {
    const h = new Harness();
    h.worker('w1', 1);
    h.submit('c', 'r1');
    h.worker('w1', 1);
    expect(h.sink.of('lost')).toMatchObject([{ worker: 'w1', reason: 'replaced', requeued: 1 }]);
    const [first, second] = h.sink.of('dispatch');
    expect(second!.requestId).toBe('r1');
    expect(second!.jobId).not.toBe(first!.jobId);
  });

  it('a worker that is not registered and heartbeats is told DISCONNECT (so it registers again)', () => {
    const h = new Harness();
    h.heartbeat('stranger');
    expect(h.sink.of('disconnect')).toEqual([{ type: 'disconnect', worker: 'stranger' }]);
  });

  it('heartbeats every live worker on each tick and keeps those that speak', () => {
    const h = new Harness();
    h.worker('w1', 1);
    h.worker('w2', 1);
    for (let i = 0; i < 10; i++) {
      h.heartbeat('w1');
      h.heartbeat('w2');
      h.advance(1000, { tick: true });
    }
    expect(h.sink.of('heartbeat')).toHaveLength(20);
    expect(h.sink.of('lost')).toHaveLength(0);
  });
});

describe('duplicate request ids', () => {
  it('a request id still pending from the same client is not run twice', () => {
    const h = new Harness();
    h.worker('w1', 2);
    h.submit('c', 'r1');
    h.submit('c', 'r1');
    expect(h.sink.of('dispatch')).toHaveLength(1);
    expect(h.sink.of('duplicate')).toEqual([{ type: 'duplicate', requestId: 'r1', client: 'c' }]);
    h.reply('w1', h.sink.of('dispatch')[0]!.jobId);
    expect(h.sink.of('reply')).toHaveLength(1);
  });

  it('the same id from another client, or after the answer, is a new request', () => {
    const h = new Harness();
    h.worker('w1', 4);
    h.submit('c1', 'r1');
    h.submit('c2', 'r1');
    expect(h.sink.of('dispatch')).toHaveLength(2);
    h.reply('w1', h.sink.of('dispatch')[0]!.jobId);
    h.submit('c1', 'r1');
    expect(h.sink.of('dispatch')).toHaveLength(3);
    expect(h.sink.of('duplicate')).toHaveLength(0);
  });
});

describe('shutdown', () => {
  it('refuses new requests while draining, keeps serving accepted ones, then answers the rest', () => {
    const h = new Harness();
    h.worker('w1', 1);
    h.submit('c', 'inflight');
    h.submit('c', 'queued1');
    h.submit('c', 'queued2');
    h.scheduler.beginDrain();
    h.submit('c', 'late');
    expect(h.sink.of('reject')).toMatchObject([{ requestId: 'late', code: ErrorCode.SHUTTING_DOWN }]);
    h.reply('w1', h.sink.of('dispatch')[0]!.jobId);
    expect(h.sink.of('dispatch').map((d) => d.requestId)).toEqual(['inflight', 'queued1']);
    expect(h.scheduler.active).toBe(2);
    h.scheduler.abortAll(h.now);
    expect(
      h.sink
        .of('fail')
        .map((f) => `${f.requestId}:${f.code}`)
        .sort(),
    ).toEqual(['queued1:SHUTTING_DOWN', 'queued2:SHUTTING_DOWN']);
    expect(h.scheduler.active).toBe(0);
    h.scheduler.disconnectAll();
    expect(h.sink.of('disconnect')).toEqual([{ type: 'disconnect', worker: 'w1' }]);
  });
});

describe('clients', () => {
  it('are forgotten a minute after they were last seen, unless requests are pending', () => {
    const h = new Harness({ models: ['m'] });
    h.submit('idle', 'r1', { timeoutMs: 1000 });
    h.submit('busy', 'r1', { timeoutMs: 3_600_000 });
    h.advance(61_000, { tick: true });
    expect([...h.scheduler.clients.values()].map((c) => c.key)).toEqual(['busy']);
  });
});
