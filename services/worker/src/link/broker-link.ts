/**
 * The worker's side of the broker connection (main thread only): one DEALER whose routing id is the
 * worker id. It announces itself with READY (model and credit), sends HEARTBEAT every interval, and
 * treats any message from the broker as a sign of life. When the broker has been silent for
 * `liveness` intervals, or tells the worker DISCONNECT, the link closes the socket, waits a backoff
 * that doubles up to a maximum, opens a new socket and announces itself again (the Paranoid Pirate
 * worker, ZeroMQ RFC 6). Each connection has a generation number: answers to jobs of an older
 * connection are dropped, since the broker has already re-sent or answered them.
 */
import {
  DISCONNECT_MESSAGE,
  decodeBrokerToWorker,
  type ErrorCode,
  encodeReady,
  encodeWorkerError,
  encodeWorkerReply,
  HEARTBEAT_MESSAGE,
  type JobRequest,
  type WorkerInfo,
} from '@yolomq/protocol';
import { Dealer } from 'zeromq';
import type { Logger } from '../logger.js';
import { Backoff } from './backoff.js';
import { Outbox } from './outbox.js';

export interface BrokerLinkOptions {
  endpoint: string;
  model: string;
  info: WorkerInfo;
  heartbeatMs: number;
  liveness: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  /** CurveZMQ: the broker's public key and this worker's pair (undefined: plain text) */
  curve?: { serverKey: string; publicKey: string; secretKey: string };
}

export interface BrokerLinkEvents {
  /** a job from the broker, on connection `generation` */
  job(job: JobRequest, jobIdFrame: Buffer, generation: number): void;
  /** the link dropped connection `generation` and is about to open a new one */
  reconnecting(generation: number): void;
}

export class BrokerLink {
  private socket: Dealer | undefined;
  private outbox: Outbox | undefined;
  private generationNo = 0;
  private lastSeen = 0;
  private heartbeat: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private readonly backoff: Backoff;
  private closed = false;

  constructor(
    private readonly options: BrokerLinkOptions,
    private readonly events: BrokerLinkEvents,
    private readonly log: Logger,
  ) {
    this.backoff = new Backoff(options.reconnectMinMs, options.reconnectMaxMs);
  }

  get generation(): number {
    return this.generationNo;
  }

  get connected(): boolean {
    return this.socket !== undefined;
  }

  start(): void {
    this.open();
    this.heartbeat = setInterval(() => this.tick(), this.options.heartbeatMs);
  }

  reply(generation: number, jobId: Buffer | string, result: Buffer): boolean {
    return this.sendFor(generation, encodeWorkerReply(jobId, result));
  }

  error(generation: number, jobId: Buffer | string, code: ErrorCode, message: string): boolean {
    return this.sendFor(generation, encodeWorkerError(jobId, code, message));
  }

  /** Sends DISCONNECT, waits until it is handed to ZeroMQ, and closes the socket (lingering up to lingerMs). */
  async close(lingerMs = 1000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    clearTimeout(this.reconnectTimer);
    const socket = this.socket;
    const outbox = this.outbox;
    this.socket = undefined;
    if (socket === undefined || outbox === undefined) return;
    outbox.send(DISCONNECT_MESSAGE);
    await Promise.race([outbox.flushed(), sleep(lingerMs)]);
    socket.linger = lingerMs;
    socket.close();
  }

  private sendFor(generation: number, frames: Buffer[]): boolean {
    if (generation !== this.generationNo || this.outbox === undefined) return false;
    this.outbox.send(frames);
    return true;
  }

  private open(): void {
    const curve = this.options.curve;
    const socket = new Dealer({
      routingId: this.options.info.workerId,
      linger: 0,
      ...(curve === undefined
        ? {}
        : { curveServerKey: curve.serverKey, curvePublicKey: curve.publicKey, curveSecretKey: curve.secretKey }),
    });
    socket.connect(this.options.endpoint);
    this.socket = socket;
    this.outbox = new Outbox(socket, (error) => this.log.debug({ err: error }, 'send failed'));
    this.lastSeen = Date.now();
    this.outbox.send(encodeReady(this.options.model, this.options.info));
    this.log.info(
      { endpoint: this.options.endpoint, generation: this.generationNo, credit: this.options.info.credit },
      'connecting to the broker',
    );
    void this.receive(socket, this.generationNo);
  }

  private async receive(socket: Dealer, generation: number): Promise<void> {
    try {
      for await (const frames of socket) {
        this.lastSeen = Date.now();
        this.backoff.reset();
        const decoded = decodeBrokerToWorker(frames);
        if (!decoded.ok) {
          this.log.warn({ problem: decoded.error.message }, 'malformed message from the broker');
          if (decoded.id !== undefined) this.error(generation, decoded.id, decoded.error.code, decoded.error.message);
          continue;
        }
        const msg = decoded.value;
        if (msg.command === 'REQUEST') this.events.job(msg, frames[2]!, generation);
        else if (msg.command === 'DISCONNECT') {
          this.log.warn('the broker sent DISCONNECT: registering again');
          this.reconnect(this.options.reconnectMinMs);
          return;
        }
      }
    } catch (error) {
      if (!this.closed && socket === this.socket) this.log.warn({ err: error }, 'broker socket failed');
    }
  }

  private tick(): void {
    if (this.socket === undefined || this.outbox === undefined) return;
    const silentMs = Date.now() - this.lastSeen;
    if (silentMs > this.options.heartbeatMs * this.options.liveness) {
      const delay = this.backoff.next();
      this.log.warn({ silentMs, retryInMs: delay }, 'the broker is silent: reconnecting');
      this.reconnect(delay);
      return;
    }
    this.outbox.send(HEARTBEAT_MESSAGE);
  }

  private reconnect(delayMs: number): void {
    const old = this.socket;
    this.socket = undefined;
    this.outbox = undefined;
    old?.close();
    const dropped = this.generationNo;
    this.generationNo++;
    this.events.reconnecting(dropped);
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => {
      if (!this.closed) this.open();
    }, delayMs);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
