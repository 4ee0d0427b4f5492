/** GET /v1/models: the models live workers serve now (see models.ts), read from the broker's /status. */
import type { FastifyInstance } from 'fastify';
import type { StatusSnapshot } from '../broker-status.js';
import { GatewayErrorCode, problem } from '../errors-http.js';
import { sendProblem } from '../http-reply.js';
import { modelsFromStatus } from '../models.js';

export function registerModelsRoute(app: FastifyInstance, readStatus: () => Promise<StatusSnapshot>): void {
  app.get('/v1/models', async (_request, reply) => {
    const snapshot = await readStatus();
    if (!snapshot.ok) return sendProblem(reply, problem(GatewayErrorCode.UPSTREAM_UNAVAILABLE, snapshot.message));
    return reply.header('cache-control', 'no-store').send(modelsFromStatus(snapshot.status));
  });
}
