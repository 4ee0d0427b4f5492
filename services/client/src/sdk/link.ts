/**
 * The I/O shell of a client: one DEALER socket to the broker's frontend, a send pump and a receive loop.
 * `reset()` throws the socket away and opens a new one (a new routing id, so replies to earlier attempts
 * can never arrive): the Lazy Pirate reconnect. Everything it receives is decoded and handed to a sink;
 * it makes no decisions of its own.
 */
import { type BrokerToClient, decodeBrokerToClient, type ProtocolError } from '@yolomq/protocol';
import { Dealer } from 'zeromq';
import type { CurveKeys, SdkLogger } from './options.js';

export interface LinkSink {
  onMessage(message: BrokerToClient): void;
  /** a message from the broker that does not decode; id is the request it names, when it names one */
  onUndecodable(error: ProtocolError, id: string | undefined): void;
}

/** One socket's lifetime: the socket and its own outbox, so a reset never mixes two sockets' messages. */
interface Connection {
  readonly socket: Dealer;
  readonly outbox: Buffer[][];
  pumping: boolean;
  closed: boolean;
}

export class BrokerLink {
  private connection: Connection;

  constructor(
    readonly endpoint: string,
    private readonly sink: LinkSink,
    private readonly log: SdkLogger,
    private readonly curve?: CurveKeys,
  ) {
    this.connection = this.open();
  }

  /** Queues a message; the pump sends it when the socket can take it. */
  send(frames: Buffer[]): void {
    const connection = this.connection;
    if (connection.closed) return;
    connection.outbox.push(frames);
    if (!connection.pumping) void this.pump(connection);
  }

  /** Closes the socket (dropping whatever it still queues) and opens a fresh one to the same endpoint. */
  reset(): void {
    this.shut(this.connection);
    this.connection = this.open();
  }

  close(): void {
    this.shut(this.connection);
  }

  private open(): Connection {
    // linger 0: a closed socket drops its queue at once (pending requests are resent or rejected by the
    // client, never silently delivered later). High-water marks 0: the client bounds what is in flight
    // itself, and a ROUTER drops replies to a peer whose receive queue is full.
    const curve = this.curve;
    const socket = new Dealer({
      linger: 0,
      sendHighWaterMark: 0,
      receiveHighWaterMark: 0,
      ...(curve === undefined
        ? {}
        : { curveServerKey: curve.serverKey, curvePublicKey: curve.publicKey, curveSecretKey: curve.secretKey }),
    });
    socket.connect(this.endpoint);
    const connection: Connection = { socket, outbox: [], pumping: false, closed: false };
    void this.receive(connection);
    return connection;
  }

  private shut(connection: Connection): void {
    if (connection.closed) return;
    connection.closed = true;
    connection.outbox.length = 0;
    connection.socket.close();
  }

  // zeromq.js allows one send in progress per socket: a single pump per connection drains its outbox.
  // send() usually resolves at once (the message is queued inside libzmq), so this costs one microtask.
  private async pump(connection: Connection): Promise<void> {
    connection.pumping = true;
    while (!connection.closed) {
      const frames = connection.outbox.shift();
      if (frames === undefined) break;
      try {
        await connection.socket.send(frames);
      } catch (err) {
        // A send fails only when the socket is closing; the request's timer decides what happens next.
        if (!connection.closed) this.log.warn({ err, endpoint: this.endpoint }, 'send to broker failed');
      }
    }
    connection.pumping = false;
  }

  private async receive(connection: Connection): Promise<void> {
    try {
      for await (const frames of connection.socket) {
        const decoded = decodeBrokerToClient(frames);
        try {
          if (decoded.ok) this.sink.onMessage(decoded.value);
          else this.sink.onUndecodable(decoded.error, decoded.id);
        } catch (err) {
          // A bug in a handler must not end the loop (and deafen the client).
          this.log.warn({ err }, 'handling a broker message failed');
        }
      }
    } catch (err) {
      if (!connection.closed) this.log.warn({ err, endpoint: this.endpoint }, 'receive from broker failed');
    }
  }
}
