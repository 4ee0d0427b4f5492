/** Every error code has an HTTP status, and the choices are the documented ones. */
import { ClientError, ClientErrorCode, DetectionError } from '@yolomq/client';
import { ErrorCode } from '@yolomq/protocol';
import { describe, expect, it } from 'vitest';
import {
  GatewayErrorCode,
  HTTP_STATUS_BY_CLIENT_CODE,
  HTTP_STATUS_BY_CODE,
  httpStatusOf,
  problem,
  problemFromError,
  RETRY_AFTER_S,
} from '../src/errors-http.js';

/** The documented mapping (README, openapi.json): a new code must be added here on purpose. */
const EXPECTED: Record<string, number> = {
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
  TIMEOUT: 504,
  UNREACHABLE: 503,
  CLOSED: 503,
  INVALID_ARGUMENT: 500,
  IO_ERROR: 500,
  NOT_FOUND: 404,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UPSTREAM_UNAVAILABLE: 502,
};

describe('HTTP status of every error code', () => {
  it('every protocol ErrorCode maps to its documented 4xx/5xx status', () => {
    for (const code of Object.values(ErrorCode)) {
      expect(EXPECTED[code], `no documented status for ${code}`).toBeDefined();
      expect(HTTP_STATUS_BY_CODE[code], code).toBe(EXPECTED[code]);
      expect(httpStatusOf(code), code).toBe(EXPECTED[code]);
    }
    expect(Object.keys(HTTP_STATUS_BY_CODE).sort()).toEqual(Object.values(ErrorCode).sort());
  });

  it('every SDK ClientErrorCode and gateway-only code maps to its status', () => {
    for (const code of [...Object.values(ClientErrorCode), ...Object.values(GatewayErrorCode)]) {
      expect(EXPECTED[code], `no documented status for ${code}`).toBeDefined();
      expect(httpStatusOf(code), code).toBe(EXPECTED[code]);
    }
    expect(Object.keys(HTTP_STATUS_BY_CLIENT_CODE).sort()).toEqual(Object.values(ClientErrorCode).sort());
  });

  it('client errors are 4xx, server and upstream errors 5xx', () => {
    const clientSide = new Set([
      'BAD_REQUEST',
      'UNKNOWN_MODEL',
      'TOO_MANY_REQUESTS',
      'INVALID_IMAGE',
      'IMAGE_TOO_LARGE',
    ]);
    for (const code of Object.values(ErrorCode)) {
      const status = httpStatusOf(code);
      if (clientSide.has(code)) expect(status, code).toBeLessThan(500);
      else expect(status, code).toBeGreaterThanOrEqual(500);
    }
  });

  it('codes that mean "later" carry Retry-After, the others do not', () => {
    expect(problem(ErrorCode.QUEUE_FULL, 'x').retryAfterS).toBe(1);
    expect(problem(ErrorCode.TOO_MANY_REQUESTS, 'x').retryAfterS).toBe(1);
    expect(problem(ErrorCode.SHUTTING_DOWN, 'x').retryAfterS).toBe(5);
    expect(problem(ErrorCode.INVALID_IMAGE, 'x').retryAfterS).toBeUndefined();
    for (const [code, seconds] of Object.entries(RETRY_AFTER_S)) {
      expect([429, 503], code).toContain(httpStatusOf(code as ErrorCode));
      expect(seconds).toBeGreaterThan(0);
    }
  });

  it('SDK errors keep their code and message; anything else is INTERNAL without details', () => {
    expect(problemFromError(new DetectionError(ErrorCode.UNKNOWN_MODEL, 'no such model', 'r1'))).toEqual({
      status: 404,
      code: 'UNKNOWN_MODEL',
      message: 'no such model',
    });
    expect(problemFromError(new ClientError(ClientErrorCode.TIMEOUT, 'no reply'))).toMatchObject({
      status: 504,
      code: 'TIMEOUT',
    });
    const internal = problemFromError(new TypeError('secret stack detail'));
    expect(internal).toMatchObject({ status: 500, code: 'INTERNAL' });
    expect(internal.message).not.toContain('secret');
  });
});
