/**
 * GET /v1/status: the broker's /status document, read through the gateway (one origin for the
 * dashboard, no CORS). GET /v1/events: server-sent events, one `status` event per interval carrying
 * the same document and the cluster's traffic (traffic.ts), or `unavailable` while the broker cannot
 * be read; one poller (status-feed.ts) serves every viewer.
 */
import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { StatusSnapshot } from '../broker-status.js';
import { GatewayErrorCode, problem } from '../errors-http.js';
import { sendProblem } from '../http-reply.js';
import type { FeedEvent, StatusFeed } from '../status-feed.js';

export interface StatusRouteDeps {
  readStatus: () => Promise<StatusSnapshot>;
  feed: StatusFeed;
  /** SSE responses open now; the gateway ends them when it closes */
  streams: Set<ServerResponse>;
}

/** One SSE frame. JSON.stringify never emits a raw newline, so `data:` stays one line. */
export function sseFrame(event: FeedEvent): string {
  return event.ok
    ? `event: status\ndata: ${JSON.stringify({ at: event.at, status: event.status, traffic: event.traffic })}\n\n`
    : `event: unavailable\ndata: ${JSON.stringify({ at: event.at, message: event.message })}\n\n`;
}

export function registerStatusRoutes(app: FastifyInstance, deps: StatusRouteDeps): void {
  app.get('/v1/status', async (_request, reply) => {
    const snapshot = await deps.readStatus();
    if (!snapshot.ok) return sendProblem(reply, problem(GatewayErrorCode.UPSTREAM_UNAVAILABLE, snapshot.message));
    return reply.header('cache-control', 'no-store').send(snapshot.status);
  });

  app.get('/v1/events', (request, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store, no-transform',
      connection: 'keep-alive',
      'x-request-id': String(request.id),
      // proxies such as nginx must pass events on as they come
      'x-accel-buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    deps.streams.add(res);
    const unsubscribe = deps.feed.subscribe((event) => {
      // A viewer that does not keep up misses events instead of growing our buffer: each one
      // replaces the last, so skipping loses nothing a dashboard needs.
      if (!res.writableNeedDrain) res.write(sseFrame(event));
    });
    res.once('close', () => {
      unsubscribe();
      deps.streams.delete(res);
    });
  });
}
