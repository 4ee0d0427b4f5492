/**
 * The messages between the main thread and an inference thread, over their inproc PAIR socket.
 * Internal to one worker process (never on the network). Frame 0 is a one-letter kind.
 *
 *   main -> thread   JOB     ['J', jobId, job JSON (ThreadJob), image bytes]
 *                    STOP    ['S']
 *   thread -> main   READY   ['READY', ThreadReady JSON]
 *                    FAIL    ['FAIL', message]              (the model could not be loaded)
 *                    RESULT  ['R', jobId, result JSON]      (the DetectionResult, final bytes for the broker)
 *                    ERROR   ['E', jobId, code, message]
 *
 * The image frame is handed over without a copy (zeromq.js sends and receives large frames
 * zero-copy). A thread sends strings, not Buffers: a string frame is released by libzmq itself, while
 * a zero-copy Buffer would be released through the sending thread's V8 isolate, which may be gone by
 * then if the thread dies while the main thread still holds the message.
 */
import type { DetectOptions } from '@yolomq/protocol';
import type { OutputLayout } from '../yolo/layout.js';

export const Kind = {
  JOB: 'J',
  STOP: 'S',
  READY: 'READY',
  FAIL: 'FAIL',
  RESULT: 'R',
  ERROR: 'E',
} as const;

export interface ThreadJob {
  options: DetectOptions;
  /** ms the request waited in the broker */
  queuedMs: number;
  /** wall-clock ms (epoch, fractional) when the main thread received the job */
  receivedAt: number;
  /** wall-clock ms after which the job is not worth starting */
  deadlineAt: number;
}

export interface ThreadReady {
  inputName: string;
  inputType: string;
  inputWidth: number;
  inputHeight: number;
  layout: OutputLayout;
  classes: number;
  namesSource: string;
  /** the most jobs one session.run takes: YOLOMQ_BATCH_MAX for a dynamic-batch model, else 1 */
  batch: number;
  warmupMs: number;
}

/** Wall-clock time in ms with sub-ms precision, comparable across threads of one process. */
export function wallClock(): number {
  return performance.timeOrigin + performance.now();
}
