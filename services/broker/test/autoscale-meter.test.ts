/** The autoscaler's measurements (rates, service times, clients, utilisation) and decisions, with a hand-moved clock. */
import { describe, expect, it } from 'vitest';
import { Autoscaler } from '../src/autoscale/autoscaler.js';
import { parseBrokerConfigForScaler } from './support/scaler-config.js';

const policy = { min: 1, max: 4, target: 2, upscaleDelayMs: 0, downscaleDelayMs: 10_000, smoothing: 1 };
const gauges = (queued: number, inflight: number, liveWorkers = 2, credit = 4) => ({
  model: 'm',
  queued,
  inflight,
  liveWorkers,
  credit,
});

describe('load measurement', () => {
  it('derives the arrival rate from completions plus backlog growth, and the completion rate', () => {
    const a = new Autoscaler({ policy, clientWindowMs: 5000 });
    a.tick(0, [gauges(0, 0)]);
    // during the next second: 10 answered, and the backlog grew from 0 to 4
    for (let i = 0; i < 10; i++) a.completed('m', `c${i % 3}`, 100, 500);
    const [s] = a.tick(1000, [gauges(2, 2)]);
    expect(s!.completionRate).toBe(10);
    expect(s!.arrivalRate).toBe(14);
    expect(s!.utilisation).toBe(0.5);
    expect(s!.activeClients).toBe(3);
    // the backlog shrinking by 4 with 2 answered: no arrivals (never negative)
    a.completed('m', 'c0', 100, 1500);
    a.completed('m', 'c0', 100, 1500);
    const [t] = a.tick(2000, [gauges(0, 0)]);
    expect(t!.arrivalRate).toBe(0);
    expect(t!.completionRate).toBe(2);
  });

  it('keeps the mean and p95 service time of the latest completions, and forgets clients after the window', () => {
    const a = new Autoscaler({ policy, clientWindowMs: 5000 });
    a.tick(0, [gauges(0, 0)]);
    for (let i = 1; i <= 100; i++) a.completed('m', 'one', i, 100);
    a.completed('m', 'two', undefined, 100); // answered without a worker (a deadline): no service time
    const [s] = a.tick(1000, [gauges(0, 0)]);
    expect(s!.serviceTimeMeanMs).toBe(50.5);
    expect(s!.serviceTimeP95Ms).toBe(95);
    expect(s!.activeClients).toBe(2);
    const [later] = a.tick(6000, [gauges(0, 0)]);
    expect(later!.activeClients).toBe(0);
    a.clientSeen('m', 'queued-client', 6500);
    expect(a.tick(7000, [gauges(3, 0)])[0]!.activeClients).toBe(1);
  });

  it("decides with the policy and reports Little's law beside it", () => {
    const a = new Autoscaler({ policy, clientWindowMs: 5000 });
    a.tick(0, [gauges(0, 0)]);
    // 20 req/s at 300 ms: L = 6 in service -> 3 workers by Little; 7 ongoing -> 4 by the ongoing rule
    for (let i = 0; i < 20; i++) a.completed('m', 'c', 300, 500);
    const [s] = a.tick(1000, [gauges(3, 4)]);
    expect(s!.arrivalRate).toBe(27);
    expect(s!.littleWorkers).toBe(4); // 27 x 0.3 = 8.1 -> ceil(8.1 / 2) = 5, clamped to max 4
    expect(s!.desiredWorkers).toBe(4);
    expect(s!.ongoing).toBe(7);
    expect(a.scaling('m')).toBe(s);
    expect(a.scaling('other')).toBeUndefined();
  });
});

describe('scaler configuration', () => {
  it('has the documented defaults', () => {
    const c = parseBrokerConfigForScaler({});
    expect(c).toMatchObject({
      kind: 'none',
      policy: { min: 1, max: 4, target: 2, upscaleDelayMs: 5000, downscaleDelayMs: 60_000, smoothing: 0.3 },
      pubBind: 'tcp://0.0.0.0:5557',
      pubBindExplicit: false,
      intervalMs: 1000,
    });
  });

  it('names the bad variable', () => {
    expect(() => parseBrokerConfigForScaler({ YOLOMQ_SCALER: 'kubernetes' })).toThrow(
      /YOLOMQ_SCALER: must be none, process or docker/,
    );
    expect(() => parseBrokerConfigForScaler({ YOLOMQ_SCALER_MIN: '5', YOLOMQ_SCALER_MAX: '2' })).toThrow(
      /YOLOMQ_SCALER_MIN \(5\) must not exceed YOLOMQ_SCALER_MAX \(2\)/,
    );
    expect(() => parseBrokerConfigForScaler({ YOLOMQ_SCALER_SMOOTHING: '0' })).toThrow(/YOLOMQ_SCALER_SMOOTHING/);
    expect(() => parseBrokerConfigForScaler({ YOLOMQ_SCALER_PUB_BIND: 'localhost:5557' })).toThrow(
      /YOLOMQ_SCALER_PUB_BIND/,
    );
    expect(parseBrokerConfigForScaler({ YOLOMQ_SCALER_PUB_BIND: 'off' }).pubBind).toBeUndefined();
  });
});
