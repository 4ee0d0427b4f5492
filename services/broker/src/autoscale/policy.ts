/**
 * The autoscaling policy: how many workers a model should have, as a pure function of what was
 * measured and the time. No I/O, no timers, no clock of its own: the caller feeds one observation per
 * tick with `now`, and keeps the returned state for the next tick. Same observations in, same
 * decisions out, so load traces can be replayed in unit tests.
 *
 * The rule (Ray Serve's `target_ongoing_requests`, Kubernetes HPA's ratio rule):
 *   ongoing   = queued + in flight (the broker knows both exactly; an HPA only sees a scraped average)
 *   smoothed  = EMA(ongoing) with factor `smoothing` (1 = no smoothing)
 *   proposal  = clamp(ceil(smoothed / target), min, max)
 * Delays are stabilisation windows (Kubernetes HPA's `behavior.scale{Up,Down}.stabilizationWindowSeconds`):
 * the decision goes up only to the lowest proposal of the last `upscaleDelayMs`, and down only to the
 * highest proposal of the last `downscaleDelayMs` (longer: scaling down too soon costs a cold start when
 * the load returns). So a spike shorter than the upscale delay buys no worker, the count leaves a level
 * no sooner than the downscale delay after the load fell below it, and until a window's worth of
 * proposals has been seen (just after start) the decision does not move.
 * Scale to zero: with `min` 0 the count can fall to 0 after the downscale delay. From zero, a model
 * with any request waiting gets one worker at once (no delay): its requests wait in the broker's
 * queue while that worker starts, and a delay would only add to their wait.
 *
 * Little's law is the cross-check: in steady state the requests in the system L = arrival rate x
 * time in service, so `littleWorkers` = clamp(ceil(rate x serviceTime / target)). It is reported
 * beside the decision, not used for it: the service time is only known once workers have served.
 */

export interface PolicyConfig {
  /** fewest workers (0 allows scale to zero) */
  min: number;
  /** most workers */
  max: number;
  /** ongoing requests (queued + in flight) one worker should carry */
  target: number;
  /** how long proposals must stay above the decision before it goes up */
  upscaleDelayMs: number;
  /** how long proposals must stay below the decision before it goes down */
  downscaleDelayMs: number;
  /** EMA factor for the ongoing-requests signal, in (0, 1]; 1 means no smoothing */
  smoothing: number;
}

export const DEFAULT_POLICY: PolicyConfig = {
  min: 1,
  max: 4,
  target: 2,
  upscaleDelayMs: 5000,
  downscaleDelayMs: 60_000,
  smoothing: 0.3,
};

/** What was measured for one model at one tick. */
export interface LoadObservation {
  /** requests waiting in the model's queue */
  queued: number;
  /** requests held by workers */
  inflight: number;
  /** smoothed arrival rate, requests per second */
  arrivalRate: number;
  /** mean time a worker takes per request (ms); undefined while nothing was served */
  serviceTimeMs: number | undefined;
}

/** A proposal and the time from which it held (until the next one). */
export interface ProposalChange {
  t: number;
  proposal: number;
}

/** What the policy remembers between ticks (plain data). */
export interface PolicyState {
  /** the current decision */
  desired: number;
  /** EMA of ongoing requests; undefined before the first observation */
  smoothed: number | undefined;
  /** proposals over the longer window, as change points (oldest first; the first one may start before the window) */
  history: ProposalChange[];
}

export interface PolicyDecision {
  desired: number;
  /** what the ongoing-requests rule proposes this tick, before delays */
  proposal: number;
  /** the smoothed ongoing requests the proposal came from */
  ongoing: number;
  /** the Little's law cross-check (undefined until a service time is known) */
  littleWorkers: number | undefined;
  /** why the decision is what it is: 'steady' | 'up' | 'down' | 'from-zero' | 'waiting-up' | 'waiting-down' */
  reason: string;
}

/** The state before the first tick: `initial` workers (clamped to the bounds). */
export function initialPolicyState(config: PolicyConfig, initial = config.min): PolicyState {
  return { desired: clamp(initial, config.min, config.max), smoothed: undefined, history: [] };
}

