/**
 * The worker sub-protocol (worker DEALER <-> broker ROUTER). Frames are listed without the routing
 * id that the broker's ROUTER socket adds and removes. See SPEC.md, section 6 "Worker sub-protocol".
 */
import { COMMAND_FRAMES, Limits, WORKER_HEADER, WORKER_SIGNATURE, WorkerCommand } from './constants.js';
import { ErrorCode, isErrorCode } from './errors.js';
import {
  badRequest,
  checkHeader,
  clampUtf8,
  type Decoded,
  errorCodeProblem,
  errorMessageProblem,
  fail,
  idFrame,
  readId,
  readText,
} from './frames.js';
import { type DetectOptions, parseOptions } from './options.js';

/** Who a worker is and how much it can hold; the READY payload (JSON). */
export interface WorkerInfo {
  /** unique id of this worker process; also its ZeroMQ routing id */
  workerId: string;
  /** how many jobs the broker may have outstanding at this worker at once, 1..1024 */
  credit: number;
  host: string;
  pid: number;
  /** the worker software's version */
  version: string;
  /** how many jobs it computes at once (inference threads); credit - concurrency is prefetch */
  concurrency?: number;
}

export interface WorkerReady {
  command: 'READY';
  model: string;
  info: WorkerInfo;
}

export interface WorkerReply {
  command: 'REPLY';
  jobId: string;
  result: Buffer;
}

export interface WorkerError {
  command: 'ERROR';
  jobId: string;
  code: ErrorCode;
  message: string;
}

export interface Heartbeat {
  command: 'HEARTBEAT';
}

export interface Disconnect {
  command: 'DISCONNECT';
}

export type WorkerToBroker = WorkerReady | WorkerReply | WorkerError | Heartbeat | Disconnect;

export interface JobRequest {
  command: 'REQUEST';
  jobId: string;
  options: DetectOptions;
  /** ms left before the request's deadline when the broker sent it */
  budgetMs: number;
  /** ms the request waited in the broker before being sent */
  queuedMs: number;
  image: Buffer;
}

export type BrokerToWorker = JobRequest | Heartbeat | Disconnect;

export const MAX_CREDIT = 1024;
const MAX_INFO_BYTES = 4096;

// ---- encoders --------------------------------------------------------------------------------

export function encodeReady(model: string, info: WorkerInfo): Buffer[] {
  return [
    WORKER_HEADER,
    COMMAND_FRAMES[WorkerCommand.READY]!,
    Buffer.from(model, 'utf8'),
    Buffer.from(JSON.stringify(info)),
  ];
}

/** Rounds to whole ms and clamps to a uint32; NaN becomes 0. */
function uint32Ms(ms: number): number {
  return Number.isNaN(ms) ? 0 : Math.max(0, Math.min(0xffffffff, Math.round(ms)));
}

/** The 8-byte TIMING frame of a REQUEST: budget ms and queued ms, uint32 big-endian each. */
export function encodeTiming(budgetMs: number, queuedMs: number): Buffer {
  return writeTiming(Buffer.allocUnsafe(8), budgetMs, queuedMs);
}

/**
 * encodeTiming into a caller's buffer of at least 8 bytes (returns its first 8): for a sender that
 * reuses one buffer per frame instead of allocating one per message.
 */
export function writeTiming(frame: Buffer, budgetMs: number, queuedMs: number): Buffer {
  frame.writeUInt32BE(uint32Ms(budgetMs), 0);
  frame.writeUInt32BE(uint32Ms(queuedMs), 4);
  return frame.length === 8 ? frame : frame.subarray(0, 8);
}

/** A REQUEST to a worker. The options frame is the client's, forwarded untouched. */
export function encodeJobRequest(
  jobId: string | Buffer,
  optionsFrame: Buffer,
  timing: Buffer,
  image: Buffer,
): Buffer[] {
  return [WORKER_HEADER, COMMAND_FRAMES[WorkerCommand.REQUEST]!, idFrame(jobId), optionsFrame, timing, image];
}

export function encodeWorkerReply(jobId: string | Buffer, result: Buffer): Buffer[] {
  return [WORKER_HEADER, COMMAND_FRAMES[WorkerCommand.REPLY]!, idFrame(jobId), result];
}

export function encodeWorkerError(jobId: string | Buffer, code: ErrorCode, message: string): Buffer[] {
  return [
    WORKER_HEADER,
    COMMAND_FRAMES[WorkerCommand.ERROR]!,
    idFrame(jobId),
    Buffer.from(code, 'latin1'),
    clampUtf8(message, Limits.MAX_ERROR_MESSAGE_BYTES),
  ];
}

export const HEARTBEAT_MESSAGE: readonly Buffer[] = [WORKER_HEADER, COMMAND_FRAMES[WorkerCommand.HEARTBEAT]!];
export const DISCONNECT_MESSAGE: readonly Buffer[] = [WORKER_HEADER, COMMAND_FRAMES[WorkerCommand.DISCONNECT]!];

// ---- decoders --------------------------------------------------------------------------------

function commandName(byte: number): string {
  return `0x${byte.toString(16).padStart(2, '0')}`;
}

