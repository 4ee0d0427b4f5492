/** The dispatcher: FIFO to idle threads, deadlines, thread death, shutdown. */
import { describe, expect, it } from 'vitest';
import { Dispatcher } from '../src/dispatch/dispatcher.js';

const job = (jobId: string, deadlineAt = 1e9, generation = 0) => ({ jobId, deadlineAt, generation });

describe('Dispatcher', () => {
  it('hands jobs to idle threads in order and queues the rest', () => {
    const d = new Dispatcher(2);
    expect(d.enqueue(job('a'), 0).run).toEqual([]); // no thread up yet
    expect(d.threadUp(0, 0).run).toEqual([{ thread: 0, job: job('a') }]);
    d.threadUp(1, 0);
    expect(d.enqueue(job('b'), 0).run).toEqual([{ thread: 1, job: job('b') }]);
    expect(d.enqueue(job('c'), 0).run).toEqual([]);
    expect(d.queued).toBe(1);
    const done = d.threadDone(1, 'b', 0);
    expect(done.job).toEqual(job('b'));
    expect(done.step.run).toEqual([{ thread: 1, job: job('c') }]);
    expect(d.running).toBe(2);
  });

  it('ignores an answer for a job the thread is not running', () => {
    const d = new Dispatcher(1);
    d.threadUp(0, 0);
    d.enqueue(job('a'), 0);
    expect(d.threadDone(0, 'zzz', 0).job).toBeUndefined();
    expect(d.heldBy(0)).toEqual([job('a')]);
  });

  it('expires jobs whose deadline passed while they waited', () => {
    const d = new Dispatcher(1);
    d.threadUp(0, 0);
    d.enqueue(job('a'), 0);
    d.enqueue(job('late', 50), 0);
    d.enqueue(job('ok', 500), 0);
    // an expired job at the head of the queue is answered at once, even with no thread free
    expect(d.enqueue(job('later', 60), 100).expired.map((j) => j.jobId)).toEqual(['late']);
    const step = d.threadDone(0, 'a', 100).step;
    expect(step.run.map((r) => r.job.jobId)).toEqual(['ok']);
    expect(step.expired.map((j) => j.jobId)).toEqual(['later']);
    expect(d.queued).toBe(0);
  });

  it('returns the job of a thread that died and keeps its slot down until it is back', () => {
    const d = new Dispatcher(1);
    d.threadUp(0, 0);
    d.enqueue(job('a'), 0);
    d.enqueue(job('b'), 0);
    expect(d.threadDown(0)).toEqual([job('a')]);
    expect(d.threadsUp).toBe(0);
    expect(d.threadUp(0, 0).run).toEqual([{ thread: 0, job: job('b') }]);
  });

  it('with depth 2, gives every thread one job before any gets a second, then queues', () => {
    const d = new Dispatcher(2, 2);
    d.threadUp(0, 0);
    d.threadUp(1, 0);
    const threads = ['a', 'b', 'c', 'd', 'e'].map((id) => d.enqueue(job(id), 0).run.map((r) => r.thread));
    expect(threads).toEqual([[0], [1], [0], [1], []]);
    expect(d.running).toBe(4);
    expect(d.queued).toBe(1);
    // a thread answering its second job first is fine: the id is what counts
    expect(d.threadDone(0, 'c', 0).step.run).toEqual([{ thread: 0, job: job('e') }]);
    expect(d.heldBy(0).map((j) => j.jobId)).toEqual(['a', 'e']);
    expect(d.threadDown(1).map((j) => j.jobId)).toEqual(['b', 'd']);
  });

  it('a deeper thread (a batch and the next one) takes more jobs once the depth is set', () => {
    const d = new Dispatcher(1, 2);
    d.threadUp(0, 0);
    for (const id of ['a', 'b', 'c', 'd', 'e']) d.enqueue(job(id), 0);
    expect(d.running).toBe(2);
    expect(d.setDepth(4, 0).run.map((r) => r.job.jobId)).toEqual(['c', 'd']);
    expect(d.queued).toBe(1);
  });

  it('gives back queued jobs on shutdown or reconnect, by filter', () => {
    const d = new Dispatcher(1);
    d.enqueue(job('a', 1e9, 0), 0);
    d.enqueue(job('b', 1e9, 1), 0);
    expect(d.takeQueued((j) => j.generation <= 0).map((j) => j.jobId)).toEqual(['a']);
    expect(d.takeQueued().map((j) => j.jobId)).toEqual(['b']);
    expect(d.queued).toBe(0);
  });
});
