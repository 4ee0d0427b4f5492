/**
 * The autoscaler's loop body, still without I/O: per model, a LoadMeter and the policy's state. The
 * broker's MeteredSink calls `completed` as requests are answered, and the shell calls `tick` once per
 * interval with the scheduler's per-model state (arrivals follow from those); each tick returns the decisions, which the shell hands to the
 * publisher (ZeroMQ PUB) and the actuator.
 */
import { LoadMeter, type LoadSnapshot, type ModelGaugeSample } from './load-meter.js';
import { decide, initialPolicyState, type PolicyConfig, type PolicyDecision, type PolicyState } from './policy.js';

export interface AutoscaleOptions {
  policy: PolicyConfig;
  /** the active-clients sliding window, ms */
  clientWindowMs: number;
}

/** One model's measured load and the policy's decision at the latest tick (for /status, /metrics, PUB). */
export interface ModelScaling extends LoadSnapshot {
  model: string;
  desiredWorkers: number;
  /** the ongoing-requests rule's proposal before delays, and the smoothed ongoing requests */
  proposedWorkers: number;
  ongoing: number;
  /** Little's law cross-check: ceil(arrival rate x mean service time / target), clamped (null: no service time yet) */
  littleWorkers: number | null;
  reason: string;
}

interface ModelTrack {
  meter: LoadMeter;
  state: PolicyState | undefined;
  last: ModelScaling | undefined;
}

export class Autoscaler {
  private readonly models = new Map<string, ModelTrack>();

  constructor(readonly options: AutoscaleOptions) {}

  /** A client has requests waiting in the model's queue (sampled at each tick from the queue's lanes). */
  clientSeen(model: string, clientKey: string, now: number): void {
    this.track(model).meter.clientSeen(clientKey, now);
  }

  completed(model: string, clientKey: string, serviceMs: number | undefined, now: number): void {
    this.track(model).meter.completed(clientKey, serviceMs, now);
  }

  /** One tick: measures every model and decides its worker count. */
  tick(now: number, models: Iterable<ModelGaugeSample & { model: string }>): ModelScaling[] {
    const out: ModelScaling[] = [];
    const policy = this.options.policy;
    for (const gauges of models) {
      const track = this.track(gauges.model);
      const snap = track.meter.tick(now, gauges);
      const state = track.state ?? initialPolicyState(policy, gauges.liveWorkers);
      const step = decide(
        state,
        {
          queued: snap.queued,
          inflight: snap.inflight,
          arrivalRate: snap.arrivalRate,
          serviceTimeMs: snap.serviceTimeMeanMs ?? undefined,
        },
        now,
        policy,
      );
      track.state = step.state;
      track.last = toScaling(gauges.model, snap, step.decision);
      out.push(track.last);
    }
    return out;
  }

  /** The latest tick's numbers for a model (undefined before its first tick). */
  scaling(model: string): ModelScaling | undefined {
    return this.models.get(model)?.last;
  }

  all(): ModelScaling[] {
    const out: ModelScaling[] = [];
    for (const t of this.models.values()) if (t.last !== undefined) out.push(t.last);
    return out;
  }

  private track(model: string): ModelTrack {
    let t = this.models.get(model);
    if (t === undefined) {
      t = {
        meter: new LoadMeter(this.options.policy.smoothing, this.options.clientWindowMs),
        state: undefined,
        last: undefined,
      };
      this.models.set(model, t);
    }
    return t;
  }
}

function toScaling(model: string, snap: LoadSnapshot, d: PolicyDecision): ModelScaling {
  return {
    model,
    ...snap,
    desiredWorkers: d.desired,
    proposedWorkers: d.proposal,
    ongoing: d.ongoing,
    littleWorkers: d.littleWorkers ?? null,
    reason: d.reason,
  };
}
