/**
 * Request rate and latency of the whole cluster, for the dashboard's charts, from two readings of the
 * broker's Prometheus /metrics: the counters and the latency histogram only ever grow, so the
 * difference between two readings describes the traffic in between (every client's, not only the
 * gateway's). Percentiles are interpolated inside histogram buckets, as Prometheus'
 * histogram_quantile does. Pure: text in, numbers out.
 */

/** What one reading of /metrics holds that the charts need, summed over models. */
export interface MetricsSample {
  /** requests answered, every outcome */
  answered: number;
  /** requests answered with an error code */
  failed: number;
  /** the latency histogram's cumulative buckets, upper bound in seconds ascending, +Inf last */
  latencyBuckets: Array<[le: number, count: number]>;
}

/** Traffic between two readings. */
export interface Traffic {
  /** requests answered per second, successes and errors together */
  answeredPerS: number;
  errorsPerS: number;
  /** latency from the broker accepting a request to its answer; null when nothing was answered */
  latencyMs: { p50: number; p95: number; p99: number } | null;
}

const REQUESTS = 'yolomq_broker_requests_total';
const LATENCY_BUCKET = 'yolomq_broker_latency_seconds_bucket';
const LINE = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /(\w+)="((?:[^"\\]|\\.)*)"/g;

function labelsOf(text: string | undefined): Record<string, string> {
  const labels: Record<string, string> = {};
  if (text === undefined) return labels;
  for (const match of text.matchAll(LABEL)) labels[match[1]!] = match[2]!;
  return labels;
}

/** Reads the request counter and latency histogram out of Prometheus text. Never throws. */
export function parseBrokerMetrics(text: string): MetricsSample {
  let answered = 0;
  let failed = 0;
  const buckets = new Map<number, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('yolomq_broker_')) continue;
    const match = LINE.exec(line);
    if (match === null) continue;
    const [, name, labelText, valueText] = match;
    const value = Number(valueText);
    if (!Number.isFinite(value)) continue;
    if (name === REQUESTS) {
      answered += value;
      if (labelsOf(labelText).outcome !== 'ok') failed += value;
    } else if (name === LATENCY_BUCKET) {
      const le = labelsOf(labelText).le;
      const bound = le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le);
      if (!Number.isNaN(bound)) buckets.set(bound, (buckets.get(bound) ?? 0) + value);
    }
  }
  return { answered, failed, latencyBuckets: [...buckets.entries()].sort(([a], [b]) => a - b) };
}

/** The q-quantile (0..1) of a cumulative histogram, in the buckets' unit; undefined when it is empty. */
export function histogramQuantile(q: number, buckets: ReadonlyArray<readonly [number, number]>): number | undefined {
  const total = buckets.length > 0 ? buckets[buckets.length - 1]![1] : 0;
  if (total <= 0) return undefined;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const [le, count] of buckets) {
    if (count >= rank) {
      // Past the last finite bound nothing is known but the bound itself.
      if (!Number.isFinite(le)) return lowerBound;
      const inBucket = count - lowerCount;
      return inBucket <= 0 ? le : lowerBound + (le - lowerBound) * ((rank - lowerCount) / inBucket);
    }
    lowerBound = le;
    lowerCount = count;
  }
  return lowerBound;
}

const round = (v: number) => Math.round(v * 100) / 100;

/**
 * Traffic between two readings taken dtMs apart. Undefined when the counters went backwards (the
 * broker restarted between them) or no time passed.
 */
export function trafficBetween(before: MetricsSample, after: MetricsSample, dtMs: number): Traffic | undefined {
  if (dtMs <= 0 || after.answered < before.answered || after.failed < before.failed) return undefined;
  const earlier = new Map(before.latencyBuckets);
  const window: Array<[number, number]> = [];
  for (const [le, count] of after.latencyBuckets) {
    const delta = count - (earlier.get(le) ?? 0);
    if (delta < 0) return undefined;
    window.push([le, delta]);
  }
  const seconds = dtMs / 1000;
  const quantileMs = (q: number) => round((histogramQuantile(q, window) ?? 0) * 1000);
  const answeredInWindow = window.length > 0 ? window[window.length - 1]![1] : 0;
  return {
    answeredPerS: round((after.answered - before.answered) / seconds),
    errorsPerS: round((after.failed - before.failed) / seconds),
    latencyMs: answeredInWindow > 0 ? { p50: quantileMs(0.5), p95: quantileMs(0.95), p99: quantileMs(0.99) } : null,
  };
}
