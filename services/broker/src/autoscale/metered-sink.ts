/**
 * A SchedulerSink that tells the autoscaler about every answered request (with its service time when
 * a worker produced the answer) and then hands the call on to the real sink unchanged. It sits between
 * the scheduler and BrokerEffects, so neither needs to know the autoscaler exists.
 */
import type { ErrorCode } from '@yolomq/protocol';
import type { ClientState } from '../scheduler/clients.js';
import type { Job } from '../scheduler/job.js';
import type { DiscardReason, SchedulerSink, WorkerLossReason } from '../scheduler/sink.js';
import type { WorkerState } from '../workers/worker.js';
import type { Autoscaler } from './autoscaler.js';

export class MeteredSink implements SchedulerSink {
  constructor(
    private readonly inner: SchedulerSink,
    private readonly autoscaler: Autoscaler,
  ) {}

  reply(job: Job, result: Buffer, now: number): void {
    this.autoscaler.completed(job.model, job.client.key, now - job.dispatchedAt, now);
    this.inner.reply(job, result, now);
  }

  fail(job: Job, code: ErrorCode, message: string, now: number): void {
    this.autoscaler.completed(job.model, job.client.key, undefined, now);
    this.inner.fail(job, code, message, now);
  }

  dispatch(job: Job, worker: WorkerState<Job>, budgetMs: number, queuedMs: number): void {
    this.inner.dispatch(job, worker, budgetMs, queuedMs);
  }
  reject(
    client: ClientState,
    requestIdFrame: Buffer,
    requestId: string,
    model: string,
    code: ErrorCode,
    message: string,
  ): void {
    this.inner.reject(client, requestIdFrame, requestId, model, code, message);
  }
  duplicate(job: Job): void {
    this.inner.duplicate(job);
  }
  heartbeat(worker: WorkerState<Job>): void {
    this.inner.heartbeat(worker);
  }
  disconnect(routingId: Buffer): void {
    this.inner.disconnect(routingId);
  }
  workerJoined(worker: WorkerState<Job>): void {
    this.inner.workerJoined(worker);
  }
  refused(routingId: Buffer, reason: string): void {
    this.inner.refused(routingId, reason);
  }
  workerLost(worker: WorkerState<Job>, reason: WorkerLossReason, requeued: number, failed: number): void {
    this.inner.workerLost(worker, reason, requeued, failed);
  }
  discard(workerKey: string, jobId: string, reason: DiscardReason): void {
    this.inner.discard(workerKey, jobId, reason);
  }
}
