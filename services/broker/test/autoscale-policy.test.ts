/** The autoscaling policy replayed over load traces (step, ramp, spike, idle) with a hand-moved clock. */
import { describe, expect, it } from 'vitest';
import {
  checkPolicyConfig,
  decide,
  initialPolicyState,
  type LoadObservation,
  type PolicyConfig,
  type PolicyDecision,
  workersFor,
} from '../src/autoscale/policy.js';

const TICK_MS = 1000;
const base: PolicyConfig = {
  min: 1,
  max: 3,
  target: 2,
  upscaleDelayMs: 5000,
  downscaleDelayMs: 60_000,
  smoothing: 1,
};

/** Replays `ongoing(t)` (t in seconds) for `seconds` ticks; returns the decision of every tick. */
function replay(
  config: PolicyConfig,
  seconds: number,
  ongoing: (t: number) => number,
  extra: Partial<LoadObservation> = {},
  initial?: number,
): PolicyDecision[] {
  let state = initialPolicyState(config, initial);
  const out: PolicyDecision[] = [];
  for (let t = 0; t < seconds; t++) {
    const obs: LoadObservation = {
      queued: ongoing(t),
      inflight: 0,
      arrivalRate: 0,
      serviceTimeMs: undefined,
      ...extra,
    };
    const step = decide(state, obs, t * TICK_MS, config);
    state = step.state;
    out.push(step.decision);
  }
  return out;
}

const desired = (ds: PolicyDecision[]) => ds.map((d) => d.desired);
/** first tick (seconds) at which the decision equals n */
const firstAt = (ds: PolicyDecision[], n: number) => ds.findIndex((d) => d.desired === n);

describe('the ongoing-requests rule', () => {
  it('is ceil(ongoing / target) within min and max', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 100].map((n) => workersFor(n, base))).toEqual([1, 1, 1, 2, 2, 3, 3, 3]);
    expect(workersFor(0, { ...base, min: 0 })).toBe(0);
    expect(workersFor(7, { ...base, target: 0.5, max: 20 })).toBe(14);
  });

  it('rejects unsound configurations with a message naming the field', () => {
    expect(checkPolicyConfig(base)).toBeUndefined();
    expect(checkPolicyConfig({ ...base, min: 4 })).toMatch(/min .* max/);
    expect(checkPolicyConfig({ ...base, target: 0 })).toMatch(/target/);
    expect(checkPolicyConfig({ ...base, smoothing: 0 })).toMatch(/smoothing/);
    expect(checkPolicyConfig({ ...base, max: 0 })).toMatch(/max/);
    expect(checkPolicyConfig({ ...base, upscaleDelayMs: -1 })).toMatch(/delays/);
  });
});

