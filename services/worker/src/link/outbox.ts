/**
 * A send queue in front of one zeromq.js socket. zeromq.js v6 allows one send in progress per
 * socket, so every message goes through here and a single pump awaits the sends in order; callers
 * never await a send inline in a receive loop. A failed send (socket closed) drops the queue.
 */

export interface SendingSocket {
  send(frames: Array<Buffer | string>): Promise<void>;
}

export class Outbox {
  private readonly queue: Array<ReadonlyArray<Buffer | string>> = [];
  private pumping = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly socket: SendingSocket,
    private readonly onError: (error: unknown) => void = () => {},
  ) {}

  send(frames: ReadonlyArray<Buffer | string>): void {
    this.queue.push(frames);
    if (!this.pumping) void this.pump();
  }

  get pending(): number {
    return this.queue.length + (this.pumping ? 1 : 0);
  }

  /** Resolves once everything queued so far has been handed to ZeroMQ. */
  flushed(): Promise<void> {
    if (!this.pumping && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      while (this.queue.length > 0) {
        const frames = this.queue.shift()!;
        await this.socket.send(frames as Array<Buffer | string>);
      }
    } catch (error) {
      this.queue.length = 0;
      this.onError(error);
    } finally {
      this.pumping = false;
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }
}
