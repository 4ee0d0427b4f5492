/** A SchedulerSink that records every action, and helpers to drive a Scheduler in unit tests. */
import type { ErrorCode, WorkerInfo } from '@yolomq/protocol';
import type { ClientState } from '../../src/scheduler/clients.js';
import type { Job } from '../../src/scheduler/job.js';
import { type IncomingRequest, Scheduler, type SchedulerOptions } from '../../src/scheduler/scheduler.js';
import type { DiscardReason, SchedulerSink, WorkerLossReason } from '../../src/scheduler/sink.js';
import type { WorkerState } from '../../src/workers/worker.js';

export type Action =
  | {
      type: 'dispatch';
      requestId: string;
      client: string;
      jobId: string;
      worker: string;
      budgetMs: number;
      queuedMs: number;
    }
  | { type: 'reply'; requestId: string; client: string; result: string; at: number }
  | { type: 'fail'; requestId: string; client: string; code: ErrorCode; message: string; at: number }
  | { type: 'reject'; requestId: string; client: string; model: string; code: ErrorCode; message: string }
  | { type: 'duplicate'; requestId: string; client: string }
  | { type: 'heartbeat'; worker: string }
  | { type: 'disconnect'; worker: string }
  | { type: 'joined'; worker: string; model: string }
  | { type: 'refused'; worker: string; reason: string }
  | { type: 'lost'; worker: string; reason: WorkerLossReason; requeued: number; failed: number }
  | { type: 'discard'; worker: string; jobId: string; reason: DiscardReason };

export class RecordingSink implements SchedulerSink {
  readonly actions: Action[] = [];

  dispatch(job: Job, worker: WorkerState<Job>, budgetMs: number, queuedMs: number): void {
    this.actions.push({
      type: 'dispatch',
      requestId: job.requestId,
      client: job.client.key,
      jobId: job.jobId,
      worker: worker.key,
      budgetMs,
      queuedMs,
    });
  }
  reply(job: Job, result: Buffer, now: number): void {
    this.actions.push({
      type: 'reply',
      requestId: job.requestId,
      client: job.client.key,
      result: result.toString(),
      at: now,
    });
  }
  fail(job: Job, code: ErrorCode, message: string, now: number): void {
    this.actions.push({ type: 'fail', requestId: job.requestId, client: job.client.key, code, message, at: now });
  }
  reject(
    client: ClientState,
    _frame: Buffer,
    requestId: string,
    model: string,
    code: ErrorCode,
    message: string,
  ): void {
    this.actions.push({ type: 'reject', requestId, client: client.key, model, code, message });
  }
  duplicate(job: Job): void {
    this.actions.push({ type: 'duplicate', requestId: job.requestId, client: job.client.key });
  }
  heartbeat(worker: WorkerState<Job>): void {
    this.actions.push({ type: 'heartbeat', worker: worker.key });
  }
  disconnect(routingId: Buffer): void {
    this.actions.push({ type: 'disconnect', worker: routingId.toString('latin1') });
  }
  workerJoined(worker: WorkerState<Job>): void {
    this.actions.push({ type: 'joined', worker: worker.key, model: worker.model });
  }
  refused(routingId: Buffer, reason: string): void {
    this.actions.push({ type: 'refused', worker: routingId.toString('latin1'), reason });
  }
  workerLost(worker: WorkerState<Job>, reason: WorkerLossReason, requeued: number, failed: number): void {
    this.actions.push({ type: 'lost', worker: worker.key, reason, requeued, failed });
  }
  discard(workerKey: string, jobId: string, reason: DiscardReason): void {
    this.actions.push({ type: 'discard', worker: workerKey, jobId, reason });
  }

  /** Removes and returns the actions recorded so far. */
  take(): Action[] {
    return this.actions.splice(0);
  }

  of<T extends Action['type']>(type: T): Extract<Action, { type: T }>[] {
    return this.actions.filter((a): a is Extract<Action, { type: T }> => a.type === type);
  }
}

export const DEFAULTS: SchedulerOptions = {
  defaultModel: undefined,
  models: [],
  maxRetries: 2,
  defaultTimeoutMs: 30_000,
  queueMaxRequests: 10_000,
  queueMaxBytes: 512 * 1024 * 1024,
  maxInflightPerClient: 1000,
  heartbeatMs: 1000,
  heartbeatLiveness: 3,
};

/** A scheduler with a recording sink and a hand-moved clock, plus terse ways to drive it. */
export class Harness {
  readonly sink = new RecordingSink();
  readonly scheduler: Scheduler;
  now = 0;

  constructor(options: Partial<SchedulerOptions> = {}) {
    this.scheduler = new Scheduler({ ...DEFAULTS, ...options }, this.sink);
  }

  /** Moves the clock and runs deadlines (as the broker's timer would) and, optionally, the heartbeat tick. */
  advance(ms: number, { tick = false } = {}): void {
    this.now += ms;
    this.scheduler.expire(this.now);
    if (tick) this.scheduler.tick(this.now);
  }

  worker(key: string, credit = 1, model = 'm', extra: Partial<WorkerInfo> = {}): void {
    this.scheduler.workerReady(
      Buffer.from(key, 'latin1'),
      key,
      model,
      { workerId: key, credit, host: 'test', pid: 1, version: 't', ...extra },
      this.now,
    );
  }

  submit(client: string, requestId: string, opts: { model?: string; timeoutMs?: number; bytes?: number } = {}): void {
    const request: IncomingRequest = {
      requestId,
      requestIdFrame: Buffer.from(requestId),
      model: opts.model ?? 'm',
      options: opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs },
      optionsFrame: Buffer.alloc(0),
      image: Buffer.alloc(opts.bytes ?? 10),
    };
    this.scheduler.submit(Buffer.from(client, 'latin1'), client, request, this.now);
  }

  /** The worker answers the job it holds for this request (found from the dispatch actions). */
  reply(worker: string, jobId: string, result = 'ok'): void {
    this.scheduler.workerReply(worker, Buffer.from(worker, 'latin1'), jobId, Buffer.from(result), this.now);
  }

  error(worker: string, jobId: string, code: ErrorCode, message = 'failed'): void {
    this.scheduler.workerError(worker, Buffer.from(worker, 'latin1'), jobId, code, message, this.now);
  }

  heartbeat(worker: string): void {
    this.scheduler.workerHeartbeat(worker, Buffer.from(worker, 'latin1'), this.now);
  }
}
