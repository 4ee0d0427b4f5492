/**
 * The scheduler's decisions carried out: frames encoded (with the protocol's encoders) and sent,
 * metrics recorded, outcomes logged. The only SchedulerSink of the product code.
 */
import {
  DISCONNECT_MESSAGE,
  type ErrorCode,
  encodeError,
  encodeJobRequest,
  encodeReply,
  HEARTBEAT_MESSAGE,
  Limits,
  writeTiming,
} from '@yolomq/protocol';
import type { BrokerMetrics } from './http/metrics.js';
import type { Logger } from './logger.js';
import type { ClientState } from './scheduler/clients.js';
import type { Job } from './scheduler/job.js';
import type { DiscardReason, SchedulerSink, WorkerLossReason } from './scheduler/sink.js';
import type { RouterEndpoint } from './sockets/router-endpoint.js';
import type { WorkerState } from './workers/worker.js';

/** Label for requests whose model is not a known one (keeps the metrics' label set bounded). */
const UNKNOWN_MODEL_LABEL = 'unknown';

/**
 * Why the job id and timing frames of every dispatch are written into these two buffers instead of new
 * ones: zeromq.js copies a frame of at most 128 bytes into the ZeroMQ message inside send() (only
 * larger frames are sent zero-copy, keeping a reference), and the sockets' sends complete inside the
 * call (RouterEndpoint), so the buffers are free again when send() returns. A new small Buffer per
 * dispatch comes from Node's 8 KiB pool, whose refills are large mallocs that make glibc consolidate
 * the many small chunks ZeroMQ frames leave behind; measured, reusing these two took about 10% off the
 * broker's CPU per request at full load. test/zeromq-copy.test.ts guards the copy-on-send assumption.
 */
const JOB_ID_SCRATCH = Buffer.alloc(Limits.MAX_ID_BYTES);
const TIMING_SCRATCH = Buffer.alloc(8);

export class BrokerEffects implements SchedulerSink {
  /** decided once at start-up: per-request debug lines cost nothing when debug is off */
  private readonly debug: boolean;

  constructor(
    private readonly frontend: RouterEndpoint,
    private readonly backend: RouterEndpoint,
    private readonly metrics: BrokerMetrics,
    private readonly log: Logger,
    private readonly knownModel: (name: string) => boolean,
  ) {
    this.debug = log.isLevelEnabled('debug');
  }

  dispatch(job: Job, worker: WorkerState<Job>, budgetMs: number, queuedMs: number): void {
    // job ids are ASCII (hex prefix, '.', base 36) and at most a few dozen bytes
    const jobIdFrame = JOB_ID_SCRATCH.subarray(0, JOB_ID_SCRATCH.write(job.jobId, 'latin1'));
    const timing = writeTiming(TIMING_SCRATCH, budgetMs, queuedMs);
    const frames = encodeJobRequest(jobIdFrame, job.optionsFrame, timing, job.image);
    frames.unshift(worker.routingId);
    this.backend.send(frames);
    const m = this.metrics.model(job.model);
    m.queueWait.record(queuedMs / 1000);
    if (job.attempts > 1) m.retries++;
    if (this.debug) {
      this.log.debug(
        {
          requestId: job.requestId,
          jobId: job.jobId,
          model: job.model,
          worker: worker.info.workerId,
          attempt: job.attempts,
        },
        'request dispatched',
      );
    }
  }

  reply(job: Job, result: Buffer, now: number): void {
    const frames = encodeReply(job.requestIdFrame, result);
    frames.unshift(job.client.routingId);
    this.frontend.send(frames);
    const m = this.metrics.model(job.model);
    m.outcome('ok');
    m.service.record((now - job.dispatchedAt) / 1000);
    m.latency.record((now - job.acceptedAt) / 1000);
    if (this.debug) this.done(job, 'ok', now);
  }

  fail(job: Job, code: ErrorCode, message: string, now: number): void {
    const frames = encodeError(job.requestIdFrame, code, message);
    frames.unshift(job.client.routingId);
    this.frontend.send(frames);
    const m = this.metrics.model(job.model);
    m.outcome(code);
    m.latency.record((now - job.acceptedAt) / 1000);
    if (this.debug) this.done(job, code, now, message);
  }

  reject(
    client: ClientState,
    requestIdFrame: Buffer,
    requestId: string,
    model: string,
    code: ErrorCode,
    message: string,
  ): void {
    const frames = encodeError(requestIdFrame, code, message);
    frames.unshift(client.routingId);
    this.frontend.send(frames);
    this.metrics.model(this.knownModel(model) ? model : UNKNOWN_MODEL_LABEL).outcome(code);
    if (this.debug) this.log.debug({ requestId, model, outcome: code, reason: message }, 'request refused');
  }

  duplicate(job: Job): void {
    this.metrics.duplicateRequest();
    if (this.debug) this.log.debug({ requestId: job.requestId, model: job.model }, 'duplicate request id ignored');
  }

  heartbeat(worker: WorkerState<Job>): void {
    this.backend.send([worker.routingId, ...HEARTBEAT_MESSAGE]);
  }

  disconnect(routingId: Buffer): void {
    this.backend.send([routingId, ...DISCONNECT_MESSAGE]);
  }

  workerJoined(worker: WorkerState<Job>): void {
    const { workerId, credit, host, pid, version, concurrency } = worker.info;
    this.log.info({ workerId, model: worker.model, credit, concurrency, host, pid, version }, 'worker registered');
  }

  refused(routingId: Buffer, reason: string): void {
    this.log.warn({ worker: routingId.toString(), reason }, 'worker refused');
  }

  workerLost(worker: WorkerState<Job>, reason: WorkerLossReason, requeued: number, failed: number): void {
    this.metrics.workerLost(reason);
    const fields = {
      workerId: worker.info.workerId,
      model: worker.model,
      reason,
      requeued,
      failed,
      silentMs: Math.round(performance.now() - worker.lastSeen),
    };
    if (reason === 'disconnected' && requeued === 0 && failed === 0) this.log.info(fields, 'worker left');
    else this.log.warn(fields, 'worker lost');
  }

  discard(workerKey: string, jobId: string, reason: DiscardReason): void {
    this.metrics.discardedAnswer(reason);
    if (this.debug) {
      this.log.debug({ worker: Buffer.from(workerKey, 'latin1').toString(), jobId, reason }, 'worker answer discarded');
    }
  }

  private done(job: Job, outcome: string, now: number, reason?: string): void {
    this.log.debug(
      {
        requestId: job.requestId,
        model: job.model,
        outcome,
        reason,
        attempts: job.attempts,
        ms: Math.round((now - job.acceptedAt) * 10) / 10,
      },
      'request answered',
    );
  }
}
