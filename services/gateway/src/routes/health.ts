/**
 * GET /healthz: the gateway process serves HTTP. GET /readyz: it can also reach the broker over
 * ZeroMQ (a PING answered within a second), so a load balancer sends detections only where they can
 * go on. Both log at warn only: orchestrators poll them every few seconds.
 */
import type { FastifyInstance } from 'fastify';
import type { Detector } from '../detector.js';
import { problemFromError } from '../errors-http.js';
import { sendProblem } from '../http-reply.js';

const READY_PING_MS = 1000;

export function registerHealthRoutes(app: FastifyInstance, detector: Detector): void {
  app.get('/healthz', { logLevel: 'warn' }, async () => ({ status: 'ok' }));

  app.get('/readyz', { logLevel: 'warn' }, async (_request, reply) => {
    try {
      const rttMs = await detector.ping(READY_PING_MS);
      return { status: 'ready', brokerRttMs: Math.round(rttMs * 100) / 100 };
    } catch (err) {
      return sendProblem(reply, problemFromError(err));
    }
  });
}
