/**
 * What `yolomq bench` measures: a latency histogram (HdrHistogram, pure-JS build: microsecond values,
 * 3 significant digits, so percentiles are exact to 0.1%) and a per-second timeline.
 */
import { build } from 'hdr-histogram-js';

type Histogram = ReturnType<typeof build>;

/** One hour, in microseconds: the largest latency recorded (a request cannot wait longer). */
const HIGHEST_US = 3_600_000_000;

function newHistogram(): Histogram {
  // useWebAssembly stays false (the default): the pure-JS build needs no WebAssembly initialisation.
  return build({ lowestDiscernibleValue: 1, highestTrackableValue: HIGHEST_US, numberOfSignificantValueDigits: 3 });
}

function toUs(ms: number): number {
  return Math.min(HIGHEST_US, Math.max(1, Math.round(ms * 1000)));
}

export interface LatencySummary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;

function summaryOf(h: Histogram): LatencySummary {
  // A percentile reads the top of its bucket, which can exceed the exact max: clamp to it.
  const ms = (us: number) => round3(Math.min(us, h.maxValue) / 1000);
  return {
    count: h.totalCount,
    min: h.totalCount === 0 ? 0 : ms(h.minNonZeroValue),
    mean: ms(h.mean),
    p50: ms(h.getValueAtPercentile(50)),
    p90: ms(h.getValueAtPercentile(90)),
    p99: ms(h.getValueAtPercentile(99)),
    p999: ms(h.getValueAtPercentile(99.9)),
    max: ms(h.maxValue),
  };
}

export interface TimelinePoint {
  /** seconds since the measured run started */
  t: number;
  sent: number;
  completed: number;
  errors: number;
  /** p99 latency of the requests completed in this second, ms (0 when none completed) */
  p99Ms: number;
}

interface Bucket {
  sent: number;
  completed: number;
  errors: number;
  /** only the current second keeps a histogram; a finished second keeps its p99 */
  histogram: Histogram | undefined;
  p99Ms: number;
}

function p99Of(b: Bucket): number {
  return b.histogram ? round3(Math.min(b.histogram.getValueAtPercentile(99), b.histogram.maxValue) / 1000) : b.p99Ms;
}

export class BenchStats {
  private readonly latency = newHistogram();
  private readonly buckets: Bucket[] = [];
  readonly errors = new Map<string, number>();
  sent = 0;
  ok = 0;
  failed = 0;

  /** startedAt: performance.now() when measuring began (timeline t = 0) */
  constructor(private readonly startedAt: number) {}

  // Times passed in only move forward (they are "now"), so once a later second starts, an earlier one is
  // final: its p99 is kept and its histogram let go, keeping memory flat however long the run.
  private bucket(at: number): Bucket {
    const t = Math.max(0, Math.floor((at - this.startedAt) / 1000));
    while (this.buckets.length <= t) {
      const last = this.buckets.at(-1);
      if (last?.histogram) {
        last.p99Ms = p99Of(last);
        last.histogram = undefined;
      }
      this.buckets.push({ sent: 0, completed: 0, errors: 0, histogram: undefined, p99Ms: 0 });
    }
    return this.buckets[t]!;
  }

  recordSent(at: number): void {
    this.sent++;
    this.bucket(at).sent++;
  }

  recordOk(at: number, latencyMs: number): void {
    this.ok++;
    this.latency.recordValue(toUs(latencyMs));
    const b = this.bucket(at);
    b.completed++;
    b.histogram ??= newHistogram();
    b.histogram.recordValue(toUs(latencyMs));
  }

  recordError(at: number, code: string): void {
    this.failed++;
    this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
    const b = this.bucket(at);
    b.completed++;
    b.errors++;
  }

  /** the running p99 in ms (for a live status line) */
  p99(): number {
    return this.latency.totalCount === 0
      ? 0
      : Math.min(this.latency.getValueAtPercentile(99), this.latency.maxValue) / 1000;
  }

  latencySummary(): LatencySummary {
    return summaryOf(this.latency);
  }

  timeline(): TimelinePoint[] {
    return this.buckets.map((b, t) => ({
      t,
      sent: b.sent,
      completed: b.completed,
      errors: b.errors,
      p99Ms: p99Of(b),
    }));
  }
}
