/**
 * One poller of the broker's /status and /metrics shared by every dashboard watching the event
 * stream: however many browsers are open, the broker is read once per interval, and not at all when
 * none is. Reads are chained (the next starts after the last ends), so a slow broker never piles them
 * up. Each event carries the status document and the traffic (rates, latency percentiles) over the
 * last few seconds of metrics readings.
 */
import type { BrokerStatus, StatusSnapshot } from './broker-status.js';
import { type MetricsSample, type Traffic, trafficBetween } from './traffic.js';

export type FeedEvent =
  | { ok: true; at: number; status: BrokerStatus; traffic: Traffic | null }
  | { ok: false; at: number; message: string };

export type FeedListener = (event: FeedEvent) => void;

export interface FeedSources {
  readStatus: () => Promise<StatusSnapshot>;
  readMetrics: () => Promise<MetricsSample | undefined>;
}

/** Rates and percentiles are taken over about this long, so one quiet second does not zero a chart. */
export const TRAFFIC_WINDOW_MS = 5000;

export class StatusFeed {
  private readonly listeners = new Set<FeedListener>();
  private readonly samples: Array<{ at: number; sample: MetricsSample }> = [];
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  private polling = false;
  private closed = false;
  private latest: FeedEvent | undefined;

  constructor(
    private readonly sources: FeedSources,
    private readonly intervalMs: number,
  ) {}

  get subscribers(): number {
    return this.listeners.size;
  }

  /** Adds a listener; it gets the latest event at once when one is fresh. Returns the unsubscriber. */
  subscribe(listener: FeedListener): () => void {
    if (this.closed) return () => {};
    this.listeners.add(listener);
    const latest = this.latest;
    if (latest && Date.now() - latest.at < this.intervalMs) listener(latest);
    if (!this.polling) void this.poll();
    return () => {
      this.listeners.delete(listener);
    };
  }

  close(): void {
    this.closed = true;
    this.listeners.clear();
    clearTimeout(this.timer);
    this.wake?.();
  }

  private async poll(): Promise<void> {
    this.polling = true;
    while (!this.closed && this.listeners.size > 0) {
      const event = await this.read();
      this.latest = event;
      for (const listener of this.listeners) listener(event);
      if (this.closed || this.listeners.size === 0) break;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.timer = setTimeout(resolve, this.intervalMs);
      });
      this.wake = undefined;
    }
    this.polling = false;
  }

  private async read(): Promise<FeedEvent> {
    const [snapshot, sample] = await Promise.all([this.sources.readStatus(), this.sources.readMetrics()]);
    if (!snapshot.ok) return snapshot;
    return { ok: true, at: snapshot.at, status: snapshot.status, traffic: this.traffic(snapshot.at, sample) };
  }

  /** Traffic from the reading about TRAFFIC_WINDOW_MS ago (or the oldest kept) to this one. */
  private traffic(at: number, sample: MetricsSample | undefined): Traffic | null {
    if (sample === undefined) return null;
    this.samples.push({ at, sample });
    while (this.samples.length > 1 && at - this.samples[1]!.at >= TRAFFIC_WINDOW_MS) this.samples.shift();
    const first = this.samples[0]!;
    if (first.at === at) return null;
    // After a pause with nobody watching, the oldest reading says nothing about "now".
    if (at - first.at > 3 * TRAFFIC_WINDOW_MS) return this.restart(at, sample);
    return trafficBetween(first.sample, sample, at - first.at) ?? this.restart(at, sample);
  }

  /** Counters went backwards (the broker restarted): start the window again from this reading. */
  private restart(at: number, sample: MetricsSample): null {
    this.samples.length = 0;
    this.samples.push({ at, sample });
    return null;
  }
}
