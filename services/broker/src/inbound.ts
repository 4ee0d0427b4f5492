/**
 * What arrives on each socket: decoded with the protocol's decoders and handed to the scheduler with
 * the time it arrived. Undecodable messages are counted, logged at a bounded rate, and answered with
 * the decoder's error code when they name a request; PING is answered here (it needs no decision).
 */
import { decodeClientMessage, decodeWorkerMessage, encodeError, encodePong } from '@yolomq/protocol';
import type { BrokerMetrics } from './http/metrics.js';
import type { Logger, LogRateLimiter } from './logger.js';
import type { Scheduler } from './scheduler/scheduler.js';
import type { RouterEndpoint } from './sockets/router-endpoint.js';

export interface InboundOptions {
  scheduler: Scheduler;
  frontend: RouterEndpoint;
  metrics: BrokerMetrics;
  log: Logger;
  limiter: LogRateLimiter;
  /** the largest image a request may carry */
  maxImageBytes: number;
  clock: () => number;
  /** called after each accepted request (its deadline may be the earliest now) */
  onRequest: () => void;
}

export class Inbound {
  private readonly limits: { maxImageBytes: number };

  constructor(private readonly o: InboundOptions) {
    this.limits = { maxImageBytes: o.maxImageBytes };
  }

  /** A message on the frontend; frames[0] is the client's routing id. */
  readonly client = (frames: Buffer[]): void => {
    const { scheduler, frontend } = this.o;
    const routingId = frames.shift()!;
    const now = this.o.clock();
    const key = routingId.toString('latin1');
    const decoded = decodeClientMessage(frames, this.limits);
    if (!decoded.ok) {
      scheduler.clientSeen(routingId, key, now);
      this.malformed('frontend', routingId, decoded.error.code, decoded.error.message);
      if (decoded.id !== undefined) {
        const reply = encodeError(decoded.id, decoded.error.code, decoded.error.message);
        reply.unshift(routingId);
        frontend.send(reply);
        this.o.metrics.model('unknown').outcome(decoded.error.code);
      }
      return;
    }
    const msg = decoded.value;
    if (msg.command === 'REQUEST') {
      scheduler.submit(routingId, key, msg, now);
      this.o.onRequest();
    } else {
      scheduler.clientSeen(routingId, key, now);
      const pong = encodePong(msg.token);
      pong.unshift(routingId);
      frontend.send(pong);
    }
  };

  /** A message on the backend; frames[0] is the worker's routing id. */
  readonly worker = (frames: Buffer[]): void => {
    const { scheduler } = this.o;
    const routingId = frames.shift()!;
    const now = this.o.clock();
    const key = routingId.toString('latin1');
    const decoded = decodeWorkerMessage(frames);
    if (!decoded.ok) {
      const known = scheduler.workerSpoke(key, now);
      this.malformed('backend', routingId, decoded.error.code, decoded.error.message);
      if (known && decoded.id !== undefined) {
        scheduler.workerInvalidAnswer(key, routingId, decoded.id, decoded.error.message, now);
      }
      return;
    }
    const msg = decoded.value;
    switch (msg.command) {
      case 'REPLY':
        scheduler.workerReply(key, routingId, msg.jobId, msg.result, now);
        break;
      case 'HEARTBEAT':
        scheduler.workerHeartbeat(key, routingId, now);
        break;
      case 'ERROR':
        scheduler.workerError(key, routingId, msg.jobId, msg.code, msg.message, now);
        break;
      case 'READY':
        scheduler.workerReady(routingId, key, msg.model, msg.info, now);
        break;
      case 'DISCONNECT':
        scheduler.workerDisconnected(key, now);
        break;
    }
  };

  private malformed(socket: 'frontend' | 'backend', routingId: Buffer, code: string, problem: string): void {
    this.o.metrics.malformedMessage(socket);
    const suppressed = this.o.limiter.allow(`malformed-${socket}`, this.o.clock());
    if (suppressed >= 0) {
      this.o.log.warn({ socket, peer: routingId.toString('hex'), code, problem, suppressed }, 'malformed message');
    }
  }
}
