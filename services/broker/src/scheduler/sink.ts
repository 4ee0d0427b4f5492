/**
 * What the scheduler decides, as calls on a one-interface sink (the nats.js parser style). The shell
 * implements it with sockets, metrics and logs; unit tests implement it with an array of records.
 * Emitting into a sink instead of returning arrays of action objects keeps the hot path free of
 * per-message allocations.
 */
import type { ErrorCode } from '@yolomq/protocol';
import type { WorkerState } from '../workers/worker.js';
import type { ClientState } from './clients.js';
import type { Job } from './job.js';

export type WorkerLossReason = 'silent' | 'disconnected' | 'unreachable' | 'replaced';

/** Why a worker message was discarded without effect. */
export type DiscardReason = 'unknown-job' | 'late-reply' | 'wrong-worker';

export interface SchedulerSink {
  /** Send the job (its current jobId) to the worker, with the time left and the time it waited. */
  dispatch(job: Job, worker: WorkerState<Job>, budgetMs: number, queuedMs: number): void;
  /** Answer the job's client with the worker's result (the frame untouched). The job is done. */
  reply(job: Job, result: Buffer, now: number): void;
  /** Answer the job's client with an error. The job is done (or, for deadlines, answered). */
  fail(job: Job, code: ErrorCode, message: string, now: number): void;
  /** Answer a request that was never accepted (no job exists for it). */
  reject(
    client: ClientState,
    requestIdFrame: Buffer,
    requestId: string,
    model: string,
    code: ErrorCode,
    message: string,
  ): void;
  /** A request id already pending from the same client was received again and ignored. */
  duplicate(job: Job): void;
  /** Send a HEARTBEAT to the worker. */
  heartbeat(worker: WorkerState<Job>): void;
  /** Send DISCONNECT to this routing id (a worker that is leaving, or one the broker does not know). */
  disconnect(routingId: Buffer): void;
  workerJoined(worker: WorkerState<Job>): void;
  /** A worker's READY was refused (it is then told DISCONNECT). */
  refused(routingId: Buffer, reason: string): void;
  /** A worker was dropped; `requeued` of its jobs go to another worker, `failed` were answered WORKER_FAILED. */
  workerLost(worker: WorkerState<Job>, reason: WorkerLossReason, requeued: number, failed: number): void;
  /** A worker's answer matched no job it holds, or answered a job already answered; it was dropped. */
  discard(workerKey: string, jobId: string, reason: DiscardReason): void;
}
