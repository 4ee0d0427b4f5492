import type { FastifyInstance } from 'fastify';
import { openApiDocument } from '../openapi.js';

/** GET /openapi.json: the hand-written OpenAPI 3.1 description of the gateway (src/openapi.ts). */
export function registerOpenApiRoute(app: FastifyInstance): void {
  const body = JSON.stringify(openApiDocument);
  app.get('/openapi.json', async (_request, reply) =>
    reply.type('application/json; charset=utf-8').header('cache-control', 'no-cache').send(body),
  );
}