describe('load traces', () => {
  it('step: a jump to 6 ongoing goes to max exactly when the upscale delay has passed, and back after the downscale delay', () => {
    // 0..9 s idle, 10..99 s six requests ongoing, then idle for 120 s
    const ds = replay(base, 220, (t) => (t >= 10 && t < 100 ? 6 : 0));
    expect(desired(ds).slice(0, 10)).toEqual(Array(10).fill(1));
    expect(ds[10]!.reason).toBe('waiting-up');
    expect(firstAt(ds, 3)).toBe(15); // 10 s + 5 s upscale delay
    expect(desired(ds).slice(15, 100)).toEqual(Array(85).fill(3));
    // load gone at 100 s: stays up through the 60 s downscale delay, then straight to min
    expect(desired(ds).slice(100, 160)).toEqual(Array(60).fill(3));
    expect(ds[159]!.reason).toBe('waiting-down');
    expect(desired(ds)[160]).toBe(1);
    expect(desired(ds).slice(160)).toEqual(Array(60).fill(1));
  });

  it('ramp: climbs one worker at a time, each step after its own delay, never above max', () => {
    // ongoing rises by one every 4 s: proposals 1,1,2,2,3,3,3,...
    const ds = replay(base, 60, (t) => Math.floor(t / 4));
    const counts = desired(ds);
    for (let i = 1; i < counts.length; i++) expect(counts[i]! - counts[i - 1]!).toBeGreaterThanOrEqual(0);
    expect(Math.max(...counts)).toBe(3);
    // proposal 2 first at t=12 (ongoing 3), adopted 5 s later; proposal 3 first at t=20 (ongoing 5)
    expect(firstAt(ds, 2)).toBe(17);
    expect(firstAt(ds, 3)).toBe(25);
  });

  it('spike: a burst shorter than the upscale delay adds no worker', () => {
    const ds = replay(base, 40, (t) => (t >= 10 && t < 13 ? 50 : 1));
    expect(new Set(desired(ds))).toEqual(new Set([1]));
    expect(ds[11]!.proposal).toBe(3);
    expect(ds[11]!.reason).toBe('waiting-up');
    expect(ds[14]!.reason).toBe('steady');
  });

  it('spike inside sustained load: the adopted count is the lowest proposal of the wait, not the peak', () => {
    // ongoing 3 (proposal 2) from t=0, with one tick of 50 at t=2
    const ds = replay(base, 10, (t) => (t === 2 ? 50 : 3));
    expect(firstAt(ds, 2)).toBe(5);
    expect(firstAt(ds, 3)).toBe(-1);
  });

  it('downscale is a stabilisation window: the count goes down to the highest proposal of the last delay', () => {
    // at 3 workers; load drops to 0 except one tick of 3 ongoing (proposal 2) at t=30
    const ds = replay(base, 130, (t) => (t === 30 ? 3 : 0), {}, 3);
    expect(firstAt(ds, 2)).toBe(60); // the window [0, 60] held proposals 1 and 2: down to 2
    expect(ds[60]!.reason).toBe('down');
    // to 1 once the proposal of 2 (which held during [30, 31)) has left the window: 60 s after it ended
    expect(firstAt(ds, 1)).toBe(91);
  });

  it('does not move before a full window of proposals has been seen', () => {
    const ds = replay({ ...base, upscaleDelayMs: 3000 }, 5, () => 100);
    expect(desired(ds)).toEqual([1, 1, 1, 3, 3]);
  });

  it('idle with min 0: scales to zero after the downscale delay, and from zero at once when a request waits', () => {
    const config = { ...base, min: 0 };
    const ds = replay(config, 100, (t) => (t === 80 ? 1 : 0), {}, 1);
    expect(desired(ds).slice(0, 60)).toEqual(Array(60).fill(1));
    expect(desired(ds)[60]).toBe(0);
    expect(desired(ds).slice(60, 80)).toEqual(Array(20).fill(0));
    expect(ds[80]).toMatchObject({ desired: 1, reason: 'from-zero' });
  });

  it('idle with min 1 never goes below one worker', () => {
    const ds = replay(base, 200, () => 0, {}, 3);
    expect(Math.min(...desired(ds))).toBe(1);
  });

  it('smoothing: the EMA lags a step, so the proposal rises over several ticks', () => {
    const config = { ...base, smoothing: 0.3, upscaleDelayMs: 0 };
    const ds = replay(config, 20, (t) => (t >= 5 ? 6 : 0));
    // EMA after k ticks of 6: 6 (1 - 0.7^k) -> 1.8, 3.06, 3.94, 4.56 ...
    expect(ds[5]!.ongoing).toBeCloseTo(1.8, 6);
    expect(ds.map((d) => d.proposal).slice(5, 10)).toEqual([1, 2, 2, 3, 3]);
    expect(firstAt(ds, 3)).toBe(8);
    // without smoothing the same step is followed at once
    const raw = replay({ ...config, smoothing: 1 }, 20, (t) => (t >= 5 ? 6 : 0));
    expect(firstAt(raw, 3)).toBe(5);
  });

  it("reports the Little's law cross-check: 10 req/s x 400 ms = 4 in service -> 2 workers", () => {
    const ds = replay({ ...base, max: 10 }, 3, () => 4, { arrivalRate: 10, serviceTimeMs: 400 });
    expect(ds[0]!.littleWorkers).toBe(2);
    expect(ds[0]!.proposal).toBe(2);
    const unknown = replay(base, 1, () => 0);
    expect(unknown[0]!.littleWorkers).toBeUndefined();
  });

  it('respects the bounds on every tick of a random trace', () => {
    const config = { ...base, min: 2, max: 5, smoothing: 0.5, upscaleDelayMs: 2000, downscaleDelayMs: 7000 };
    let seed = 42;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    // load levels held for 3..30 s each, with per-tick noise
    const trace: number[] = [];
    while (trace.length < 500) {
      const level = Math.floor(random() * 12);
      const hold = 3 + Math.floor(random() * 28);
      for (let i = 0; i < hold; i++) trace.push(level + Math.floor(random() * 3));
    }
    const ds = replay(config, 500, (t) => trace[t]!);
    for (const d of ds) {
      expect(d.desired).toBeGreaterThanOrEqual(2);
      expect(d.desired).toBeLessThanOrEqual(5);
    }
    // every change is justified by its window: up to v only if every proposal of the last upscale delay
    // was >= v (and v is the lowest), down to v only if every proposal of the last downscale delay was <= v
    const proposalAt = (t: number) => ds[t]!.proposal;
    let changes = 0;
    for (let t = 1; t < ds.length; t++) {
      const now = ds[t]!.desired;
      const before = ds[t - 1]!.desired;
      if (now === before) continue;
      changes++;
      const span = now > before ? config.upscaleDelayMs / TICK_MS : config.downscaleDelayMs / TICK_MS;
      expect(t).toBeGreaterThanOrEqual(span);
      const window = Array.from({ length: span + 1 }, (_, i) => proposalAt(t - i));
      if (now > before) expect(Math.min(...window)).toBe(now);
      else expect(Math.max(...window)).toBe(now);
    }
    expect(changes).toBeGreaterThan(10);
  });
});
