/**
 * Which job runs on which inference thread: a FIFO of jobs the broker has sent (up to the credit,
 * K x batch plus the prefetch allowance) and, per thread, the jobs it holds: at most `depth` (2 x
 * batch in the worker: one batch computing, the next one gathering and decoding). A job goes to the least-loaded thread, so every thread
 * gets one before any gets two. Pure: events in, assignments and expirations out, the time passed in.
 * The main thread's shell (worker.ts) does the sending.
 */

export interface DispatchJob {
  jobId: string;
  /** wall-clock ms after which the job is not worth starting */
  deadlineAt: number;
  /** which broker connection brought it (results of older connections are dropped) */
  generation: number;
}

export interface Assignment<J> {
  thread: number;
  job: J;
}

export interface DispatchStep<J> {
  run: Assignment<J>[];
  /** jobs whose deadline passed while they waited here: answer DEADLINE_EXCEEDED */
  expired: J[];
}

export class Dispatcher<J extends DispatchJob> {
  private readonly queue: J[] = [];
  private head = 0;
  /** slots[t]: the jobs thread t holds, oldest first; undefined while the thread is down */
  private readonly slots: Array<J[] | undefined>;

  constructor(
    threads: number,
    private depth = 1,
  ) {
    this.slots = new Array(threads).fill(undefined);
  }

  /** Sets how many jobs a thread may hold (the worker knows it once the threads have read the model). */
  setDepth(depth: number, now: number): DispatchStep<J> {
    this.depth = depth;
    return this.step(now);
  }

  get queued(): number {
    return this.queue.length - this.head;
  }

  /** jobs held by threads */
  get running(): number {
    return this.slots.reduce((n, s) => n + (s?.length ?? 0), 0);
  }

  get threadsUp(): number {
    return this.slots.filter((s) => s !== undefined).length;
  }

  /** The jobs thread t holds, oldest first. */
  heldBy(thread: number): readonly J[] {
    return this.slots[thread] ?? [];
  }

  enqueue(job: J, now: number): DispatchStep<J> {
    this.queue.push(job);
    return this.step(now);
  }

  /** Thread t is up (started or restarted) and idle. */
  threadUp(thread: number, now: number): DispatchStep<J> {
    this.slots[thread] = [];
    return this.step(now);
  }

  /** Thread t answered a job: returns that job (undefined when the thread does not hold that id). */
  threadDone(thread: number, jobId: string, now: number): { job: J | undefined; step: DispatchStep<J> } {
    const held = this.slots[thread];
    const index = held?.findIndex((j) => j.jobId === jobId) ?? -1;
    if (held === undefined || index < 0) return { job: undefined, step: this.step(now) };
    const [job] = held.splice(index, 1);
    return { job, step: this.step(now) };
  }

  /** Thread t died: returns the jobs it held (to be answered INTERNAL); its slot stays down. */
  threadDown(thread: number): J[] {
    const held = this.slots[thread] ?? [];
    this.slots[thread] = undefined;
    return held;
  }

  /** Puts jobs back at the head of the queue, in the given order (jobs a dead thread held but had not started). */
  requeue(jobs: readonly J[], now: number): DispatchStep<J> {
    this.queue.splice(this.head, 0, ...jobs);
    return this.step(now);
  }

  /** Removes and returns every queued job (not the running ones), e.g. at shutdown. */
  takeQueued(filter: (job: J) => boolean = () => true): J[] {
    const all = this.queue.slice(this.head);
    this.queue.length = 0;
    this.head = 0;
    const taken: J[] = [];
    for (const job of all) (filter(job) ? taken : this.queue).push(job);
    return taken;
  }

  /** Hands queued jobs to idle threads, skipping (and returning) the expired ones. */
  private step(now: number): DispatchStep<J> {
    const run: Assignment<J>[] = [];
    const expired: J[] = [];
    while (this.head < this.queue.length) {
      const t = this.leastLoaded();
      if (t < 0) break;
      const job = this.take();
      if (now >= job.deadlineAt) {
        expired.push(job);
        continue;
      }
      this.slots[t]!.push(job);
      run.push({ thread: t, job });
    }
    // Expired jobs at the head are answered even when no thread is idle.
    while (this.head < this.queue.length && now >= this.queue[this.head]!.deadlineAt) {
      expired.push(this.take());
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    return { run, expired };
  }

  /**
   * Takes the job at the head and clears its array slot: a consumed slot must not keep the job (and its
   * image) alive until the next compaction, or up to 1024 images stay resident (the soak saw it).
   */
  private take(): J {
    const job = this.queue[this.head]!;
    (this.queue as Array<J | undefined>)[this.head] = undefined;
    this.head++;
    return job;
  }

  /** The up thread holding the fewest jobs, below the depth; -1 when none. */
  private leastLoaded(): number {
    let best = -1;
    let load = this.depth;
    for (let t = 0; t < this.slots.length; t++) {
      const held = this.slots[t];
      if (held !== undefined && held.length < load) {
        best = t;
        load = held.length;
      }
    }
    return best;
  }
}
