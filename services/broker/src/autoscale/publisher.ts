/**
 * The desired worker counts on a ZeroMQ PUB socket, so any external scaler can act on them: one
 * message per model per autoscaler tick, encoded by the protocol package (SPEC.md §11.10: frames
 * ["yolomq.desired", model, JSON of ModelScaling]).
 *
 * Sends are never awaited: with sendTimeout 0 a PUB send completes (or drops, past the high-water mark
 * of a slow subscriber) inside the call, so no send is ever in progress (the zeromq.js v6 rule).
 */
import { encodeDesired } from '@yolomq/protocol';
import { Publisher } from 'zeromq';
import type { ModelScaling } from './autoscaler.js';

export class DesiredPublisher {
  private readonly socket = new Publisher({ sendTimeout: 0, linger: 0, sendHighWaterMark: 1000 });
  private bound = '';

  /** Binds and returns the endpoint actually bound (a `*` port resolved). */
  async bind(address: string): Promise<string> {
    await this.socket.bind(address);
    this.bound = this.socket.lastEndpoint ?? address;
    return this.bound;
  }

  get address(): string {
    return this.bound;
  }

  publish(scaling: ModelScaling): void {
    if (this.socket.closed) return;
    this.socket.send(encodeDesired(scaling)).then(undefined, () => {
      // nothing to do: a PUB drops for slow subscribers by design, and the next tick sends again
    });
  }

  close(): void {
    this.socket.close();
  }
}
