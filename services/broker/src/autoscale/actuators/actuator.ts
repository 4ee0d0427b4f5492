/**
 * The one small interface every actuator implements, and what the broker lends it: a way to stop
 * routing to a worker and to watch its in-flight count, so scale-down never loses a request (the
 * broker stops routing to the chosen worker, waits for its in-flight requests, then the actuator
 * stops it with SIGTERM).
 */
import { basename } from 'node:path';

/** How long a worker being taken away may take to finish its jobs before it is stopped anyway. */
export const DRAIN_TIMEOUT_MS = 30_000;

/** The name a worker serves its model under, by the worker's own rule: YOLOMQ_MODEL_NAME, else the model file's name. */
export function workerModelName(env: Record<string, string | undefined>): string | undefined {
  const named = env.YOLOMQ_MODEL_NAME?.trim();
  if (named) return named;
  const file = env.YOLOMQ_MODEL?.trim();
  return file ? basename(file, '.onnx') : undefined;
}

/** What an actuator may ask of the broker (implemented in the broker's shell over the scheduler). */
export interface WorkerControl {
  /** ids of the live workers of a model */
  liveWorkers(model: string): string[];
  /** Stops routing new jobs to this worker. Returns false when no live worker has this id. */
  stopRouting(workerId: string): boolean;
  /** jobs the worker holds; undefined when it is not (or no longer) registered */
  inflight(workerId: string): number | undefined;
}

export interface ActuatorCounts {
  /** workers started by the actuator and counted towards the desired number (starting or serving) */
  running: number;
  /** workers being taken away (routing stopped, finishing, or told to stop) */
  draining: number;
}

export interface Actuator {
  readonly kind: 'none' | 'process' | 'docker';
  /**
   * Moves the model's workers towards `desired`. Called on every autoscaler tick: idempotent, never
   * blocks, never throws (failures are logged and tried again on a later tick).
   */
  reconcile(model: string, desired: number): void;
  counts(): ActuatorCounts;
  /** Stops what the actuator started (gracefully), or leaves it (docker). */
  close(): Promise<void>;
}

/** YOLOMQ_SCALER=none: decisions are measured and published only (an external scaler acts on them). */
export const noActuator: Actuator = {
  kind: 'none',
  reconcile() {},
  counts: () => ({ running: 0, draining: 0 }),
  close: async () => {},
};
