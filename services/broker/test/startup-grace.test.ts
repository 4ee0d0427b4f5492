/**
 * The start-up grace (YOLOMQ_STARTUP_GRACE_MS) and the per-client byte bound
 * (YOLOMQ_MAX_QUEUED_BYTES_PER_CLIENT), driven with a hand-moved clock.
 */
import { ErrorCode } from '@yolomq/protocol';
import { describe, expect, it } from 'vitest';
import { Harness } from './support/recording-sink.js';

describe('start-up grace', () => {
  it('a request for the unresolved default model waits for the first worker instead of UNKNOWN_MODEL', () => {
    const h = new Harness({ startupGraceMs: 5000, startedAt: 0 });
    h.submit('c', 'early', { model: '', timeoutMs: 10_000 });
    expect(h.sink.of('reject')).toEqual([]);
    expect(h.scheduler.waitingForModel).toBe(1);
    expect(h.scheduler.nextDue()).toBe(5000);
    h.advance(800);
    h.worker('w1', 1, 'yolo');
    const [d] = h.sink.of('dispatch');
    expect(d).toMatchObject({ requestId: 'early', worker: 'w1', queuedMs: 800, budgetMs: 9200 });
    expect(h.scheduler.waitingForModel).toBe(0);
    h.reply('w1', d!.jobId);
    expect(h.sink.of('reply')).toHaveLength(1);
  });

  it('a named model not known yet waits too; other models registering do not release it', () => {
    const h = new Harness({ startupGraceMs: 5000, startedAt: 0 });
    h.submit('c', 'r1', { model: 'big' });
    h.worker('w1', 1, 'small');
    expect(h.sink.of('dispatch')).toEqual([]);
    h.advance(1000);
    h.worker('w2', 1, 'big');
    expect(h.sink.of('dispatch')).toMatchObject([{ requestId: 'r1', worker: 'w2' }]);
  });

  it('after the grace, still-unknown models are answered UNKNOWN_MODEL, and new ones at once', () => {
    const h = new Harness({ startupGraceMs: 5000, startedAt: 0 });
    h.submit('c', 'r1', { model: 'nope' });
    h.submit('c', 'r2', { model: '' });
    h.advance(4999);
    expect(h.sink.of('reject')).toEqual([]);
    h.advance(1);
    expect(h.sink.of('reject').map((r) => [r.requestId, r.code])).toEqual([
      ['r1', ErrorCode.UNKNOWN_MODEL],
      ['r2', ErrorCode.UNKNOWN_MODEL],
    ]);
    h.sink.take();
    h.submit('c', 'r3', { model: 'nope' });
    expect(h.sink.of('reject')).toMatchObject([{ requestId: 'r3', code: ErrorCode.UNKNOWN_MODEL }]);
  });

  it("a waiting request's deadline applies", () => {
    const h = new Harness({ startupGraceMs: 5000, startedAt: 0 });
    h.submit('c', 'r1', { model: '', timeoutMs: 1000 });
    expect(h.scheduler.nextDue()).toBe(1000);
    h.advance(1000);
    expect(h.sink.of('reject')).toMatchObject([{ requestId: 'r1', code: ErrorCode.DEADLINE_EXCEEDED }]);
    h.worker('w1', 1, 'yolo');
    expect(h.sink.of('dispatch')).toEqual([]);
  });

  it('a client re-sending a waiting request id gets one answer', () => {
    const h = new Harness({ startupGraceMs: 5000, startedAt: 0 });
    h.submit('c', 'r1', { model: '' });
    h.submit('c', 'r1', { model: '' });
    expect(h.scheduler.waitingForModel).toBe(1);
    h.worker('w1', 2, 'yolo');
    expect(h.sink.of('dispatch')).toHaveLength(1);
  });

  it('the waiting room is bounded like a queue (QUEUE_FULL)', () => {
    const h = new Harness({ startupGraceMs: 5000, startedAt: 0, queueMaxRequests: 2 });
    h.submit('c', 'r1', { model: '' });
    h.submit('c', 'r2', { model: '' });
    h.submit('c', 'r3', { model: '' });
    expect(h.sink.of('reject')).toMatchObject([{ requestId: 'r3', code: ErrorCode.QUEUE_FULL }]);
  });

  it('a shutdown answers waiting requests SHUTTING_DOWN', () => {
    const h = new Harness({ startupGraceMs: 5000, startedAt: 0 });
    h.submit('c', 'r1', { model: '' });
    h.scheduler.beginDrain();
    h.scheduler.abortAll(h.now);
    expect(h.sink.of('reject')).toMatchObject([{ requestId: 'r1', code: ErrorCode.SHUTTING_DOWN }]);
    expect(h.scheduler.waitingForModel).toBe(0);
  });

  it('without a grace (the default) an unknown model is refused at once', () => {
    const h = new Harness();
    h.submit('c', 'r1', { model: '' });
    expect(h.sink.of('reject')).toMatchObject([{ requestId: 'r1', code: ErrorCode.UNKNOWN_MODEL }]);
  });
});

describe('bytes pending per client', () => {
  it('answers TOO_MANY_REQUESTS past the byte bound, other clients unaffected, and frees bytes on answer', () => {
    const h = new Harness({ maxQueuedBytesPerClient: 250, models: ['m'] });
    h.submit('c1', 'r1', { bytes: 100 });
    h.submit('c1', 'r2', { bytes: 100 });
    h.submit('c1', 'r3', { bytes: 100 });
    h.submit('c2', 'r1', { bytes: 100 });
    expect(h.sink.of('reject')).toMatchObject([{ client: 'c1', requestId: 'r3', code: ErrorCode.TOO_MANY_REQUESTS }]);
    h.sink.take();
    h.worker('w1', 1);
    const [d] = h.sink.of('dispatch');
    h.reply('w1', d!.jobId);
    h.submit('c1', 'r4', { bytes: 100 });
    expect(h.sink.of('reject')).toEqual([]);
  });

  it('an expired request no longer counts against its client', () => {
    const h = new Harness({ maxQueuedBytesPerClient: 150, models: ['m'] });
    h.submit('c1', 'r1', { bytes: 100, timeoutMs: 100 });
    h.advance(100);
    h.submit('c1', 'r2', { bytes: 100 });
    expect(h.sink.of('reject').filter((r) => r.code === ErrorCode.TOO_MANY_REQUESTS)).toEqual([]);
  });
});
