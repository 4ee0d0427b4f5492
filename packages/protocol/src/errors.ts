/** Error codes carried by ERROR messages. The string itself is the frame on the wire. */
export const ErrorCode = {
  /** the message is malformed or an option is out of range */
  BAD_REQUEST: 'BAD_REQUEST',
  /** the header's version byte is not one this peer speaks */
  UNSUPPORTED_VERSION: 'UNSUPPORTED_VERSION',
  /** no worker has ever served the requested model and it is not configured */
  UNKNOWN_MODEL: 'UNKNOWN_MODEL',
  /** the model's queue is at its count or byte bound */
  QUEUE_FULL: 'QUEUE_FULL',
  /** the client has too many requests in flight */
  TOO_MANY_REQUESTS: 'TOO_MANY_REQUESTS',
  /** the request's deadline passed before a result was ready */
  DEADLINE_EXCEEDED: 'DEADLINE_EXCEEDED',
  /** the image bytes could not be decoded */
  INVALID_IMAGE: 'INVALID_IMAGE',
  /** the image (bytes or pixels) is above the configured limit */
  IMAGE_TOO_LARGE: 'IMAGE_TOO_LARGE',
  /** workers failed (died or went silent) on every attempt allowed */
  WORKER_FAILED: 'WORKER_FAILED',
  /** the broker or worker is shutting down */
  SHUTTING_DOWN: 'SHUTTING_DOWN',
  /** an unexpected failure inside the system */
  INTERNAL: 'INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const CODES = new Set<string>(Object.values(ErrorCode));

export function isErrorCode(value: string): value is ErrorCode {
  return CODES.has(value);
}

/** Why a frame list could not be decoded: a code to answer with and a human message. */
export interface ProtocolError {
  readonly code: ErrorCode;
  readonly message: string;
}

/** Thrown by SDKs and services when a request ends in an error reply. */
export class DetectionError extends Error {
  override readonly name = 'DetectionError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly requestId?: string,
  ) {
    super(message);
  }
}
