/**
 * The OpenAPI 3.1 description of the gateway, written by hand: the routes take binary bodies and
 * multipart forms that route schemas would describe worse than this does. Error statuses are derived
 * from errors-http.ts, and a test checks every route the server registers is described here and
 * nothing else is, so the document cannot drift from the code unnoticed.
 */

import { ClientErrorCode } from '@yolomq/client';
import { ErrorCode, OPTION_BOUNDS } from '@yolomq/protocol';
import { GatewayErrorCode, type HttpErrorCode, httpStatusOf } from './errors-http.js';

const ALL_CODES: HttpErrorCode[] = [
  ...Object.values(ErrorCode),
  ...Object.values(ClientErrorCode),
  ...Object.values(GatewayErrorCode),
];

const DETECT_CODES: HttpErrorCode[] = [
  ...Object.values(ErrorCode),
  ...Object.values(ClientErrorCode),
  GatewayErrorCode.UNSUPPORTED_MEDIA_TYPE,
];

const errorRef = { $ref: '#/components/responses/Error' };

/** Every status the given codes can produce, each described by the codes behind it. */
function errorResponses(codes: HttpErrorCode[]): Record<string, { description: string; $ref?: string }> {
  const byStatus = new Map<number, HttpErrorCode[]>();
  for (const code of codes) byStatus.set(httpStatusOf(code), [...(byStatus.get(httpStatusOf(code)) ?? []), code]);
  return Object.fromEntries(
    [...byStatus.entries()]
      .sort(([a], [b]) => a - b)
      .map(([status, list]) => [String(status), { ...errorRef, description: list.join(', ') }]),
  );
}

const upstreamErrors = errorResponses([GatewayErrorCode.UPSTREAM_UNAVAILABLE]);

const optionParameters = [
  {
    name: 'model',
    in: 'query',
    description: "model to run; empty or absent: the broker's default model",
    schema: { type: 'string', maxLength: 128 },
  },
  {
    name: 'conf',
    in: 'query',
    description: 'confidence threshold (worker default 0.25)',
    schema: { type: 'number', minimum: 0, maximum: 1 },
  },
  {
    name: 'iou',
    in: 'query',
    description: 'IoU threshold of class-aware NMS (worker default 0.7)',
    schema: { type: 'number', minimum: 0, maximum: 1 },
  },
  {
    name: 'classes',
    in: 'query',
    description: 'keep only these classes: ids or names, comma-separated or repeated (classes=0,bus)',
    schema: { type: 'array', items: { type: 'string' } },
    style: 'form',
    explode: false,
  },
  {
    name: 'maxDetections',
    in: 'query',
    description: 'at most this many detections (worker default 300)',
    schema: { type: 'integer', minimum: OPTION_BOUNDS.maxDetections.min, maximum: OPTION_BOUNDS.maxDetections.max },
  },
  {
    name: 'timeoutMs',
    in: 'query',
    description: "the request's deadline in ms (default: the gateway's YOLOMQ_GATEWAY_REQUEST_TIMEOUT_MS)",
    schema: { type: 'integer', minimum: OPTION_BOUNDS.timeoutMs.min, maximum: OPTION_BOUNDS.timeoutMs.max },
  },
];

const formOptionFields = Object.fromEntries(
  optionParameters.map((p) => [
    p.name,
    { type: 'string', description: `${p.description}; same as the query parameter` },
  ]),
);

