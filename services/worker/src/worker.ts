/**
 * startWorker: one worker process (or thread) serving one model. The main thread owns the DEALER to
 * the broker (link/) and dispatches the jobs it receives to K inference threads (dispatch/), which do
 * the computing, up to `batch` jobs in one session.run for a dynamic-batch model; jobs beyond what the
 * threads hold (the prefetch allowance) wait in the dispatcher's queue. This module is
 * the wiring between those shells and the pure dispatcher; it never reads process.env and never
 * exits the process, so it can run inside a worker_thread too.
 */
import { hostname } from 'node:os';
import { ErrorCode, isErrorCode, type JobRequest } from '@yolomq/protocol';
import type { WorkerConfig } from './config.js';
import { Dispatcher, type DispatchJob, type DispatchStep } from './dispatch/dispatcher.js';
import { InferencePool } from './dispatch/pool.js';
import { Kind, type ThreadJob, type ThreadReady, wallClock } from './inference/messages.js';
import { BrokerLink } from './link/broker-link.js';
import type { Logger } from './logger.js';
import { WORKER_VERSION } from './version.js';

export interface WorkerHandle {
  workerId: string;
  model: string;
  /** what the inference threads reported about the model */
  modelInfo: ThreadReady;
  credit: number;
  /** stops taking work, finishes jobs in progress, sends DISCONNECT, stops the threads */
  close(): Promise<void>;
}

/** Test and bench seams; production uses the defaults. */
export interface WorkerInternals {
  threadEntry?: URL;
}

interface LocalJob extends DispatchJob {
  jobIdFrame: Buffer;
  job: JobRequest;
  receivedAt: number;
}

/**
 * Jobs an inference thread holds at once: the batch it computes and the next one, whose images decode
 * meanwhile (so a thread that finishes a batch under load finds the next one full, not a lone job).
 */
function threadDepth(batch: number): number {
  return 2 * batch;
}

