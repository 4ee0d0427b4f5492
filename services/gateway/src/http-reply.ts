/** Sending error answers: one shape for every route, the hooks and the error handler. */
import type { FastifyReply } from 'fastify';
import { errorBody, type HttpProblem } from './errors-http.js';

export function sendProblem(reply: FastifyReply, p: HttpProblem): FastifyReply {
  if (p.retryAfterS !== undefined) reply.header('retry-after', String(p.retryAfterS));
  return reply
    .code(p.status)
    .type('application/json; charset=utf-8')
    .send(errorBody(p, String(reply.request.id)));
}

/**
 * Refuses a request before its body is read. `Connection: close` tells Node to drop the socket once
 * the answer is out instead of reading (and discarding) the rest of an unwanted upload.
 */
export function refuseEarly(reply: FastifyReply, p: HttpProblem): FastifyReply {
  reply.header('connection', 'close');
  return sendProblem(reply, p);
}
