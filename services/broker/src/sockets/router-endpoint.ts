/**
 * A bound ROUTER socket: its receive loop and its sends. Nothing else (no decoding, no decisions).
 *
 * Why sends are never awaited and need no JS queue: zeromq.js v6 allows one send in progress per
 * socket, and a send is "in progress" only while it waits for the socket to become writable. The
 * sockets are created with sendTimeout 0 (ZMQ_SNDTIMEO=0), which makes every send complete or fail
 * synchronously inside the call, so there is never a send in progress and the receive loop never
 * waits on one. A ROUTER never blocks anyway: without `mandatory` it drops a message for a peer that is
 * gone or over its high-water mark; with `mandatory` (the backend, whose high-water mark is unlimited
 * because credit bounds what a worker holds) it fails at once with EHOSTUNREACH, which tells the broker
 * a worker's connection is gone before its heartbeats would.
 */
import { Router } from 'zeromq';

export interface RouterEndpointOptions {
  /** largest inbound frame; a peer sending a larger one is disconnected by libzmq (ZMQ_MAXMSGSIZE) */
  maxMessageSize: number;
  /** messages queued per peer before the ROUTER drops (or, with mandatory, refuses) more; 0 = no limit */
  sendHighWaterMark: number;
  /** fail sends to unknown peers (EHOSTUNREACH) instead of dropping them silently */
  mandatory: boolean;
  /** how long close() keeps trying to deliver queued messages */
  lingerMs: number;
  /** CurveZMQ server: the broker's secret key, and the ZAP domain whose allow-list admits peers */
  curve?: { secretKey: string; zapDomain: string };
}

/** Called with the frames of each message received; frames[0] is the sender's routing id. */
export type MessageHandler = (frames: Buffer[]) => void;
/** Called when a send failed; `routingId` is the peer it was for. */
export type SendErrorHandler = (routingId: Buffer, error: unknown) => void;

export class RouterEndpoint {
  readonly socket: Router;
  private endpoint = '';

  constructor(
    readonly name: string,
    options: RouterEndpointOptions,
    private readonly onSendError: SendErrorHandler,
  ) {
    this.socket = new Router({
      sendTimeout: 0,
      sendHighWaterMark: options.sendHighWaterMark,
      maxMessageSize: options.maxMessageSize,
      mandatory: options.mandatory,
      // a peer reconnecting with a routing id still held by its old, dead connection takes it over
      handover: true,
      linger: options.lingerMs,
      ...(options.curve === undefined
        ? {}
        : { curveServer: true, curveSecretKey: options.curve.secretKey, zapDomain: options.curve.zapDomain }),
    });
  }

  /** Binds and returns the endpoint actually bound (a `*` port resolved). */
  async bind(address: string): Promise<string> {
    await this.socket.bind(address);
    this.endpoint = this.socket.lastEndpoint ?? address;
    return this.endpoint;
  }

  get address(): string {
    return this.endpoint;
  }

  /**
   * Sends a message (frames[0] is the routing id). Completes synchronously; a failure is reported to
   * the send-error handler, never thrown. The frames are handed to libzmq as they are: image and
   * result buffers are forwarded, not copied in JavaScript.
   */
  send(frames: Buffer[]): void {
    if (this.socket.closed) return;
    const routingId = frames[0]!;
    try {
      this.socket.send(frames).then(undefined, (error: unknown) => this.onSendError(routingId, error));
    } catch (error) {
      // zeromq.js throws (rather than rejects) on misuse such as a send while one is in progress,
      // which sendTimeout 0 rules out; reported the same way all the same
      this.onSendError(routingId, error);
    }
  }

  /**
   * Runs the receive loop until the socket is closed. The handler must not throw; if it does, the
   * error goes to onHandlerError and the loop goes on with the next message.
   */
  async run(handler: MessageHandler, onHandlerError: (error: unknown) => void): Promise<void> {
    for await (const frames of receiveInBatches(this.socket)) {
      try {
        handler(frames);
      } catch (error) {
        onHandlerError(error);
      }
    }
  }

  close(): void {
    if (!this.socket.closed) this.socket.close();
  }
}

/** Messages read in a row before yielding to timers and other I/O. */
const BATCH = 256;

/**
 * The socket's messages, BATCH at a time. Why it is faster than zeromq.js's own iterator: that one
 * wraps each read in one more async function. Why every read waits (receiveTimeout -1) rather than
 * reading on with timeout 0 until EAGAIN: when a message is waiting, zeromq.js reads it synchronously
 * either way, after a ZMQ_EVENTS check of about 0.35 us; but an empty read with timeout 0 is a rejected
 * promise with an Error built in native code, about 4 us, paid after every burst. After BATCH messages
 * it yields to the event loop (setImmediate), so a flood on one socket cannot starve the other socket,
 * the timers or the HTTP server. Ends when the socket is closed.
 */
export async function* receiveInBatches(socket: Router): AsyncGenerator<Buffer[], void, undefined> {
  socket.receiveTimeout = -1;
  for (;;) {
    for (let n = 0; n < BATCH; n++) {
      let frames: Buffer[];
      try {
        frames = await socket.receive();
      } catch (error) {
        if (socket.closed) return;
        throw error;
      }
      yield frames;
      if (socket.closed) return;
    }
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
