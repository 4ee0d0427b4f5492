/** The batcher: gathers up to B jobs, flushes after T ms, never holds a job into its deadline. */
import { describe, expect, it } from 'vitest';
import { Batcher } from '../src/inference/batcher.js';

const job = (id: string, arrivedAt: number, deadlineAt = 1e9) => ({ id, arrivedAt, deadlineAt });
const ids = (jobs: ReadonlyArray<{ id: string }>) => jobs.map((j) => j.id);
type Job = ReturnType<typeof job>;

describe('Batcher', () => {
  it('with batch 1, runs each job as soon as the thread is free, in order', () => {
    const b = new Batcher<Job>(1, 50);
    b.add(job('a', 0));
    b.add(job('b', 0));
    expect(b.next(0)).toEqual({ run: [job('a', 0)], expired: [], waitMs: undefined });
    expect(ids(b.next(0).run)).toEqual(['b']);
    expect(b.next(0)).toEqual({ run: [], expired: [], waitMs: undefined });
  });

  it('gathers up to B jobs: a full batch runs at once, without waiting for the delay', () => {
    const b = new Batcher<Job>(4, 10);
    for (const id of ['a', 'b', 'c']) b.add(job(id, 100));
    expect(b.next(101)).toEqual({ run: [], expired: [], waitMs: 9 });
    b.add(job('d', 101));
    b.add(job('e', 101));
    expect(ids(b.next(101).run)).toEqual(['a', 'b', 'c', 'd']);
    expect(b.size).toBe(1);
  });

  it('flushes what it has once the oldest job has waited T ms', () => {
    const b = new Batcher<Job>(4, 10);
    b.add(job('a', 100));
    b.add(job('b', 105));
    // the wait counts from the oldest job, not from the newest
    expect(b.next(105).waitMs).toBe(5);
    expect(b.next(109.9).run).toEqual([]);
    expect(ids(b.next(110).run)).toEqual(['a', 'b']);
  });

  it('holds a lone job no longer than T ms, and not at all with T = 0', () => {
    const b = new Batcher<Job>(8, 2);
    b.add(job('lone', 1000));
    const step = b.next(1000);
    expect(step.run).toEqual([]);
    expect(step.waitMs).toBeLessThanOrEqual(2);
    expect(ids(b.next(1000 + step.waitMs!).run)).toEqual(['lone']);

    const eager = new Batcher<Job>(8, 0);
    eager.add(job('now', 1000));
    expect(ids(eager.next(1000).run)).toEqual(['now']);
  });

  it('a job that arrived while the thread computed (waited T already) runs with what is there', () => {
    const b = new Batcher<Job>(4, 2);
    b.add(job('a', 0));
    b.add(job('b', 30));
    expect(ids(b.next(50).run)).toEqual(['a', 'b']);
  });

  it('never holds a job into the last T ms before its deadline', () => {
    const b = new Batcher<Job>(4, 10);
    b.add(job('relaxed', 100));
    b.add(job('tight', 100, 105));
    // tight has 5 ms left, less than the delay: the batch runs now, with both
    expect(ids(b.next(100).run)).toEqual(['relaxed', 'tight']);

    b.add(job('soon', 200, 215));
    expect(b.next(200).waitMs).toBe(5); // due at 215 - 10, before 200 + 10
  });

  it('hands back the jobs whose deadline passed, and runs the others', () => {
    const b = new Batcher<Job>(4, 10);
    b.add(job('a', 0));
    b.add(job('late', 0, 5));
    b.add(job('b', 0));
    const step = b.next(20);
    expect(ids(step.expired)).toEqual(['late']);
    expect(ids(step.run)).toEqual(['a', 'b']);
    // only expired jobs: nothing to run, nothing to wait for
    b.add(job('gone', 30, 31));
    expect(b.next(40)).toEqual({ run: [], expired: [job('gone', 30, 31)], waitMs: undefined });
  });

  it('refuses a batch size below 1', () => {
    expect(() => new Batcher<Job>(0, 2)).toThrow(/batch size/);
  });
});
