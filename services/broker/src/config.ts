/**
 * The broker's configuration: one zod schema over the environment, parsed once at start-up (main.ts)
 * and passed down as a typed object. Nothing else in the broker reads process.env.
 * Every variable is documented, with its default, in the repository's .env.example.
 */
import { z } from 'zod';
import { type ScalerConfig, scalerEnvShape, toScalerConfig } from './autoscale/config.js';
import type { CurveFiles } from './security/curve-config.js';

export interface BrokerConfig {
  /** ZeroMQ endpoint the client-facing ROUTER binds */
  frontendBind: string;
  /** ZeroMQ endpoint the worker-facing ROUTER binds */
  backendBind: string;
  /** interface and port of the HTTP server (/healthz /readyz /metrics /status); port 0 picks a free one */
  httpHost: string;
  httpPort: number;
  /** the model a request with an empty model frame goes to; unset: the first model a worker registers */
  defaultModel: string | undefined;
  /** models known before any worker registers them (their requests wait in the queue) */
  models: string[];
  /** heartbeat interval both ways, and how many intervals of silence drop a worker */
  heartbeatMs: number;
  heartbeatLiveness: number;
  /** how many times a request is re-sent after the worker holding it is lost */
  maxRetries: number;
  /** deadline of a request whose options carry no timeoutMs */
  defaultTimeoutMs: number;
  /** bounds of each model's queue */
  queueMaxRequests: number;
  queueMaxBytes: number;
  /** largest frame accepted on either socket (ZMQ_MAXMSGSIZE) and largest image accepted */
  maxMessageBytes: number;
  /** requests one client may have queued or in flight at once */
  maxInflightPerClient: number;
  /** bytes (images + options) one client may have queued or in flight at once */
  maxQueuedBytesPerClient: number;
  /** how long after start a request for a model no worker has registered yet waits instead of UNKNOWN_MODEL */
  startupGraceMs: number;
  /** how long a graceful shutdown waits for accepted requests to finish */
  drainTimeoutMs: number;
  /** CurveZMQ on both ROUTERs (undefined: plain text); key and allow-list files */
  curve: CurveFiles | undefined;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** the autoscaler (YOLOMQ_SCALER_*); absent: measured for /status and /metrics only, not published, no actuator */
  scaler?: ScalerConfig;
  /** the environment handed to workers the process actuator starts */
  workerEnv?: Record<string, string | undefined>;
}

/** An unset variable and an empty one (`NAME=` in .env) both mean "use the default". */
const unsetIfEmpty = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);

const int = (min: number, max: number, fallback: number) =>
  z.preprocess(
    unsetIfEmpty,
    z.coerce
      .number({ error: 'must be a number' })
      .int('must be a whole number')
      .min(min, `must be at least ${min}`)
      .max(max, `must be at most ${max}`)
      .default(fallback),
  );

const endpoint = (fallback: string) =>
  z.preprocess(
    unsetIfEmpty,
    z
      .string()
      .trim()
      .regex(/^(tcp|ipc|inproc):\/\/\S+$/, 'must be a ZeroMQ endpoint such as tcp://0.0.0.0:5555')
      .default(fallback),
  );

const modelName = z
  .string()
  .trim()
  .min(1)
  .refine((name) => Buffer.byteLength(name, 'utf8') <= 128, 'a model name is at most 128 bytes');

const schema = z.object({
  YOLOMQ_FRONTEND_BIND: endpoint('tcp://0.0.0.0:5555'),
  YOLOMQ_BACKEND_BIND: endpoint('tcp://0.0.0.0:5556'),
  YOLOMQ_HTTP_HOST: z.preprocess(unsetIfEmpty, z.string().trim().min(1).default('0.0.0.0')),
  YOLOMQ_HTTP_PORT: int(0, 65_535, 8080),
  YOLOMQ_DEFAULT_MODEL: z.preprocess(unsetIfEmpty, modelName.optional()),
  YOLOMQ_MODELS: z.preprocess(
    unsetIfEmpty,
    z
      .string()
      .optional()
      .transform((list) => (list ?? '').split(',').map((name) => name.trim()))
      .pipe(z.array(z.union([z.literal(''), modelName])))
      .transform((names) => [...new Set(names.filter((name) => name !== ''))]),
  ),
  YOLOMQ_HEARTBEAT_MS: int(10, 600_000, 1000),
  YOLOMQ_HEARTBEAT_LIVENESS: int(1, 100, 3),
  YOLOMQ_MAX_RETRIES: int(0, 100, 2),
  YOLOMQ_DEFAULT_TIMEOUT_MS: int(1, 3_600_000, 30_000),
  YOLOMQ_QUEUE_MAX_REQUESTS: int(0, 10_000_000, 10_000),
  YOLOMQ_QUEUE_MAX_BYTES: int(0, Number.MAX_SAFE_INTEGER, 536_870_912),
  YOLOMQ_MAX_MESSAGE_BYTES: int(1024, 2_147_483_647, 33_554_432),
  YOLOMQ_MAX_INFLIGHT_PER_CLIENT: int(1, 10_000_000, 1000),
  YOLOMQ_MAX_QUEUED_BYTES_PER_CLIENT: int(1024, Number.MAX_SAFE_INTEGER, 268_435_456),
  YOLOMQ_STARTUP_GRACE_MS: int(0, 600_000, 5000),
  YOLOMQ_DRAIN_TIMEOUT_MS: int(0, 3_600_000, 10_000),
  YOLOMQ_CURVE_SECRET_KEY_FILE: z.preprocess(unsetIfEmpty, z.string().trim().min(1).optional()),
  YOLOMQ_CURVE_PUBLIC_KEY_FILE: z.preprocess(unsetIfEmpty, z.string().trim().min(1).optional()),
  YOLOMQ_CURVE_CLIENTS_ALLOW: z.preprocess(unsetIfEmpty, z.string().trim().min(1).optional()),
  YOLOMQ_CURVE_WORKERS_ALLOW: z.preprocess(unsetIfEmpty, z.string().trim().min(1).optional()),
  LOG_LEVEL: z.preprocess(
    unsetIfEmpty,
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ),
  ...scalerEnvShape,
});

