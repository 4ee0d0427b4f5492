/**
 * The SDK's errors, gathered in one place. Two kinds, both with a `code`:
 * - `DetectionError` (from the protocol package): the broker or a worker answered with an ERROR, or the
 *   SDK refused the request for a reason the broker would refuse it too (BAD_REQUEST, IMAGE_TOO_LARGE,
 *   INVALID_IMAGE). Its code is an `ErrorCode` of the wire protocol.
 * - `ClientError`: something on this side of the socket (no reply in time, client closed, bad argument,
 *   unreadable file). Its code is a `ClientErrorCode`.
 */
import { DetectionError, type ErrorCode } from '@yolomq/protocol';

export { DetectionError };

export const ClientErrorCode = {
  /** no reply from the broker within the timeout, on every attempt allowed */
  TIMEOUT: 'TIMEOUT',
  /** the broker did not answer a PING within the connect timeout */
  UNREACHABLE: 'UNREACHABLE',
  /** the client was closed while the request was pending, or used after close() */
  CLOSED: 'CLOSED',
  /** an argument given to the SDK is invalid (endpoint, client options) */
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
  /** the image could not be read (missing file, stream error) */
  IO_ERROR: 'IO_ERROR',
} as const;
export type ClientErrorCode = (typeof ClientErrorCode)[keyof typeof ClientErrorCode];

export class ClientError extends Error {
  override readonly name = 'ClientError';
  constructor(
    readonly code: ClientErrorCode,
    message: string,
    readonly requestId?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Every error a yolomq client call rejects with. */
export type YolomqError = DetectionError | ClientError;

/** Any code a yolomq call can fail with: a wire protocol code or a client-side one. */
export type AnyErrorCode = ErrorCode | ClientErrorCode;

export function isYolomqError(err: unknown): err is YolomqError {
  return err instanceof DetectionError || err instanceof ClientError;
}

/** The code of a yolomq error, or 'UNEXPECTED' for anything else (a bug). */
export function errorCodeOf(err: unknown): AnyErrorCode | 'UNEXPECTED' {
  return isYolomqError(err) ? err.code : 'UNEXPECTED';
}
