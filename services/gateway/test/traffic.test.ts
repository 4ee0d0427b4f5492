/** Rates and percentiles from two readings of the broker's Prometheus /metrics. */
import { describe, expect, it } from 'vitest';
import { histogramQuantile, parseBrokerMetrics, trafficBetween } from '../src/traffic.js';

function metrics(ok: number, failed: number, buckets: Record<string, number>): string {
  const lines = [
    '# HELP yolomq_broker_requests_total Requests answered',
    '# TYPE yolomq_broker_requests_total counter',
    `yolomq_broker_requests_total{model="a",outcome="ok"} ${ok}`,
    `yolomq_broker_requests_total{model="a",outcome="DEADLINE_EXCEEDED"} ${failed}`,
    '# TYPE yolomq_broker_latency_seconds histogram',
  ];
  for (const [le, count] of Object.entries(buckets)) {
    // split over two models to check the sum
    lines.push(`yolomq_broker_latency_seconds_bucket{le="${le}",model="a"} ${count - Math.floor(count / 3)}`);
    lines.push(`yolomq_broker_latency_seconds_bucket{le="${le}",model="b"} ${Math.floor(count / 3)}`);
  }
  lines.push('yolomq_broker_queue_wait_seconds_bucket{le="0.01",model="a"} 99');
  return `${lines.join('\n')}\n`;
}

describe('parseBrokerMetrics', () => {
  it('sums the request counter and latency buckets over models and outcomes', () => {
    const sample = parseBrokerMetrics(metrics(10, 2, { '0.01': 3, '0.1': 9, '+Inf': 12 }));
    expect(sample).toEqual({
      answered: 12,
      failed: 2,
      latencyBuckets: [
        [0.01, 3],
        [0.1, 9],
        [Number.POSITIVE_INFINITY, 12],
      ],
    });
  });

  it('reads nothing out of text that is not the broker metrics', () => {
    expect(parseBrokerMetrics('garbage\n{}\nyolomq_broker_requests_total{outcome="ok"} NaN')).toEqual({
      answered: 0,
      failed: 0,
      latencyBuckets: [],
    });
  });
});

describe('histogramQuantile', () => {
  const buckets: Array<[number, number]> = [
    [0.01, 50],
    [0.1, 90],
    [1, 100],
    [Number.POSITIVE_INFINITY, 100],
  ];
  it('interpolates inside the bucket that holds the rank', () => {
    expect(histogramQuantile(0.5, buckets)).toBeCloseTo(0.01);
    expect(histogramQuantile(0.25, buckets)).toBeCloseTo(0.005);
    expect(histogramQuantile(0.7, buckets)).toBeCloseTo(0.055);
    expect(histogramQuantile(0.95, buckets)).toBeCloseTo(0.55);
  });
  it('past the last finite bound it answers that bound; empty histograms have no quantile', () => {
    expect(histogramQuantile(0.99, [...buckets.slice(0, 2), [Number.POSITIVE_INFINITY, 100]])).toBe(0.1);
    expect(histogramQuantile(0.5, [])).toBeUndefined();
    expect(histogramQuantile(0.5, [[Number.POSITIVE_INFINITY, 0]])).toBeUndefined();
  });
});

describe('trafficBetween', () => {
  const before = parseBrokerMetrics(metrics(100, 5, { '0.01': 50, '0.1': 100, '+Inf': 105 }));
  it('rates per second and percentiles of the requests answered in between', () => {
    const after = parseBrokerMetrics(metrics(140, 15, { '0.01': 50, '0.1': 150, '+Inf': 155 }));
    const traffic = trafficBetween(before, after, 2000);
    expect(traffic).toMatchObject({ answeredPerS: 25, errorsPerS: 5 });
    // all 50 new answers fell in (0.01, 0.1]: the median is halfway through it
    expect(traffic?.latencyMs?.p50).toBeCloseTo(55, 0);
  });
  it('nothing answered: zero rates and no percentiles', () => {
    expect(trafficBetween(before, before, 1000)).toEqual({ answeredPerS: 0, errorsPerS: 0, latencyMs: null });
  });
  it('counters that went backwards (a broker restart) give no reading', () => {
    const restarted = parseBrokerMetrics(metrics(3, 0, { '0.01': 3, '+Inf': 3 }));
    expect(trafficBetween(before, restarted, 1000)).toBeUndefined();
    expect(trafficBetween(before, before, 0)).toBeUndefined();
  });
});
