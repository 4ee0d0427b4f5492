/**
 * Dynamic batching for one inference thread, in the spirit of Triton's max_queue_delay: the jobs the
 * thread holds wait here until `max` of them are there, or the oldest has waited `delayMs`, whichever
 * comes first; then up to `max` run together. A job is never held into the last `delayMs` before its
 * deadline (it runs at once, with whatever is there), and a job whose deadline has passed is handed
 * back as expired instead of run. With max 1 every job runs as soon as the thread is free. Pure: the
 * time is passed in; the thread (thread.ts) keeps the timer.
 */

export interface Batchable {
  /** wall-clock ms when the thread received the job */
  arrivedAt: number;
  /** wall-clock ms after which the job is not worth starting */
  deadlineAt: number;
}

export interface BatchStep<J> {
  /** jobs to run now, in arrival order (empty: nothing to run yet) */
  run: J[];
  /** jobs whose deadline passed while they waited: answer DEADLINE_EXCEEDED */
  expired: J[];
  /** when nothing runs: ms until the held jobs are due (undefined: none held) */
  waitMs: number | undefined;
}

export class Batcher<J extends Batchable> {
  private readonly held: J[] = [];

  constructor(
    readonly max: number,
    readonly delayMs: number,
  ) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`batch size ${max}: a whole number >= 1 expected`);
  }

  get size(): number {
    return this.held.length;
  }

  add(job: J): void {
    this.held.push(job);
  }

  /** What the thread, free at `now`, does next. */
  next(now: number): BatchStep<J> {
    const expired: J[] = [];
    for (let i = 0; i < this.held.length; ) {
      if (now >= this.held[i]!.deadlineAt) expired.push(...this.held.splice(i, 1));
      else i++;
    }
    if (this.held.length === 0) return { run: [], expired, waitMs: undefined };
    let dueAt = this.held[0]!.arrivedAt + this.delayMs;
    for (const job of this.held) dueAt = Math.min(dueAt, job.deadlineAt - this.delayMs);
    if (this.held.length >= this.max || now >= dueAt) {
      return { run: this.held.splice(0, this.max), expired, waitMs: undefined };
    }
    return { run: [], expired, waitMs: dueAt - now };
  }
}
