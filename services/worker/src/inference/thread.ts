/**
 * An inference thread (worker_threads entry). It owns one InferenceSession (through a Detector) and
 * one PAIR socket connected to the main thread's inproc endpoint; it shares nothing else. The main
 * thread gives it up to 2 x batch jobs at a time (dispatch/dispatcher.ts): the next ones' images
 * decode on the libuv pool while session.run blocks this thread. Jobs wait in a Batcher until a batch
 * is due (with batch 1: as soon as the thread is free); each is checked against its deadline, run
 * (decode, letterbox, session.run, output decoding, NMS) and answered with the final result JSON,
 * which the main thread forwards to the broker as it is.
 *
 * zeromq.js aborts the whole process if a thread's environment is torn down while one of its sockets
 * is open, so the socket is closed exactly once on every way out: STOP, an uncaught error (then the
 * thread exits with code 1 and the main thread restarts it), or the thread's exit.
 */

import { workerData } from 'node:worker_threads';
import { type DetectionResult, ErrorCode } from '@yolomq/protocol';
import sharp from 'sharp';
import { Pair } from 'zeromq';
import { Outbox } from '../link/outbox.js';
import { Batcher } from './batcher.js';
import { type DetectOutcome, Detector, type DetectorConfig, ModelError, type PendingDetection } from './detector.js';
import { Kind, type ThreadJob, type ThreadReady, wallClock } from './messages.js';

export interface ThreadData {
  endpoint: string;
  detector: DetectorConfig;
  /** how long a batch waits to fill (ms, from its oldest job's arrival) */
  batchDelayMs: number;
  model: string;
  workerId: string;
}

const data = workerData as ThreadData;

// Each thread decodes one image at a time: one libvips worker per pipeline, no operation cache (every
// image is new), so K threads use about K cores for decoding, never more.
sharp.concurrency(1);
sharp.cache(false);

const socket = new Pair({ linger: 0 });
let closed = false;
function closeSocket(): void {
  if (closed) return;
  closed = true;
  socket.close();
}
const die = (error: unknown) => {
  process.stderr.write(`inference thread failed: ${(error as Error)?.stack ?? String(error)}\n`);
  closeSocket();
  process.exit(1);
};
process.on('uncaughtException', die);
process.on('unhandledRejection', die);
process.on('exit', closeSocket);

socket.connect(data.endpoint);
const outbox = new Outbox(socket);

async function run(): Promise<void> {
  const t0 = performance.now();
  let detector: Detector;
  try {
    detector = await Detector.load(data.detector);
  } catch (error) {
    outbox.send([Kind.FAIL, error instanceof ModelError ? error.message : String((error as Error).stack ?? error)]);
    await outbox.flushed();
    closeSocket();
    return;
  }
  const spec = detector.spec;
  const ready: ThreadReady = {
    inputName: spec.input.name,
    inputType: spec.input.type,
    inputWidth: spec.input.width,
    inputHeight: spec.input.height,
    layout: spec.layout,
    classes: spec.classNames.length,
    namesSource: spec.namesSource,
    batch: detector.maxBatch,
    warmupMs: Math.round(performance.now() - t0),
  };
  outbox.send([Kind.READY, JSON.stringify(ready)]);

  // Batches run one at a time, in order; each job is begun (its decode started) as soon as it
  // arrives, so the next images decode on the libuv pool while this thread is blocked in session.run.
  const batcher = new Batcher<HeldJob>(detector.maxBatch, data.batchDelayMs);
  // `busy` is set and cleared in the same synchronous step as the batcher checks, so a job that
  // arrives is either seen by the running drain loop (woken if it waits for a batch to fill) or
  // starts a new one
  let busy = false;
  let wake: (() => void) | undefined;
  let drained: Promise<void> = Promise.resolve();
  const drain = async () => {
    busy = true;
    for (;;) {
      const step = batcher.next(wallClock());
      for (const { jobId, job } of step.expired) {
        outbox.send([Kind.ERROR, jobId, ErrorCode.DEADLINE_EXCEEDED, expiredMessage(job, wallClock())]);
      }
      if (step.run.length > 0) {
        for (const frames of await answer(detector, step.run, wallClock())) outbox.send(frames);
      } else if (step.waitMs !== undefined) {
        // the batch fills up: wait until it is due, or until the next job arrives
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            wake = undefined;
            resolve();
          };
          const timer = setTimeout(done, step.waitMs);
          wake = done;
        });
      } else break;
    }
    busy = false;
  };

  for await (const frames of socket) {
    const kind = frames[0]?.toString('latin1');
    if (kind === Kind.STOP) break;
    if (kind !== Kind.JOB || frames.length !== 4) continue;
    const jobId = frames[1]!;
    const job = JSON.parse(frames[2]!.toString('utf8')) as ThreadJob;
    const now = wallClock();
    if (now >= job.deadlineAt) {
      outbox.send([Kind.ERROR, jobId, ErrorCode.DEADLINE_EXCEEDED, expiredMessage(job, now)]);
      continue;
    }
    batcher.add({
      jobId,
      job,
      pending: detector.begin(frames[3]!, job.options),
      arrivedAt: now,
      deadlineAt: job.deadlineAt,
    });
    if (!busy) drained = drain();
    else wake?.();
  }
  await drained;
  await outbox.flushed();
  closeSocket();
  await detector.release();
}

function expiredMessage(job: ThreadJob, now: number): string {
  return `deadline passed after ${Math.round(now - job.receivedAt + job.queuedMs)} ms, before the job started`;
}

interface HeldJob {
  jobId: Buffer;
  job: ThreadJob;
  pending: PendingDetection;
  arrivedAt: number;
  deadlineAt: number;
}

/** Runs a batch; one answer (RESULT or ERROR frames) per job, in order. */
async function answer(
  detector: Detector,
  batch: readonly HeldJob[],
  startedAt: number,
): Promise<Array<Array<Buffer | string>>> {
  let outcomes: DetectOutcome[];
  try {
    outcomes = await detector.completeBatch(batch.map((held) => held.pending));
  } catch (error) {
    const message = `inference failed: ${(error as Error).message ?? error}`;
    return batch.map(({ jobId }) => [Kind.ERROR, jobId, ErrorCode.INTERNAL, message]);
  }
  const finishedAt = wallClock();
  return batch.map(({ jobId, job }, i) => {
    const outcome = outcomes[i]!;
    if (!outcome.ok) return [Kind.ERROR, jobId, outcome.code, outcome.message];
    const result: DetectionResult = {
      model: data.model,
      workerId: data.workerId,
      width: outcome.width,
      height: outcome.height,
      detections: outcome.detections,
      timings: {
        queueMs: ms(job.queuedMs + (startedAt - job.receivedAt)),
        preprocessMs: ms(outcome.timings.preprocessMs),
        inferenceMs: ms(outcome.timings.inferenceMs),
        postprocessMs: ms(outcome.timings.postprocessMs),
        totalMs: ms(job.queuedMs + (finishedAt - job.receivedAt)),
      },
    };
    return [Kind.RESULT, jobId, JSON.stringify(result)];
  });
}

function ms(value: number): number {
  return Math.round(value * 100) / 100;
}

run().catch(die);