export type ConfigResult = { ok: true; config: BrokerConfig } | { ok: false; message: string };

/** Parses the broker's configuration from an environment object. Never throws. */
export function parseBrokerConfig(env: Record<string, string | undefined>): ConfigResult {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const name = issue.path.join('.') || '(environment)';
      const value = typeof issue.path[0] === 'string' ? env[issue.path[0]] : undefined;
      return `${name}: ${issue.message}${value === undefined ? '' : ` (got ${JSON.stringify(value.slice(0, 80))})`}`;
    });
    return { ok: false, message: `invalid broker configuration:\n  ${lines.join('\n  ')}` };
  }
  const e = parsed.data;
  const scaler = toScalerConfig(e);
  const curveSet = [e.YOLOMQ_CURVE_SECRET_KEY_FILE, e.YOLOMQ_CURVE_CLIENTS_ALLOW, e.YOLOMQ_CURVE_WORKERS_ALLOW];
  if (curveSet.some((v) => v !== undefined) && curveSet.some((v) => v === undefined)) {
    return {
      ok: false,
      message:
        'invalid broker configuration:\n  YOLOMQ_CURVE_SECRET_KEY_FILE, YOLOMQ_CURVE_CLIENTS_ALLOW and YOLOMQ_CURVE_WORKERS_ALLOW: set all three to turn CurveZMQ on, or none',
    };
  }
  const curve =
    e.YOLOMQ_CURVE_SECRET_KEY_FILE !== undefined
      ? {
          secretKeyFile: e.YOLOMQ_CURVE_SECRET_KEY_FILE,
          publicKeyFile: e.YOLOMQ_CURVE_PUBLIC_KEY_FILE,
          clientsAllowFile: e.YOLOMQ_CURVE_CLIENTS_ALLOW!,
          workersAllowFile: e.YOLOMQ_CURVE_WORKERS_ALLOW!,
        }
      : undefined;
  if (!scaler.ok) return { ok: false, message: `invalid broker configuration:\n  ${scaler.message}` };
  return {
    ok: true,
    config: {
      frontendBind: e.YOLOMQ_FRONTEND_BIND,
      backendBind: e.YOLOMQ_BACKEND_BIND,
      httpHost: e.YOLOMQ_HTTP_HOST,
      httpPort: e.YOLOMQ_HTTP_PORT,
      defaultModel: e.YOLOMQ_DEFAULT_MODEL,
      models: e.YOLOMQ_MODELS,
      heartbeatMs: e.YOLOMQ_HEARTBEAT_MS,
      heartbeatLiveness: e.YOLOMQ_HEARTBEAT_LIVENESS,
      maxRetries: e.YOLOMQ_MAX_RETRIES,
      defaultTimeoutMs: e.YOLOMQ_DEFAULT_TIMEOUT_MS,
      queueMaxRequests: e.YOLOMQ_QUEUE_MAX_REQUESTS,
      queueMaxBytes: e.YOLOMQ_QUEUE_MAX_BYTES,
      maxMessageBytes: e.YOLOMQ_MAX_MESSAGE_BYTES,
      maxInflightPerClient: e.YOLOMQ_MAX_INFLIGHT_PER_CLIENT,
      maxQueuedBytesPerClient: e.YOLOMQ_MAX_QUEUED_BYTES_PER_CLIENT,
      startupGraceMs: e.YOLOMQ_STARTUP_GRACE_MS,
      drainTimeoutMs: e.YOLOMQ_DRAIN_TIMEOUT_MS,
      curve,
      logLevel: e.LOG_LEVEL,
      scaler: scaler.config,
      workerEnv: { ...env },
    },
  };
}
