/**
 * How errors become HTTP answers. The body's `error.code` is the code a ZeroMQ client of the SDK
 * would see for the same failure (a protocol ErrorCode, or the SDK's ClientErrorCode), plus three
 * codes that only HTTP has (NOT_FOUND, UNSUPPORTED_MEDIA_TYPE, UPSTREAM_UNAVAILABLE). The HTTP
 * status says the same thing in HTTP's words.
 *
 * INVALID_IMAGE is 422 (Unprocessable Content): the request is well-formed and its media type is
 * accepted, but the bytes cannot be decoded as an image. 415 is kept for a Content-Type the gateway
 * does not accept at all, and 400 for malformed requests and options.
 *
 * UNSUPPORTED_VERSION cannot be caused by an HTTP client (the gateway writes every frame): it means
 * the gateway and the broker speak different protocol versions, an answer the gateway cannot use
 * from its upstream, so 502 (Bad Gateway), like WORKER_FAILED.
 */
import { ClientError, type ClientErrorCode, DetectionError } from '@yolomq/client';
import { ErrorCode } from '@yolomq/protocol';

/** Failures only the HTTP side has. */
export const GatewayErrorCode = {
  /** no such route */
  NOT_FOUND: 'NOT_FOUND',
  /** the request's Content-Type is not one the route accepts */
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  /** the broker's HTTP /status could not be read */
  UPSTREAM_UNAVAILABLE: 'UPSTREAM_UNAVAILABLE',
} as const;
export type GatewayErrorCode = (typeof GatewayErrorCode)[keyof typeof GatewayErrorCode];

export type HttpErrorCode = ErrorCode | ClientErrorCode | GatewayErrorCode;

/** Every protocol ErrorCode has a status: the mapped type makes a new code a compile error here. */
export const HTTP_STATUS_BY_CODE: { readonly [C in ErrorCode]: number } = {
  BAD_REQUEST: 400,
  UNSUPPORTED_VERSION: 502,
  UNKNOWN_MODEL: 404,
  QUEUE_FULL: 503,
  TOO_MANY_REQUESTS: 429,
  DEADLINE_EXCEEDED: 504,
  INVALID_IMAGE: 422,
  IMAGE_TOO_LARGE: 413,
  WORKER_FAILED: 502,
  SHUTTING_DOWN: 503,
  INTERNAL: 500,
};

/** The SDK's own failures (this side of the socket). */
export const HTTP_STATUS_BY_CLIENT_CODE: { readonly [C in ClientErrorCode]: number } = {
  /** no reply from the broker in time: the upstream did not answer */
  TIMEOUT: 504,
  /** the broker does not answer at all */
  UNREACHABLE: 503,
  /** the gateway is shutting down */
  CLOSED: 503,
  /** the gateway passed the SDK something invalid: a gateway bug, the request was checked before */
  INVALID_ARGUMENT: 500,
  IO_ERROR: 500,
};

export const HTTP_STATUS_BY_GATEWAY_CODE: { readonly [C in GatewayErrorCode]: number } = {
  NOT_FOUND: 404,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UPSTREAM_UNAVAILABLE: 502,
};

/** Codes that mean "try again later": the answer carries Retry-After (seconds). */
export const RETRY_AFTER_S: { readonly [C in HttpErrorCode]?: number } = {
  QUEUE_FULL: 1,
  TOO_MANY_REQUESTS: 1,
  SHUTTING_DOWN: 5,
  UNREACHABLE: 1,
  CLOSED: 5,
};

const STATUS: Readonly<Record<HttpErrorCode, number>> = {
  ...HTTP_STATUS_BY_CODE,
  ...HTTP_STATUS_BY_CLIENT_CODE,
  ...HTTP_STATUS_BY_GATEWAY_CODE,
};

export function httpStatusOf(code: HttpErrorCode): number {
  return STATUS[code];
}

/** An error answer, decided but not yet sent. */
export interface HttpProblem {
  status: number;
  code: HttpErrorCode;
  message: string;
  retryAfterS?: number;
}

/** The JSON body of every error answer. */
export interface ErrorBody {
  error: { code: HttpErrorCode; message: string };
  /** the gateway's id of this HTTP request (also in the X-Request-Id header and the logs) */
  requestId: string;
}

export function problem(code: HttpErrorCode, message: string): HttpProblem {
  const retryAfterS = RETRY_AFTER_S[code];
  const p: HttpProblem = { status: STATUS[code], code, message };
  if (retryAfterS !== undefined) p.retryAfterS = retryAfterS;
  return p;
}

export function badRequest(message: string): HttpProblem {
  return problem(ErrorCode.BAD_REQUEST, message);
}

export function isProblem(value: unknown): value is HttpProblem {
  return typeof value === 'object' && value !== null && 'status' in value && 'code' in value && 'message' in value;
}

/** What a failed detect() becomes. Anything that is not a yolomq error is a gateway bug: INTERNAL. */
export function problemFromError(err: unknown): HttpProblem {
  if (err instanceof DetectionError || err instanceof ClientError) return problem(err.code, err.message);
  return problem(ErrorCode.INTERNAL, 'the gateway failed unexpectedly; see its log');
}

export function errorBody(p: HttpProblem, requestId: string): ErrorBody {
  return { error: { code: p.code, message: p.message }, requestId };
}
