/** What the broker knows of each client connection (keyed by its ROUTER routing id). */
import type { Job } from './job.js';

export class ClientState {
  /** accepted requests not answered yet, by request id (duplicate suppression) */
  readonly pending = new Map<string, Job>();
  /** requests received from this client (accepted or not) */
  requests = 0;
  /** bytes (images + options) of the accepted requests not answered yet: what YOLOMQ_MAX_QUEUED_BYTES_PER_CLIENT bounds */
  pendingBytes = 0;
  lastSeen: number;

  constructor(
    readonly routingId: Buffer,
    readonly key: string,
    readonly firstSeen: number,
  ) {
    this.lastSeen = firstSeen;
  }

  /** requests queued or in flight: what YOLOMQ_MAX_INFLIGHT_PER_CLIENT bounds */
  get active(): number {
    return this.pending.size;
  }
}

/** Clients by key; a client is forgotten once it has nothing pending and was silent for idleMs. */
export class ClientTable {
  private readonly byKey = new Map<string, ClientState>();

  constructor(private readonly idleMs: number) {}

  get size(): number {
    return this.byKey.size;
  }

  values(): IterableIterator<ClientState> {
    return this.byKey.values();
  }

  /** The client with this key, created on first sight; marks it seen at `now`. */
  see(routingId: Buffer, key: string, now: number): ClientState {
    let client = this.byKey.get(key);
    if (client === undefined) {
      client = new ClientState(routingId, key, now);
      this.byKey.set(key, client);
    } else client.lastSeen = now;
    return client;
  }

  prune(now: number): void {
    for (const [key, client] of this.byKey) {
      if (client.pending.size === 0 && now - client.lastSeen > this.idleMs) this.byKey.delete(key);
    }
  }
}
