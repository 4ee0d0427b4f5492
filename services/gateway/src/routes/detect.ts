/**
 * POST /v1/detect: an image as the raw body (Content-Type image/* or application/octet-stream) or as
 * the file of a multipart/form-data form, options as query parameters or form fields. Answers the
 * SDK's result JSON, or an error body with the status of its code (errors-http.ts).
 *
 * Limits, checked as early as possible: Content-Length over the body limit and a full gateway are
 * refused before a byte of the body is read; a chunked body is cut off at the limit by Fastify's body
 * reader (raw) or busboy's file limit (multipart); a slow upload is ended by the server's request
 * timeout.
 */
import type { Readable } from 'node:stream';
import type { DetectRequestOptions } from '@yolomq/client';
import { ErrorCode } from '@yolomq/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { GatewayConfig } from '../config.js';
import { parseDetectParams, type RawParams } from '../detect-params.js';
import type { Detector } from '../detector.js';
import { badRequest, type HttpProblem, isProblem, problem, problemFromError } from '../errors-http.js';
import { refuseEarly, sendProblem } from '../http-reply.js';

export interface DetectRouteDeps {
  config: GatewayConfig;
  detector: Detector;
}

/** Media types taken as the raw image bytes: image/* and application/octet-stream (parameters allowed). */
export const RAW_IMAGE_TYPES = /^(?:image\/[\w.+-]+|application\/octet-stream)\s*(?:;|$)/i;

const FORM_LIMITS = { files: 1, fields: 16, fieldSize: 4096, parts: 17, headerPairs: 64 };

interface Upload {
  image: Buffer | undefined;
  fields: RawParams;
}

export function registerDetectRoute(app: FastifyInstance, deps: DetectRouteDeps): void {
  const { config, detector } = deps;
  let inflight = 0;

  app.addContentTypeParser(RAW_IMAGE_TYPES, { parseAs: 'buffer', bodyLimit: config.maxBodyBytes }, (_req, body, done) =>
    done(null, body),
  );

  app.post(
    '/v1/detect',
    {
      // Runs before the body is read: refuse what would be refused anyway without receiving it.
      onRequest: async (request, reply) => {
        const length = Number(request.headers['content-length'] ?? 0);
        if (length > config.maxBodyBytes) {
          return refuseEarly(
            reply,
            problem(
              ErrorCode.IMAGE_TOO_LARGE,
              `request body is ${length} bytes, over the gateway's limit of ${config.maxBodyBytes}`,
            ),
          );
        }
        if (inflight >= config.maxInflight) {
          return refuseEarly(
            reply,
            problem(ErrorCode.TOO_MANY_REQUESTS, `the gateway has ${inflight} detections in flight, its limit`),
          );
        }
        inflight++;
        // 'close' fires once per response, sent or aborted, so the count cannot leak.
        reply.raw.once('close', () => {
          inflight--;
        });
      },
    },
    async (request, reply) => {
      const upload = request.isMultipart() ? await readForm(request, config.maxBodyBytes) : rawUpload(request);
      if (isProblem(upload)) return refuseEarly(reply, upload);
      if (upload.image === undefined) {
        return sendProblem(
          reply,
          badRequest(
            'no image: send its bytes as the body (Content-Type image/* or application/octet-stream) ' +
              'or as the "image" file of a multipart/form-data form',
          ),
        );
      }
      if (upload.image.length === 0) {
        return sendProblem(reply, problem(ErrorCode.INVALID_IMAGE, 'the image is empty (0 bytes)'));
      }
      const params = parseDetectParams(request.query as RawParams, upload.fields);
      if (isProblem(params)) return sendProblem(reply, params);

      const options: DetectRequestOptions = {
        ...params.options,
        model: params.model,
        timeoutMs: params.options.timeoutMs ?? config.requestTimeoutMs,
        // The HTTP client decides whether to retry (it gets 503/504 with Retry-After where it helps).
        retries: 0,
      };
      try {
        const result = await detector.detect(upload.image, options);
        request.log.info(
          {
            requestId: result.requestId,
            model: result.model,
            workerId: result.workerId,
            detections: result.detections.length,
            latencyMs: Math.round(result.latencyMs * 10) / 10,
          },
          'detected',
        );
        return reply.type('application/json; charset=utf-8').send(result);
      } catch (err) {
        const p = problemFromError(err);
        if (p.status >= 500) request.log.warn({ err, code: p.code }, 'detect failed');
        else request.log.info({ code: p.code, msg: p.message }, 'detect refused');
        return sendProblem(reply, p);
      }
    },
  );
}

function rawUpload(request: FastifyRequest): Upload {
  return { image: Buffer.isBuffer(request.body) ? request.body : undefined, fields: {} };
}

/**
 * Reads one file part into memory; undefined once it passes busboy's fileSize limit. It stops right
 * there (the caller answers 413 and drops the connection) instead of reading the rest of the part.
 */
async function readFile(file: Readable & { truncated?: boolean }): Promise<Buffer | undefined> {
  let overLimit = false;
  file.once('limit', () => {
    overLimit = true;
  });
  const chunks: Buffer[] = [];
  for await (const chunk of file) {
    if (overLimit) return undefined;
    chunks.push(chunk as Buffer);
  }
  return overLimit || file.truncated ? undefined : Buffer.concat(chunks);
}

/** Reads a multipart form: at most one file (the image) and a few small option fields. */
async function readForm(request: FastifyRequest, maxFileBytes: number): Promise<Upload | HttpProblem> {
  const { multipartErrors: errors } = request.server;
  const upload: Upload = { image: undefined, fields: {} };
  try {
    for await (const part of request.parts({ limits: { ...FORM_LIMITS, fileSize: maxFileBytes } })) {
      if (part.type === 'file') {
        if (upload.image !== undefined) return badRequest('send one image file per request');
        const image = await readFile(part.file);
        if (image === undefined) {
          return problem(
            ErrorCode.IMAGE_TOO_LARGE,
            `the uploaded file is over the gateway's limit of ${maxFileBytes} bytes`,
          );
        }
        upload.image = image;
      } else {
        if (part.valueTruncated) {
          return badRequest(`form field ${part.fieldname} is over ${FORM_LIMITS.fieldSize} bytes`);
        }
        const value = typeof part.value === 'string' ? part.value : String(part.value);
        const previous = upload.fields[part.fieldname];
        upload.fields[part.fieldname] =
          previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value];
      }
    }
  } catch (err) {
    if (err instanceof errors.RequestFileTooLargeError) {
      return problem(
        ErrorCode.IMAGE_TOO_LARGE,
        `the uploaded file is over the gateway's limit of ${maxFileBytes} bytes`,
      );
    }
    if (err instanceof errors.FilesLimitError) return badRequest('send one image file per request');
    if (err instanceof errors.FieldsLimitError || err instanceof errors.PartsLimitError) {
      return badRequest(`a detect form has at most one file and ${FORM_LIMITS.fields} option fields`);
    }
    const reason = err instanceof Error ? err.message : String(err);
    return badRequest(`malformed multipart/form-data body: ${reason}`);
  }
  return upload;
}
