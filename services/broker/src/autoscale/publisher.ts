/**
 * The desired worker counts on a ZeroMQ PUB socket, so any external scaler can act on them: one
 * message per model per autoscaler tick, frames ["yolomq.desired", model, JSON of ModelScaling].
 * A subscriber filters with the prefix "yolomq.desired" (ZeroMQ matches on the first frame).
 *
 * Sends are never awaited: with sendTimeout 0 a PUB send completes (or drops, past the high-water mark
 * of a slow subscriber) inside the call, so no send is ever in progress (the zeromq.js v6 rule).
 */
import { Publisher } from 'zeromq';
import type { ModelScaling } from './autoscaler.js';

export const DESIRED_TOPIC = 'yolomq.desired';

export class DesiredPublisher {
  private readonly socket = new Publisher({ sendTimeout: 0, linger: 0, sendHighWaterMark: 1000 });
  private readonly topic = Buffer.from(DESIRED_TOPIC);
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
    this.socket
      .send([this.topic, Buffer.from(scaling.model), Buffer.from(JSON.stringify(scaling))])
      .then(undefined, () => {
        // nothing to do: a PUB drops for slow subscribers by design, and the next tick sends again
      });
  }

  close(): void {
    this.socket.close();
  }
}
