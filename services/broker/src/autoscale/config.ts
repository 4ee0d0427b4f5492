/**
 * The autoscaler's part of the broker configuration: the YOLOMQ_SCALER_* variables as a zod shape that
 * the broker's one config module (../config.ts) merges into its schema, and the typed object it makes
 * of them. Every variable is documented, with its default, in the repository's .env.example.
 */
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { PolicyConfig } from './policy.js';

export type ScalerKind = 'none' | 'process' | 'docker';

export interface ScalerConfig {
  /** which actuator turns decisions into workers: none (measure and publish only), process, docker */
  kind: ScalerKind;
  policy: PolicyConfig;
  /** how often load is measured and the policy run */
  intervalMs: number;
  /** the active-clients sliding window */
  clientWindowMs: number;
  /** ZeroMQ PUB endpoint of the desired counts; undefined: not published */
  pubBind: string | undefined;
  /** whether pubBind was set explicitly (a failure to bind it is then fatal; the default only warns) */
  pubBindExplicit: boolean;
  /** the model the actuator scales; undefined: the default model */
  model: string | undefined;
  /** process actuator: the worker's entry script */
  workerScript: string;
  /** docker actuator: Engine API socket, compose project (undefined: this container's own) and service */
  dockerSocket: string;
  dockerProject: string | undefined;
  dockerService: string;
  /** the scaler service (yolomq-scaler): the broker PUB endpoint it takes decisions from */
  subscribe: string;
}

const unsetIfEmpty = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);
const num = (min: number, max: number, fallback: number, integer = true) =>
  z.preprocess(
    unsetIfEmpty,
    (integer ? z.coerce.number({ error: 'must be a number' }).int('must be a whole number') : z.coerce.number())
      .min(min, `must be at least ${min}`)
      .max(max, `must be at most ${max}`)
      .default(fallback),
  );
const text = () => z.preprocess(unsetIfEmpty, z.string().trim().min(1).optional());

/** The worker entry script of this checkout: services/worker/dist/main.js beside services/broker/dist. */
export const DEFAULT_WORKER_SCRIPT = fileURLToPath(new URL('../../../worker/dist/main.js', import.meta.url));
export const DEFAULT_PUB_BIND = 'tcp://0.0.0.0:5557';

export const scalerEnvShape = {
  YOLOMQ_SCALER: z.preprocess(
    unsetIfEmpty,
    z.enum(['none', 'process', 'docker'], { error: 'must be none, process or docker' }).default('none'),
  ),
  YOLOMQ_SCALER_MIN: num(0, 10_000, 1),
  YOLOMQ_SCALER_MAX: num(1, 10_000, 4),
  YOLOMQ_SCALER_TARGET: num(0.01, 1_000_000, 2, false),
  YOLOMQ_SCALER_UPSCALE_DELAY_MS: num(0, 86_400_000, 5000),
  YOLOMQ_SCALER_DOWNSCALE_DELAY_MS: num(0, 86_400_000, 60_000),
  YOLOMQ_SCALER_SMOOTHING: num(0.01, 1, 0.3, false),
  YOLOMQ_SCALER_INTERVAL_MS: num(50, 600_000, 1000),
  YOLOMQ_SCALER_CLIENT_WINDOW_MS: num(1000, 86_400_000, 30_000),
  YOLOMQ_SCALER_PUB_BIND: z.preprocess(
    unsetIfEmpty,
    z
      .string()
      .trim()
      .regex(/^((tcp|ipc|inproc):\/\/\S+|off)$/, 'must be a ZeroMQ endpoint such as tcp://0.0.0.0:5557, or off')
      .optional(),
  ),
  YOLOMQ_SCALER_MODEL: text(),
  YOLOMQ_SCALER_WORKER_SCRIPT: text(),
  YOLOMQ_SCALER_DOCKER_SOCKET: text(),
  YOLOMQ_SCALER_DOCKER_PROJECT: text(),
  YOLOMQ_SCALER_DOCKER_SERVICE: text(),
  YOLOMQ_SCALER_SUBSCRIBE: z.preprocess(
    unsetIfEmpty,
    z
      .string()
      .trim()
      .regex(/^(tcp|ipc|inproc):\/\/\S+$/, 'must be a ZeroMQ endpoint such as tcp://broker:5557')
      .default('tcp://127.0.0.1:5557'),
  ),
};

const scalerEnvSchema = z.object(scalerEnvShape);
type ScalerEnv = z.output<typeof scalerEnvSchema>;

/** The typed scaler configuration, or a message naming the bad variables (min above max). */
export function toScalerConfig(e: ScalerEnv): { ok: true; config: ScalerConfig } | { ok: false; message: string } {
  if (e.YOLOMQ_SCALER_MIN > e.YOLOMQ_SCALER_MAX) {
    return {
      ok: false,
      message: `YOLOMQ_SCALER_MIN (${e.YOLOMQ_SCALER_MIN}) must not exceed YOLOMQ_SCALER_MAX (${e.YOLOMQ_SCALER_MAX})`,
    };
  }
  const pub = e.YOLOMQ_SCALER_PUB_BIND;
  return {
    ok: true,
    config: {
      kind: e.YOLOMQ_SCALER,
      policy: {
        min: e.YOLOMQ_SCALER_MIN,
        max: e.YOLOMQ_SCALER_MAX,
        target: e.YOLOMQ_SCALER_TARGET,
        upscaleDelayMs: e.YOLOMQ_SCALER_UPSCALE_DELAY_MS,
        downscaleDelayMs: e.YOLOMQ_SCALER_DOWNSCALE_DELAY_MS,
        smoothing: e.YOLOMQ_SCALER_SMOOTHING,
      },
      intervalMs: e.YOLOMQ_SCALER_INTERVAL_MS,
      clientWindowMs: e.YOLOMQ_SCALER_CLIENT_WINDOW_MS,
      pubBind: pub === 'off' ? undefined : (pub ?? DEFAULT_PUB_BIND),
      pubBindExplicit: pub !== undefined,
      model: e.YOLOMQ_SCALER_MODEL,
      workerScript: e.YOLOMQ_SCALER_WORKER_SCRIPT ?? DEFAULT_WORKER_SCRIPT,
      dockerSocket: e.YOLOMQ_SCALER_DOCKER_SOCKET ?? '/var/run/docker.sock',
      dockerProject: e.YOLOMQ_SCALER_DOCKER_PROJECT,
      dockerService: e.YOLOMQ_SCALER_DOCKER_SERVICE ?? 'worker',
      subscribe: e.YOLOMQ_SCALER_SUBSCRIBE,
    },
  };
}

/** The default scaler configuration (what an empty environment gives). */
export function defaultScalerConfig(): ScalerConfig {
  const parsed = toScalerConfig(scalerEnvSchema.parse({}));
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.config;
}
