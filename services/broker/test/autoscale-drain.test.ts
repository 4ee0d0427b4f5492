/**
 * Scale-down without losing a request, at the scheduler level: the actuator's stopRouting() keeps new
 * jobs away from the chosen worker while it finishes what it holds; and a worker that is told to stop
 * by someone else (SIGTERM from Kubernetes or docker) answers SHUTTING_DOWN, which puts the request back
 * for another worker without spending one of its retries.
 */
import { ErrorCode } from '@yolomq/protocol';
import { describe, expect, it } from 'vitest';
import { workerControl } from '../src/autoscale/shell.js';
import { Harness } from './support/recording-sink.js';

describe('draining a worker for scale-down', () => {
  it('stops routing to it, lets it finish what it holds, and loses nothing when it leaves', () => {
    const h = new Harness();
    h.worker('old', 2);
    h.worker('stays', 2);
    const control = workerControl(h.scheduler);
    expect(control.liveWorkers('m').sort()).toEqual(['old', 'stays']);
    h.submit('c', 'r1');
    const first = h.sink.of('dispatch')[0]!;
    const victim = first.worker;
    const other = victim === 'old' ? 'stays' : 'old';
    expect(control.stopRouting(victim)).toBe(true);
    expect(control.inflight(victim)).toBe(1);
    // new requests all go to the other worker, then wait in the queue (the victim has free credit but is draining)
    for (const id of ['r2', 'r3', 'r4']) h.submit('c', id);
    const dispatched = h.sink.of('dispatch').slice(1);
    expect(dispatched.map((d) => d.worker)).toEqual([other, other]);
    expect(h.scheduler.model('m')!.queue.count).toBe(1);
    // the victim finishes its job: answered, and its slot is not refilled
    h.reply(victim, first.jobId, 'done');
    expect(h.sink.of('reply').map((r) => r.requestId)).toEqual(['r1']);
    expect(control.inflight(victim)).toBe(0);
    expect(h.sink.of('dispatch')).toHaveLength(3);
    // it says DISCONNECT (SIGTERM's graceful path): nothing to re-send
    h.scheduler.workerDisconnected(victim, h.now);
    expect(h.sink.of('lost')).toMatchObject([{ worker: victim, reason: 'disconnected', requeued: 0, failed: 0 }]);
    expect(control.inflight(victim)).toBeUndefined();
    expect(control.stopRouting(victim)).toBe(false);
    // the rest are served by the other worker
    for (const d of dispatched) h.reply(other, d.jobId);
    const last = h.sink.of('dispatch').at(-1)!;
    expect(last).toMatchObject({ requestId: 'r4', worker: other });
    h.reply(other, last.jobId);
    expect(h.sink.of('fail')).toEqual([]);
    expect(h.sink.of('reply')).toHaveLength(4);
  });

  it('a SHUTTING_DOWN answer puts the request back without spending a retry', () => {
    const h = new Harness({ maxRetries: 0 });
    h.worker('leaving-1', 1);
    h.submit('c', 'r1');
    h.error('leaving-1', h.sink.of('dispatch')[0]!.jobId, ErrorCode.SHUTTING_DOWN);
    // with no retries allowed, a lost worker would have failed the request; a leaving one does not
    expect(h.sink.of('fail')).toEqual([]);
    h.worker('leaving-2', 1);
    h.error('leaving-2', h.sink.of('dispatch')[1]!.jobId, ErrorCode.SHUTTING_DOWN);
    expect(h.sink.of('fail')).toEqual([]);
    h.worker('w3', 1);
    const last = h.sink.of('dispatch')[2]!;
    expect(last).toMatchObject({ requestId: 'r1', worker: 'w3' });
    h.reply('w3', last.jobId, 'ok');
    expect(h.sink.of('reply')).toMatchObject([{ requestId: 'r1', result: 'ok' }]);
  });
});
