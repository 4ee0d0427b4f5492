/** A request the broker accepted, from acceptance to its one answer. */
import type { WorkerState } from '../workers/worker.js';
import type { ClientState } from './clients.js';
import type { JobList } from './job-list.js';

export const JobState = {
  /** waiting in its model's queue */
  QUEUED: 0,
  /** sent to a worker, not answered yet */
  IN_FLIGHT: 1,
  /**
   * answered DEADLINE_EXCEEDED while a worker still holds it: the worker's credit slot stays taken
   * until the worker answers (the answer is discarded) or a grace period ends
   */
  EXPIRED_AT_WORKER: 2,
  /** answered and forgotten */
  DONE: 3,
} as const;
export type JobState = (typeof JobState)[keyof typeof JobState];

const EMPTY = Buffer.alloc(0);

/**
 * A class, not an object literal, so every job has one hidden class (monomorphic property access on
 * the hot path). It carries intrusive links for the queue it waits in and its index in the deadline
 * heap, so queueing, unqueueing and deadline bookkeeping allocate nothing.
 */
export class Job {
  state: JobState = JobState.QUEUED;
  /** the current attempt's job id (a fresh one per dispatch, so a late reply to an older attempt matches nothing) */
  jobId = '';
  /** the worker holding it (when IN_FLIGHT or EXPIRED_AT_WORKER) */
  worker: WorkerState<Job> | undefined = undefined;
  /** dispatches so far */
  attempts = 0;
  /** workers lost while holding it */
  failures = 0;
  dispatchedAt = 0;
  /** when the deadline heap next looks at it: the deadline, then the end of the grace period */
  due: number;
  heapIndex = -1;
  /** intrusive links of the queue list it is in */
  prev: Job | undefined = undefined;
  next: Job | undefined = undefined;
  list: JobList | undefined = undefined;

  constructor(
    readonly client: ClientState,
    readonly requestId: string,
    /** the request id frame as the client sent it, echoed in the answer */
    readonly requestIdFrame: Buffer,
    readonly model: string,
    /** the client's OPTIONS frame, forwarded untouched */
    public optionsFrame: Buffer,
    /** the image frame, forwarded untouched (never copied) */
    public image: Buffer,
    readonly acceptedAt: number,
    readonly deadline: number,
  ) {
    this.due = deadline;
  }

  /** bytes this request holds in the broker (counted against the queue's byte bound) */
  get bytes(): number {
    return this.image.length + this.optionsFrame.length;
  }

  /** Drops the payload once the request is answered, so a job kept for bookkeeping holds no image. */
  releasePayload(): void {
    this.image = EMPTY;
    this.optionsFrame = EMPTY;
  }
}
