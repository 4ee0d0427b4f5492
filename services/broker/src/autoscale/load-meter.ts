/**
 * What the autoscaler measures for one model: arrival and completion rates (EMA over ticks), service
 * times (mean and p95 over the latest completions), distinct clients in a sliding window, and, from the
 * scheduler's state at each tick, queue depth, in flight and utilisation. Pure data driven by the
 * caller's clock: completions are counted as they happen (plain increments on the hot path) and folded
 * into rates once per tick.
 *
 * Arrivals need no hook in the receive loop: every accepted request is either answered or still held
 * (queued or in flight), so the requests accepted during a tick are the ones answered during it plus
 * the growth of the backlog (queued + in flight). The identity is exact except for a request whose
 * deadline passes while a worker holds it: it is answered at once but keeps its slot until the worker
 * answers, which shows as one arrival early and one late (at most the grace period apart).
 */

/** Service times kept for the mean and p95 (the latest ones; older ones fall off). */
const SERVICE_WINDOW = 512;

/** The scheduler's state for one model at a tick. */
export interface ModelGaugeSample {
  queued: number;
  inflight: number;
  liveWorkers: number;
  /** total credit of the live workers */
  credit: number;
}

/** One model's load as measured at the latest tick (what /status and /metrics show). */
export interface LoadSnapshot {
  /** requests accepted per second (EMA) */
  arrivalRate: number;
  /** requests answered per second (EMA) */
  completionRate: number;
  queued: number;
  inflight: number;
  liveWorkers: number;
  /** mean and 95th percentile of dispatch-to-result time of the latest completions, ms (null: none yet) */
  serviceTimeMeanMs: number | null;
  serviceTimeP95Ms: number | null;
  /** distinct clients that sent a request or were answered within the window */
  activeClients: number;
  /** in flight / total credit of the live workers (0 with no worker) */
  utilisation: number;
}

export class LoadMeter {
  private backlog: number | undefined;
  private completions = 0;
  private readonly serviceMs = new Float64Array(SERVICE_WINDOW);
  private serviceCount = 0;
  private readonly clientsSeen = new Map<string, number>();
  private lastTick: number | undefined;
  private snap: LoadSnapshot = {
    arrivalRate: 0,
    completionRate: 0,
    queued: 0,
    inflight: 0,
    liveWorkers: 0,
    serviceTimeMeanMs: null,
    serviceTimeP95Ms: null,
    activeClients: 0,
    utilisation: 0,
  };

  constructor(
    /** EMA factor applied to each tick's rate, in (0, 1] */
    private readonly smoothing: number,
    /** the active-clients sliding window, ms */
    private readonly clientWindowMs: number,
  ) {}

  /** A client sent this model a request (seen in the model's queue) or was answered. */
  clientSeen(clientKey: string, now: number): void {
    this.clientsSeen.set(clientKey, now);
  }

  /** A request was answered; `serviceMs` is its dispatch-to-result time when a worker served it. */
  completed(clientKey: string, serviceMs: number | undefined, now: number): void {
    this.completions++;
    this.clientsSeen.set(clientKey, now);
    if (serviceMs !== undefined) this.serviceMs[this.serviceCount++ % SERVICE_WINDOW] = serviceMs;
  }

  /** Folds the events since the last tick into rates and takes the scheduler's state. */
  tick(now: number, gauges: ModelGaugeSample): LoadSnapshot {
    const prev = this.snap;
    let arrivalRate = prev.arrivalRate;
    let completionRate = prev.completionRate;
    const backlog = gauges.queued + gauges.inflight;
    if (this.lastTick !== undefined && this.backlog !== undefined && now > this.lastTick) {
      const seconds = (now - this.lastTick) / 1000;
      const arrivals = Math.max(0, this.completions + backlog - this.backlog);
      const a = this.smoothing;
      arrivalRate += a * (arrivals / seconds - arrivalRate);
      completionRate += a * (this.completions / seconds - completionRate);
    }
    this.lastTick = now;
    this.backlog = backlog;
    this.completions = 0;
    for (const [key, at] of this.clientsSeen) if (now - at > this.clientWindowMs) this.clientsSeen.delete(key);
    const { mean, p95 } = this.serviceStats();
    this.snap = {
      arrivalRate,
      completionRate,
      queued: gauges.queued,
      inflight: gauges.inflight,
      liveWorkers: gauges.liveWorkers,
      serviceTimeMeanMs: mean,
      serviceTimeP95Ms: p95,
      activeClients: this.clientsSeen.size,
      utilisation: gauges.credit > 0 ? Math.min(1, gauges.inflight / gauges.credit) : 0,
    };
    return this.snap;
  }

  get snapshot(): LoadSnapshot {
    return this.snap;
  }

  private serviceStats(): { mean: number | null; p95: number | null } {
    const n = Math.min(this.serviceCount, SERVICE_WINDOW);
    if (n === 0) return { mean: null, p95: null };
    const sorted = this.serviceMs.slice(0, n).sort();
    let sum = 0;
    for (let i = 0; i < n; i++) sum += sorted[i]!;
    return { mean: sum / n, p95: sorted[Math.min(n - 1, Math.ceil(0.95 * n) - 1)]! };
  }
}