export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'yolomq gateway',
    version: '0.1.0',
    description:
      'HTTP front of a yolomq cluster: YOLO object detection served over ZeroMQ by a broker and its workers. ' +
      'The gateway is a ZeroMQ client of the broker; a detection answers the same JSON as the ZeroMQ client SDK. ' +
      'Errors answer `{ "error": { "code", "message" }, "requestId" }` with the status of their code.',
    license: { name: 'MIT' },
  },
  paths: {
    '/v1/detect': {
      post: {
        operationId: 'detect',
        summary: 'Detect objects in one image',
        description:
          'Send the image bytes as the body (Content-Type image/* or application/octet-stream), or as the file ' +
          'field `image` of a multipart/form-data form whose other fields are the options. Options may also be ' +
          'query parameters; naming one twice (query and form) is a BAD_REQUEST.',
        parameters: optionParameters,
        requestBody: {
          required: true,
          content: {
            'image/*': { schema: { type: 'string', contentMediaType: 'image/*' } },
            'application/octet-stream': { schema: { type: 'string', contentMediaType: 'application/octet-stream' } },
            'multipart/form-data': {
              schema: {
                type: 'object',
                required: ['image'],
                properties: {
                  image: { type: 'string', contentMediaType: 'application/octet-stream' },
                  ...formOptionFields,
                },
              },
            },
          },
        },
        responses: {
          '200': {
            description: 'the detections',
            headers: { 'X-Request-Id': { $ref: '#/components/headers/X-Request-Id' } },
            content: { 'application/json': { schema: { $ref: '#/components/schemas/DetectResult' } } },
          },
          ...errorResponses(DETECT_CODES),
        },
      },
    },
    '/v1/models': {
      get: {
        operationId: 'listModels',
        summary: 'The models live workers serve now',
        responses: {
          '200': {
            description: 'models with their live worker counts',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Models' } } },
          },
          ...upstreamErrors,
        },
      },
    },
    '/v1/status': {
      get: {
        operationId: 'status',
        summary: "The broker's /status document (workers, queues, clients, rates), read through the gateway",
        responses: {
          '200': {
            description: "the broker's status document, as the broker serves it",
            content: { 'application/json': { schema: { type: 'object' } } },
          },
          ...upstreamErrors,
        },
      },
    },
    '/v1/events': {
      get: {
        operationId: 'events',
        summary: "Server-sent events: the broker's status once per interval",
        description:
          'Event `status` carries `{ at, status }` (at: epoch ms, status: the /v1/status document); event ' +
          '`unavailable` carries `{ at, message }` while the broker cannot be read.',
        responses: { '200': { description: 'an endless event stream', content: { 'text/event-stream': {} } } },
      },
    },
    '/healthz': {
      get: {
        operationId: 'health',
        summary: 'The gateway process serves HTTP',
        responses: {
          '200': {
            description: 'alive',
            content: { 'application/json': { schema: { type: 'object', properties: { status: { const: 'ok' } } } } },
          },
        },
      },
    },
    '/readyz': {
      get: {
        operationId: 'ready',
        summary: 'The broker answers the gateway over ZeroMQ',
        responses: {
          '200': {
            description: 'ready',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: { status: { const: 'ready' }, brokerRttMs: { type: 'number' } },
                },
              },
            },
          },
          ...errorResponses([ClientErrorCode.UNREACHABLE]),
        },
      },
    },
    '/openapi.json': {
      get: {
        operationId: 'openapi',
        summary: 'This document',
        responses: { '200': { description: 'OpenAPI 3.1', content: { 'application/json': {} } } },
      },
    },
    '/': {
      get: {
        operationId: 'dashboard',
        summary: 'The dashboard (HTML; its scripts and styles are served beside it)',
        responses: { '200': { description: 'the page', content: { 'text/html': {} } } },
      },
    },
  },
  components: {
    headers: {
      'X-Request-Id': { description: "the gateway's id of this HTTP request", schema: { type: 'string' } },
      'Retry-After': { description: 'seconds to wait before trying again', schema: { type: 'integer' } },
    },
    responses: {
      Error: {
        description: 'an error',
        headers: {
          'X-Request-Id': { $ref: '#/components/headers/X-Request-Id' },
          'Retry-After': { $ref: '#/components/headers/Retry-After' },
        },
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      },
    },
    schemas: {
      Error: {
        type: 'object',
        required: ['error', 'requestId'],
        properties: {
          error: {
            type: 'object',
            required: ['code', 'message'],
            properties: { code: { enum: ALL_CODES }, message: { type: 'string' } },
          },
          requestId: { type: 'string' },
        },
      },
      Box: {
        type: 'object',
        description: 'left, top, right, bottom in original-image pixels',
        required: ['x1', 'y1', 'x2', 'y2'],
        properties: { x1: { type: 'number' }, y1: { type: 'number' }, x2: { type: 'number' }, y2: { type: 'number' } },
      },
      Detection: {
        type: 'object',
        required: ['classId', 'className', 'score', 'box'],
        properties: {
          classId: { type: 'integer' },
          className: { type: 'string' },
          score: { type: 'number' },
          box: { $ref: '#/components/schemas/Box' },
        },
      },
      DetectResult: {
        type: 'object',
        required: ['model', 'workerId', 'width', 'height', 'detections', 'timings', 'requestId'],
        properties: {
          model: { type: 'string' },
          workerId: { type: 'string' },
          width: { type: 'integer' },
          height: { type: 'integer' },
          detections: { type: 'array', items: { $ref: '#/components/schemas/Detection' } },
          timings: {
            type: 'object',
            properties: {
              queueMs: { type: 'number' },
              preprocessMs: { type: 'number' },
              inferenceMs: { type: 'number' },
              postprocessMs: { type: 'number' },
              totalMs: { type: 'number' },
            },
          },
          requestId: { type: 'string', description: "the protocol request id (the broker's and worker's logs)" },
          attempts: { type: 'integer' },
          latencyMs: { type: 'number', description: 'as the gateway measured it' },
        },
      },
      Models: {
        type: 'object',
        required: ['models', 'defaultModel'],
        properties: {
          models: {
            type: 'array',
            items: {
              type: 'object',
              required: ['name', 'workers', 'default'],
              properties: { name: { type: 'string' }, workers: { type: 'integer' }, default: { type: 'boolean' } },
            },
          },
          defaultModel: { type: ['string', 'null'] },
        },
      },
    },
  },
} as const;
