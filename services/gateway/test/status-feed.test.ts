/** One poller for every viewer, only while someone watches; failures become `unavailable` events. */
import { afterEach, describe, expect, it } from 'vitest';
import type { StatusSnapshot } from '../src/broker-status.js';
import { type FeedEvent, StatusFeed } from '../src/status-feed.js';
import type { MetricsSample } from '../src/traffic.js';

const feeds: StatusFeed[] = [];
afterEach(() => {
  for (const feed of feeds.splice(0)) feed.close();
});

function makeFeed(intervalMs = 20, fail = false) {
  const calls = { status: 0, metrics: 0 };
  let answered = 0;
  const feed = new StatusFeed(
    {
      readStatus: async (): Promise<StatusSnapshot> => {
        calls.status++;
        return fail
          ? { ok: false, at: Date.now(), message: 'broker /status is unreachable' }
          : { ok: true, at: Date.now(), status: { workers: [{ model: 'm' }] } };
      },
      readMetrics: async (): Promise<MetricsSample> => {
        calls.metrics++;
        answered += 10;
        return { answered, failed: 0, latencyBuckets: [[Number.POSITIVE_INFINITY, answered]] };
      },
    },
    intervalMs,
  );
  feeds.push(feed);
  return { feed, calls };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(5);
  }
}

describe('StatusFeed', () => {
  it('reads nothing until someone subscribes, and stops when the last one leaves', async () => {
    const { feed, calls } = makeFeed();
    await sleep(60);
    expect(calls.status).toBe(0);
    const events: FeedEvent[] = [];
    const unsubscribe = feed.subscribe((e) => events.push(e));
    await until(() => events.length >= 3);
    unsubscribe();
    const after = calls.status;
    await sleep(100);
    expect(calls.status).toBeLessThanOrEqual(after + 1);
    expect(events[0]).toMatchObject({ ok: true, status: { workers: [{ model: 'm' }] }, traffic: null });
    // from the second reading on, traffic between readings
    expect(events.at(-1)).toMatchObject({ ok: true, traffic: { answeredPerS: expect.any(Number) } });
  });

  it('many subscribers share one poller', async () => {
    const { feed, calls } = makeFeed(30);
    const counts = [0, 0, 0, 0, 0];
    const unsubscribers = counts.map((_, i) => feed.subscribe(() => counts[i]!++));
    await until(() => counts.every((c) => c >= 3));
    for (const u of unsubscribers) u();
    // every reading went to all five: one read per event, not one per viewer
    for (const c of counts) expect(calls.status - c).toBeLessThanOrEqual(1);
    expect(calls.metrics).toBe(calls.status);
  });

  it('an unreadable broker gives unavailable events', async () => {
    const { feed } = makeFeed(20, true);
    const events: FeedEvent[] = [];
    const unsubscribe = feed.subscribe((e) => events.push(e));
    await until(() => events.length >= 1);
    unsubscribe();
    expect(events[0]).toEqual({ ok: false, at: expect.any(Number), message: 'broker /status is unreachable' });
  });
});