/** Checks a configuration; returns a message naming the bad field, or undefined when it is sound. */
export function checkPolicyConfig(c: PolicyConfig): string | undefined {
  if (!Number.isInteger(c.min) || c.min < 0) return 'min must be a whole number >= 0';
  if (!Number.isInteger(c.max) || c.max < 1) return 'max must be a whole number >= 1';
  if (c.min > c.max) return `min (${c.min}) must not exceed max (${c.max})`;
  if (!(c.target > 0)) return 'target must be > 0';
  if (!(c.upscaleDelayMs >= 0) || !(c.downscaleDelayMs >= 0)) return 'delays must be >= 0';
  if (!(c.smoothing > 0 && c.smoothing <= 1)) return 'smoothing must be in (0, 1]';
  return undefined;
}

export function clamp(n: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, n));
}

/** Workers needed to carry `ongoing` requests at `target` each, within the bounds. */
export function workersFor(ongoing: number, config: PolicyConfig): number {
  // a hair of tolerance so 4.0000000001 / 2 does not become 3 through EMA rounding
  return clamp(Math.ceil(ongoing / config.target - 1e-9), config.min, config.max);
}

/** One tick of the policy. Pure: returns the next state and the decision. */
export function decide(
  state: PolicyState,
  obs: LoadObservation,
  now: number,
  config: PolicyConfig,
): { state: PolicyState; decision: PolicyDecision } {
  const raw = Math.max(0, obs.queued) + Math.max(0, obs.inflight);
  const smoothed = state.smoothed === undefined ? raw : state.smoothed + config.smoothing * (raw - state.smoothed);
  const proposal = workersFor(smoothed, config);
  const littleWorkers =
    obs.serviceTimeMs === undefined
      ? undefined
      : workersFor((Math.max(0, obs.arrivalRate) * obs.serviceTimeMs) / 1000, config);

  const history = appendProposal(
    state.history,
    now,
    proposal,
    Math.max(config.upscaleDelayMs, config.downscaleDelayMs),
  );
  let desired = clamp(state.desired, config.min, config.max);
  let reason = proposal > desired ? 'waiting-up' : proposal < desired ? 'waiting-down' : 'steady';

  if (desired === 0 && raw > 0) {
    // scale from zero: requests are waiting and nobody serves them
    desired = Math.max(1, proposal);
    reason = 'from-zero';
  } else {
    const up = windowRange(history, now - config.upscaleDelayMs);
    const down = windowRange(history, now - config.downscaleDelayMs);
    if (up !== undefined && up.lowest > desired) {
      desired = up.lowest;
      reason = 'up';
    } else if (down !== undefined && down.highest < desired) {
      desired = down.highest;
      reason = 'down';
    }
  }

  return {
    state: { desired, smoothed, history },
    decision: { desired, proposal, ongoing: smoothed, littleWorkers, reason },
  };
}

/** The history with this tick's proposal recorded, and change points older than the longest window dropped. */
function appendProposal(history: ProposalChange[], now: number, proposal: number, keepMs: number): ProposalChange[] {
  const out = history.at(-1)?.proposal === proposal ? history.slice() : [...history, { t: now, proposal }];
  // keep the last change point at or before the window's start: it says what held at that start
  let drop = 0;
  while (drop + 1 < out.length && out[drop + 1]!.t <= now - keepMs) drop++;
  return drop > 0 ? out.slice(drop) : out;
}

/**
 * Lowest and highest proposal that held at any time in [from, now]; undefined when the history does not
 * reach back to `from` (not a full window seen yet).
 */
function windowRange(history: ProposalChange[], from: number): { lowest: number; highest: number } | undefined {
  if (history.length === 0 || history[0]!.t > from) return undefined;
  let lowest = Number.POSITIVE_INFINITY;
  let highest = Number.NEGATIVE_INFINITY;
  for (let i = history.length - 1; i >= 0; i--) {
    const p = history[i]!.proposal;
    if (p < lowest) lowest = p;
    if (p > highest) highest = p;
    if (history[i]!.t <= from) break;
  }
  return { lowest, highest };
}
