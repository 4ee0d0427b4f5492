/** One registered worker as the broker sees it: identity, credit, what it holds, when it last spoke. */
import type { WorkerInfo } from '@yolomq/protocol';

/** A job the worker holds; the scheduler's Job satisfies it (kept minimal so this room imports no scheduler). */
export interface HeldJob {
  readonly jobId: string;
}

export class WorkerState<J extends HeldJob = HeldJob> {
  /** jobs sent to this worker and not yet answered (including ones whose deadline passed), in dispatch order */
  readonly jobs = new Set<J>();
  /** jobs answered by this worker (replies and worker errors) */
  served = 0;
  /** value of the scheduler's dispatch counter at this worker's latest dispatch (ties go to the latest) */
  lastDispatch = 0;
  lastSeen: number;
  /** false once the worker answered a job SHUTTING_DOWN: it is leaving, so it gets no new jobs */
  accepting = true;

  constructor(
    /** the routing id frame of its connection (the protocol makes it equal to info.workerId) */
    readonly routingId: Buffer,
    /** routingId as a map key */
    readonly key: string,
    readonly model: string,
    readonly info: WorkerInfo,
    readonly registeredAt: number,
  ) {
    this.lastSeen = registeredAt;
  }

  get credit(): number {
    return this.info.credit;
  }

  /** jobs outstanding at the worker: what counts against its credit */
  get inflight(): number {
    return this.jobs.size;
  }

  get freeCredit(): number {
    return this.info.credit - this.jobs.size;
  }
}
