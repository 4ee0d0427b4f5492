/**
 * The gateway's HTTP application: Fastify with the routes, limits and one error shape. It is given
 * everything it talks to (the detector, the broker status reader), so tests can build it around fakes;
 * gateway.ts wires the real ones and listens.
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import multipart from '@fastify/multipart';
import { ErrorCode } from '@yolomq/protocol';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import type { StatusSnapshot } from './broker-status.js';
import type { GatewayConfig } from './config.js';
import type { Detector } from './detector.js';
import { badRequest, GatewayErrorCode, problem } from './errors-http.js';
import { sendProblem } from './http-reply.js';
import { registerDashboardRoutes } from './routes/dashboard.js';
import { registerDetectRoute } from './routes/detect.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerModelsRoute } from './routes/models.js';
import { registerOpenApiRoute } from './routes/openapi.js';
import { registerStatusRoutes } from './routes/status.js';
import { StatusFeed } from './status-feed.js';
import type { MetricsSample } from './traffic.js';

export interface AppDeps {
  config: GatewayConfig;
  logger: FastifyBaseLogger;
  detector: Detector;
  readStatus: () => Promise<StatusSnapshot>;
  readMetrics: () => Promise<MetricsSample | undefined>;
}

export interface GatewayApp {
  app: FastifyInstance;
  feed: StatusFeed;
  /** every route registered (method and path), for checking the OpenAPI document against */
  routes: Array<{ method: string; url: string }>;
}

/** Time allowed to send the request headers; the whole request (body included) gets requestTimeoutMs. */
const HEADERS_TIMEOUT_MS = 10_000;

export async function buildApp(deps: AppDeps): Promise<GatewayApp> {
  const { config } = deps;
  const app = Fastify({
    loggerInstance: deps.logger,
    // Never trust a caller's id as ours: one per HTTP request, returned in X-Request-Id.
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    bodyLimit: config.maxBodyBytes,
    // node's http server: the whole request, headers and body, must arrive within this time
    requestTimeout: config.requestTimeoutMs,
    keepAliveTimeout: 5_000,
    return503OnClosing: true,
  });
  app.server.headersTimeout = Math.min(HEADERS_TIMEOUT_MS, config.requestTimeoutMs);

  // Only the media types a route takes: no JSON or form-urlencoded bodies anywhere (they get 415).
  app.removeAllContentTypeParsers();
  await app.register(multipart, {
    limits: { fileSize: config.maxBodyBytes, files: 1, fields: 16, fieldSize: 4096, parts: 17 },
  });

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, problem(GatewayErrorCode.NOT_FOUND, `no route ${request.method} ${request.url.split('?')[0]}`)),
  );

  app.setErrorHandler((error: FastifyError, request, reply) => {
    switch (error.code) {
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      case 'FST_ERR_CTP_INVALID_TYPE':
      case 'FST_ERR_CTP_EMPTY_TYPE':
        return sendProblem(
          reply,
          problem(
            GatewayErrorCode.UNSUPPORTED_MEDIA_TYPE,
            `Content-Type ${JSON.stringify(request.headers['content-type'] ?? '')} is not accepted here: send the ` +
              'image bytes with Content-Type image/* or application/octet-stream, or a multipart/form-data form',
          ),
        );
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        reply.header('connection', 'close');
        return sendProblem(
          reply,
          problem(
            ErrorCode.IMAGE_TOO_LARGE,
            `request body is over the gateway's limit of ${config.maxBodyBytes} bytes`,
          ),
        );
      default:
        break;
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) return sendProblem(reply, badRequest(error.message));
    request.log.error({ err: error }, 'unhandled error');
    return sendProblem(reply, problem(ErrorCode.INTERNAL, 'the gateway failed unexpectedly; see its log'));
  });

  const feed = new StatusFeed({ readStatus: deps.readStatus, readMetrics: deps.readMetrics }, config.statusIntervalMs);
  const streams = new Set<ServerResponse>();
  // Open event streams would hold close() forever: end them first.
  app.addHook('preClose', async () => {
    feed.close();
    for (const res of streams) res.end();
    streams.clear();
  });

  const routes: Array<{ method: string; url: string }> = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) if (method !== 'HEAD') routes.push({ method, url: route.url });
  });

  registerDetectRoute(app, { config, detector: deps.detector });
  registerModelsRoute(app, deps.readStatus);
  registerStatusRoutes(app, { readStatus: deps.readStatus, feed, streams });
  registerHealthRoutes(app, deps.detector);
  registerOpenApiRoute(app);
  registerDashboardRoutes(app);
  return { app, feed, routes };
}
