/** Test helper: a broker backend ROUTER driven by the test, recording what each worker sends. */
import { decodeWorkerMessage, HEARTBEAT_MESSAGE, type WorkerToBroker } from '@yolomq/protocol';
import { Router } from 'zeromq';

export interface Received {
  routingId: string;
  message: WorkerToBroker;
  at: number;
}

export class FakeBroker {
  readonly socket = new Router({ linger: 0 });
  readonly received: Received[] = [];
  private waiters: Array<() => void> = [];
  private outbox: Buffer[][] = [];
  private sending = false;
  private readonly peers = new Set<string>();
  private heartbeat: NodeJS.Timeout | undefined;
  /** while true the broker sends no heartbeats (to test the worker's reaction to silence) */
  silent = false;

  static async start(endpoint: string, heartbeatMs = 100): Promise<FakeBroker> {
    const broker = new FakeBroker();
    await broker.socket.bind(endpoint);
    void broker.loop();
    broker.heartbeat = setInterval(() => {
      if (!broker.silent) for (const peer of broker.peers) broker.send(peer, [...HEARTBEAT_MESSAGE]);
    }, heartbeatMs);
    return broker;
  }

  private async loop(): Promise<void> {
    try {
      for await (const [id, ...frames] of this.socket) {
        const decoded = decodeWorkerMessage(frames);
        if (!decoded.ok) throw new Error(`worker sent a malformed message: ${decoded.error.message}`);
        this.peers.add(id!.toString());
        this.received.push({ routingId: id!.toString(), message: decoded.value, at: Date.now() });
        for (const w of this.waiters.splice(0)) w();
      }
    } catch {
      // closed
    }
  }

  send(routingId: string, frames: Buffer[]): void {
    this.outbox.push([Buffer.from(routingId), ...frames]);
    void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.sending) return;
    this.sending = true;
    while (this.outbox.length > 0) await this.socket.send(this.outbox.shift()!);
    this.sending = false;
  }

  /** Messages of one command, optionally after index `from`. */
  all<C extends WorkerToBroker['command']>(command: C, from = 0): Array<Extract<WorkerToBroker, { command: C }>> {
    return this.received
      .slice(from)
      .map((r) => r.message)
      .filter((m): m is Extract<WorkerToBroker, { command: C }> => m.command === command);
  }

  /** Waits until `check` returns a value (not undefined). */
  waitFor<T>(check: () => T | undefined, timeoutMs = 20_000, what = 'a message'): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
      const test = () => {
        const value = check();
        if (value !== undefined) {
          clearTimeout(timer);
          resolve(value);
        } else this.waiters.push(test);
      };
      test();
    });
  }

  close(): void {
    clearInterval(this.heartbeat);
    this.socket.close();
  }
}