function parseInfo(frame: Buffer | undefined): WorkerInfo | string {
  if (frame === undefined || frame.length > MAX_INFO_BYTES)
    return `READY info must be JSON of at most ${MAX_INFO_BYTES} bytes`;
  let raw: unknown;
  try {
    raw = JSON.parse(frame.toString('utf8'));
  } catch {
    return 'READY info is not valid JSON';
  }
  if (typeof raw !== 'object' || raw === null) return 'READY info must be a JSON object';
  const { workerId, credit, host, pid, version, concurrency } = raw as Record<string, unknown>;
  if (typeof workerId !== 'string' || workerId.length === 0 || Buffer.byteLength(workerId) > Limits.MAX_ID_BYTES) {
    return `READY info.workerId must be a string of 1..${Limits.MAX_ID_BYTES} bytes`;
  }
  if (typeof credit !== 'number' || !Number.isInteger(credit) || credit < 1 || credit > MAX_CREDIT) {
    return `READY info.credit must be an integer from 1 to ${MAX_CREDIT}`;
  }
  if (typeof host !== 'string' || typeof version !== 'string')
    return 'READY info.host and info.version must be strings';
  if (typeof pid !== 'number' || !Number.isInteger(pid) || pid < 0)
    return 'READY info.pid must be a non-negative integer';
  if (
    concurrency !== undefined &&
    (typeof concurrency !== 'number' || !Number.isInteger(concurrency) || concurrency < 1)
  ) {
    return 'READY info.concurrency must be a positive integer';
  }
  const info: WorkerInfo = { workerId, credit, host: host.slice(0, 256), pid, version: version.slice(0, 64) };
  if (concurrency !== undefined) info.concurrency = concurrency;
  return info;
}

/** Decodes what a worker sent to the broker (routing id already removed). Never throws. */
export function decodeWorkerMessage(frames: readonly Buffer[]): Decoded<WorkerToBroker> {
  const headerError = checkHeader(frames[0], WORKER_SIGNATURE);
  if (headerError) return fail(headerError.code, headerError.message);
  const command = frames[1];
  if (command === undefined || command.length !== 1) return badRequest('frame 1 must be a one-byte command');
  switch (command[0]) {
    case WorkerCommand.READY: {
      if (frames.length !== 4) return badRequest(`READY has ${frames.length} frames, expected 4`);
      const model = readText(frames[2], Limits.MAX_MODEL_NAME_BYTES);
      if (model === undefined || model.length === 0) return badRequest('READY must name a model');
      const info = parseInfo(frames[3]);
      if (typeof info === 'string') return badRequest(info);
      return { ok: true, value: { command: 'READY', model, info } };
    }
    case WorkerCommand.REPLY: {
      const jobId = readId(frames[2]);
      if (jobId === undefined) return badRequest(`REPLY job id must be 1..${Limits.MAX_ID_BYTES} bytes`);
      if (frames.length !== 4) return badRequest(`REPLY has ${frames.length} frames, expected 4`, jobId);
      if (frames[3]!.length > Limits.MAX_RESULT_BYTES) return badRequest('REPLY result is too large', jobId);
      return { ok: true, value: { command: 'REPLY', jobId, result: frames[3]! } };
    }
    case WorkerCommand.ERROR: {
      const jobId = readId(frames[2]);
      if (jobId === undefined) return badRequest(`ERROR job id must be 1..${Limits.MAX_ID_BYTES} bytes`);
      if (frames.length !== 5) return badRequest(`ERROR has ${frames.length} frames, expected 5`, jobId);
      const code = frames[3]!.toString('latin1');
      if (!isErrorCode(code)) return badRequest(errorCodeProblem(code), jobId);
      const message = readText(frames[4], Limits.MAX_ERROR_MESSAGE_BYTES);
      if (message === undefined) return badRequest(errorMessageProblem(frames[4]!), jobId);
      return { ok: true, value: { command: 'ERROR', jobId, code, message } };
    }
    case WorkerCommand.HEARTBEAT:
      return frames.length === 2
        ? { ok: true, value: { command: 'HEARTBEAT' } }
        : badRequest('HEARTBEAT has extra frames');
    case WorkerCommand.DISCONNECT:
      return frames.length === 2
        ? { ok: true, value: { command: 'DISCONNECT' } }
        : badRequest('DISCONNECT has extra frames');
    default:
      return badRequest(`unknown worker command ${commandName(command[0]!)}`);
  }
}

/** Decodes what the broker sent to a worker. Never throws. */
export function decodeBrokerToWorker(frames: readonly Buffer[]): Decoded<BrokerToWorker> {
  const headerError = checkHeader(frames[0], WORKER_SIGNATURE);
  if (headerError) return fail(headerError.code, headerError.message);
  const command = frames[1];
  if (command === undefined || command.length !== 1) return badRequest('frame 1 must be a one-byte command');
  switch (command[0]) {
    case WorkerCommand.REQUEST: {
      const jobId = readId(frames[2]);
      if (jobId === undefined) return badRequest(`REQUEST job id must be 1..${Limits.MAX_ID_BYTES} bytes`);
      if (frames.length !== 6) return badRequest(`REQUEST has ${frames.length} frames, expected 6`, jobId);
      const options = parseOptions(frames[3]!);
      if (!options.ok) return { ok: false, error: options.error, id: jobId };
      const timing = frames[4]!;
      if (timing.length !== 8) return badRequest('REQUEST timing frame must be 8 bytes', jobId);
      if (frames[5]!.length === 0) return fail(ErrorCode.INVALID_IMAGE, 'image frame is empty', jobId);
      return {
        ok: true,
        value: {
          command: 'REQUEST',
          jobId,
          options: options.value,
          budgetMs: timing.readUInt32BE(0),
          queuedMs: timing.readUInt32BE(4),
          image: frames[5]!,
        },
      };
    }
    case WorkerCommand.HEARTBEAT:
      return frames.length === 2
        ? { ok: true, value: { command: 'HEARTBEAT' } }
        : badRequest('HEARTBEAT has extra frames');
    case WorkerCommand.DISCONNECT:
      return frames.length === 2
        ? { ok: true, value: { command: 'DISCONNECT' } }
        : badRequest('DISCONNECT has extra frames');
    default:
      return badRequest(`unknown broker-to-worker command ${commandName(command[0]!)}`);
  }
}