export async function startWorker(
  config: WorkerConfig,
  logger: Logger,
  internals: WorkerInternals = {},
): Promise<WorkerHandle> {
  const log = logger.child({ workerId: config.workerId, model: config.modelName });
  const K = config.inferenceThreads;
  // the depth for the batch size the model allows is set once the threads have loaded it (no job
  // arrives before: the broker link starts after that)
  const dispatcher = new Dispatcher<LocalJob>(K, threadDepth(1));
  let batch = 1;
  let closing = false;
  let drained: (() => void) | undefined;
  // the link exists once the threads are up; until then no job can arrive
  let link: BrokerLink | undefined;

  const answerError = (job: LocalJob, code: ErrorCode, message: string) => {
    log.info({ jobId: job.jobId, code, problem: message }, 'job failed');
    link?.error(job.generation, job.jobIdFrame, code, message);
  };

  const apply = (step: DispatchStep<LocalJob>) => {
    for (const job of step.expired) {
      const waited = Math.round(wallClock() - job.receivedAt + job.job.queuedMs);
      answerError(
        job,
        ErrorCode.DEADLINE_EXCEEDED,
        `deadline passed after ${waited} ms, before an inference thread was free`,
      );
    }
    for (const { thread, job } of step.run) {
      const meta: ThreadJob = {
        options: job.job.options,
        queuedMs: job.job.queuedMs,
        receivedAt: job.receivedAt,
        deadlineAt: job.deadlineAt,
      };
      // the image stays referenced here until the job is answered, so a job a dead thread had not
      // started can be given to another thread (the frame itself is not copied: zero-copy send)
      const sent = pool.send(thread, [Kind.JOB, job.jobIdFrame, JSON.stringify(meta), job.job.image]);
      if (!sent) {
        for (const lost of dispatcher.threadDown(thread)) {
          answerError(lost, ErrorCode.INTERNAL, 'the inference thread went away before it took the job');
        }
      }
    }
    if (drained !== undefined && dispatcher.running === 0 && dispatcher.queued === 0) drained();
  };

  const pool = new InferencePool(
    {
      threads: K,
      detector: {
        modelPath: config.modelPath,
        classNamesPath: config.classNamesPath,
        executionProvider: config.executionProvider,
        intraOpThreads: config.intraOpThreads,
        maxPixels: config.maxPixels,
        maxBatch: config.batchMax,
      },
      batchDelayMs: config.batchDelayMs,
      model: config.modelName,
      workerId: config.workerId,
      entry: internals.threadEntry,
    },
    {
      up(thread) {
        log.debug({ thread }, 'inference thread ready');
        apply(dispatcher.threadUp(thread, wallClock()));
      },
      answer(thread, frames) {
        const kind = frames[0]!.toString('latin1');
        const jobId = frames[1]?.toString('utf8') ?? '';
        const { job, step } = dispatcher.threadDone(thread, jobId, wallClock());
        if (job === undefined) log.warn({ thread, jobId }, 'answer for a job the thread was not running');
        else if (kind === Kind.RESULT) {
          if (!link?.reply(job.generation, job.jobIdFrame, frames[2]!)) {
            log.info({ jobId }, 'result dropped: it belongs to an earlier broker connection');
          } else log.debug({ jobId }, 'job done');
        } else {
          const code = frames[2]?.toString('latin1') ?? '';
          const message = frames[3]?.toString('utf8') ?? '';
          answerError(job, isErrorCode(code) ? code : ErrorCode.INTERNAL, message);
        }
        apply(step);
      },
      down(thread, reason) {
        log.error({ thread, reason }, 'inference thread died');
        // the oldest jobs it held (up to a batch) are the ones it may have been computing: those are
        // answered INTERNAL; the ones it was only decoding ahead go back to the queue for the other
        // (or restarted) threads
        const held = dispatcher.threadDown(thread);
        for (const current of held.splice(0, batch)) {
          answerError(current, ErrorCode.INTERNAL, `${reason} while running this job`);
        }
        apply(dispatcher.requeue(held, wallClock()));
      },
    },
    log,
  );

  const ready = await pool.start();
  batch = ready.batch;
  if (config.batchMax > 1 && batch === 1) {
    log.warn(
      { batchMax: config.batchMax, modelPath: config.modelPath },
      `YOLOMQ_BATCH_MAX=${config.batchMax}, but the model's batch dimension is fixed at 1: running batch 1 ` +
        '(export the model with a dynamic batch, e.g. scripts/dynamic-batch-model.mjs, to batch)',
    );
  }
  apply(dispatcher.setDepth(threadDepth(batch), wallClock()));
  const credit = K * batch + (config.prefetch ?? K * batch);
  log.info(
    {
      threads: K,
      intraOpThreads: config.intraOpThreads,
      executionProvider: config.executionProvider,
      input: `${ready.inputType}[${batch === 1 ? 1 : `1..${batch}`},3,${ready.inputHeight},${ready.inputWidth}]`,
      batchDelayMs: batch > 1 ? config.batchDelayMs : undefined,
      layout: ready.layout.kind,
      classes: ready.classes,
      classNames: ready.namesSource,
      warmupMs: ready.warmupMs,
    },
    'model loaded and warmed up',
  );

  link = new BrokerLink(
    {
      endpoint: config.brokerBackend,
      model: config.modelName,
      info: {
        workerId: config.workerId,
        credit,
        host: hostname(),
        pid: process.pid,
        version: WORKER_VERSION,
        // jobs computed at once: credit - concurrency is the prefetch, as the protocol reads it
        concurrency: K * batch,
      },
      heartbeatMs: config.heartbeatMs,
      liveness: config.heartbeatLiveness,
      reconnectMinMs: config.reconnectMinMs,
      reconnectMaxMs: config.reconnectMaxMs,
      ...(config.curve === undefined ? {} : { curve: config.curve }),
    },
    {
      job(job, jobIdFrame, generation) {
        if (closing) {
          link?.error(generation, jobIdFrame, ErrorCode.SHUTTING_DOWN, 'the worker is shutting down');
          return;
        }
        const receivedAt = wallClock();
        const local: LocalJob = {
          jobId: job.jobId,
          jobIdFrame,
          job,
          generation,
          receivedAt,
          deadlineAt: receivedAt + job.budgetMs,
        };
        apply(dispatcher.enqueue(local, receivedAt));
      },
      reconnecting(generation) {
        // the broker re-sends or answers what it gave the old connection; forget the queued ones
        const dropped = dispatcher.takeQueued((job) => job.generation <= generation);
        if (dropped.length > 0) log.warn({ dropped: dropped.length }, 'dropped queued jobs of the lost connection');
      },
    },
    log,
  );
  link.start();
  log.info({ broker: config.brokerBackend, credit }, 'worker ready');

  let closed: Promise<void> | undefined;
  const close = async () => {
    closing = true;
    for (const job of dispatcher.takeQueued()) {
      answerError(job, ErrorCode.SHUTTING_DOWN, 'the worker is shutting down; the job was not started');
    }
    if (dispatcher.running > 0) {
      log.info({ running: dispatcher.running }, 'finishing jobs in progress');
      await new Promise<void>((resolve) => {
        drained = resolve;
        setTimeout(resolve, config.drainTimeoutMs).unref();
      });
    }
    await link?.close();
    await pool.stop();
    log.info('worker stopped');
  };

  return {
    workerId: config.workerId,
    model: config.modelName,
    modelInfo: ready,
    credit,
    close() {
      closed ??= close();
      return closed;
    },
  };
}
