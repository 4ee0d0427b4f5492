/**
 * Protocol constants: the header frames, command bytes and limits that every peer shares.
 * Frame 0 of every message is a 5-byte header: ASCII "YMQC" (client <-> broker) or "YMQW"
 * (worker <-> broker) followed by one version byte. See SPEC.md.
 */

export const PROTOCOL_VERSION = 1;

/** The four ASCII signature bytes of each sub-protocol (the version byte follows them). */
export const CLIENT_SIGNATURE = 'YMQC';
export const WORKER_SIGNATURE = 'YMQW';
export const HEADER_LENGTH = 5;

function header(signature: string, version: number): Buffer {
  const frame = Buffer.alloc(HEADER_LENGTH);
  frame.write(signature, 0, 'latin1');
  frame[4] = version;
  return frame;
}

/** Pre-built header frames: built once, sent with every message (no per-message allocation). */
export const CLIENT_HEADER = header(CLIENT_SIGNATURE, PROTOCOL_VERSION);
export const WORKER_HEADER = header(WORKER_SIGNATURE, PROTOCOL_VERSION);

/** Commands of the client sub-protocol (frame 1, one byte). */
export const ClientCommand = {
  /** client -> broker: a detection request */
  REQUEST: 0x01,
  /** broker -> client: a detection result */
  REPLY: 0x02,
  /** broker -> client: a request failed */
  ERROR: 0x03,
  /** client -> broker: liveness probe, answered by PONG */
  PING: 0x04,
  /** broker -> client: answer to PING */
  PONG: 0x05,
} as const;
export type ClientCommand = (typeof ClientCommand)[keyof typeof ClientCommand];

/** Commands of the worker sub-protocol (frame 1, one byte). */
export const WorkerCommand = {
  /** worker -> broker: registration with model, credit and identity */
  READY: 0x01,
  /** broker -> worker: a job to run */
  REQUEST: 0x02,
  /** worker -> broker: a job's result */
  REPLY: 0x03,
  /** worker -> broker: a job failed */
  ERROR: 0x04,
  /** both ways: liveness */
  HEARTBEAT: 0x05,
  /** both ways: the sender is going away */
  DISCONNECT: 0x06,
} as const;
export type WorkerCommand = (typeof WorkerCommand)[keyof typeof WorkerCommand];

/** Single-byte frames for each command, built once. */
export const COMMAND_FRAMES: readonly Buffer[] = Array.from({ length: 7 }, (_, i) => Buffer.from([i]));

export const Limits = {
  /** request ids and job ids are 1..64 bytes */
  MAX_ID_BYTES: 64,
  /** model names are 0..128 bytes of UTF-8 (empty = the broker's default model) */
  MAX_MODEL_NAME_BYTES: 128,
  /** the options frame is JSON of at most 4 KiB */
  MAX_OPTIONS_BYTES: 4096,
  /** the error message frame is at most 1 KiB of UTF-8 */
  MAX_ERROR_MESSAGE_BYTES: 1024,
  /** default cap on an image frame; deployments may lower or raise it */
  DEFAULT_MAX_IMAGE_BYTES: 32 * 1024 * 1024,
  /** result JSON cap (a result with 300 detections is about 40 KiB) */
  MAX_RESULT_BYTES: 1024 * 1024,
} as const;
