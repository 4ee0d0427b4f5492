/**
 * The worker's configuration: one zod schema over the environment, parsed once at start-up (main.ts)
 * and passed down as a typed object. Nothing else in the worker reads process.env. Every variable is
 * documented, with its default, in the repository's .env.example.
 */
import { availableParallelism, hostname } from 'node:os';
import { basename } from 'node:path';
import { type CurveClientKeys, loadCurveClientKeys } from '@yolomq/protocol';
import { z } from 'zod';

export interface WorkerConfig {
  /** CurveZMQ keys for the broker link (undefined: plain text) */
  curve?: CurveClientKeys;
  /** the broker's backend ROUTER */
  brokerBackend: string;
  /** path of the ONNX model file */
  modelPath: string;
  /** the name the model is served under (the broker's model key) */
  modelName: string;
  /** class names file, used when the model's metadata has none */
  classNamesPath: string | undefined;
  executionProvider: 'cpu' | 'cuda';
  /** K: inference threads, each with its own session */
  inferenceThreads: number;
  /** onnxruntime intra-op threads per session */
  intraOpThreads: number;
  /**
   * jobs the broker may send beyond what the threads compute at once: credit = K x batch + prefetch;
   * undefined: K x the batch the model allows (each thread holds the next batch, decoding, while one
   * computes), known once the model is loaded
   */
  prefetch: number | undefined;
  /** the most jobs one session.run takes, for a model with a dynamic batch dimension (1: no batching) */
  batchMax: number;
  /** how long an inference thread lets a batch fill before it runs what it has (ms) */
  batchDelayMs: number;
  /** images above this many pixels are refused (IMAGE_TOO_LARGE) before being decoded */
  maxPixels: number;
  heartbeatMs: number;
  heartbeatLiveness: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  /** how long SIGTERM waits for jobs in progress */
  drainTimeoutMs: number;
  workerId: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

/**
 * Defaults from the CPU count: one inference thread per core up to 4 (onnxruntime computes on the
 * calling thread, and separate sessions scale better than intra-op threads at this size), then the
 * remaining cores as intra-op threads of those 4 sessions. K x intra-op never exceeds the core count.
 */
export function defaultThreads(cpus: number): { inferenceThreads: number; intraOpThreads: number } {
  const inferenceThreads = Math.max(1, Math.min(cpus, 4));
  return { inferenceThreads, intraOpThreads: Math.max(1, Math.floor(cpus / inferenceThreads)) };
}

const unsetIfEmpty = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);

const int = (min: number, max: number) =>
  z.preprocess(
    unsetIfEmpty,
    z.coerce
      .number({ error: 'must be a number' })
      .int('must be a whole number')
      .min(min, `must be at least ${min}`)
      .max(max, `must be at most ${max}`)
      .optional(),
  );

const schema = z.object({
  YOLOMQ_BROKER_BACKEND: z.preprocess(
    unsetIfEmpty,
    z
      .string()
      .trim()
      .regex(/^(tcp|ipc|inproc):\/\/\S+$/, 'must be a ZeroMQ endpoint such as tcp://127.0.0.1:5556')
      .default('tcp://127.0.0.1:5556'),
  ),
  YOLOMQ_MODEL: z.preprocess(
    unsetIfEmpty,
    z.string({ error: 'is required: the path of the ONNX model file' }).trim().min(1),
  ),
  YOLOMQ_MODEL_NAME: z.preprocess(
    unsetIfEmpty,
    z
      .string()
      .trim()
      .min(1)
      .refine((name) => Buffer.byteLength(name, 'utf8') <= 128, 'a model name is at most 128 bytes')
      .optional(),
  ),
  YOLOMQ_CLASS_NAMES: z.preprocess(unsetIfEmpty, z.string().trim().min(1).optional()),
  YOLOMQ_EP: z.preprocess(
    (v) => (typeof unsetIfEmpty(v) === 'string' ? (v as string).trim().toLowerCase() : undefined),
    z.enum(['cpu', 'cuda'], { error: 'must be cpu or cuda' }).default('cpu'),
  ),
  YOLOMQ_INFERENCE_THREADS: int(1, 256),
  YOLOMQ_INTRA_OP_THREADS: int(1, 256),
  YOLOMQ_PREFETCH: int(0, 1000),
  YOLOMQ_BATCH_MAX: int(1, 64),
  YOLOMQ_BATCH_DELAY_MS: int(0, 1000),
  YOLOMQ_MAX_PIXELS: int(1, 1_000_000_000),
  YOLOMQ_HEARTBEAT_MS: int(10, 600_000),
  YOLOMQ_HEARTBEAT_LIVENESS: int(1, 100),
  YOLOMQ_RECONNECT_MIN_MS: int(1, 600_000),
  YOLOMQ_RECONNECT_MAX_MS: int(1, 3_600_000),
  YOLOMQ_DRAIN_TIMEOUT_MS: int(0, 3_600_000),
  YOLOMQ_WORKER_ID: z.preprocess(
    unsetIfEmpty,
    z
      .string()
      .trim()
      .min(1)
      .refine((id) => Buffer.byteLength(id, 'utf8') <= 64, 'a worker id is at most 64 bytes')
      .optional(),
  ),
  LOG_LEVEL: z.preprocess(
    unsetIfEmpty,
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ),
  YOLOMQ_CURVE_SERVER_KEY: z.string().optional(),
  YOLOMQ_WORKER_CURVE_PUBLIC_KEY_FILE: z.string().optional(),
  YOLOMQ_WORKER_CURVE_SECRET_KEY_FILE: z.string().optional(),
});

export type ConfigResult = { ok: true; config: WorkerConfig } | { ok: false; message: string };

export const DEFAULT_MAX_PIXELS = 50_000_000;

/** Parses the worker's configuration from an environment object. Never throws. */
export function parseWorkerConfig(
  env: Record<string, string | undefined>,
  cpus: number = availableParallelism(),
): ConfigResult {
  const parsed = schema.safeParse(env);
  const problems: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const name = issue.path.join('.') || '(environment)';
      const value = typeof issue.path[0] === 'string' ? env[issue.path[0]] : undefined;
      problems.push(
        `${name}: ${issue.message}${value === undefined ? '' : ` (got ${JSON.stringify(value.slice(0, 80))})`}`,
      );
    }
  }
  if (!parsed.success) return { ok: false, message: `invalid worker configuration:\n  ${problems.join('\n  ')}` };
  const e = parsed.data;
  const threads = defaultThreads(cpus);
  const inferenceThreads = e.YOLOMQ_INFERENCE_THREADS ?? threads.inferenceThreads;
  const intraOpThreads =
    e.YOLOMQ_INTRA_OP_THREADS ??
    (e.YOLOMQ_INFERENCE_THREADS === undefined
      ? threads.intraOpThreads
      : Math.max(1, Math.floor(cpus / inferenceThreads)));
  const batchMax = e.YOLOMQ_BATCH_MAX ?? 1;
  const prefetch = e.YOLOMQ_PREFETCH;
  const reconnectMinMs = e.YOLOMQ_RECONNECT_MIN_MS ?? 1000;
  const reconnectMaxMs = e.YOLOMQ_RECONNECT_MAX_MS ?? 32_000;
  if (reconnectMaxMs < reconnectMinMs)
    problems.push('YOLOMQ_RECONNECT_MAX_MS: must be at least YOLOMQ_RECONNECT_MIN_MS');
  if (inferenceThreads * batchMax + (prefetch ?? inferenceThreads * batchMax) > 1024)
    problems.push('YOLOMQ_INFERENCE_THREADS x YOLOMQ_BATCH_MAX + YOLOMQ_PREFETCH: the credit must be at most 1024');
  const curve = loadCurveClientKeys(
    {
      serverKey: e.YOLOMQ_CURVE_SERVER_KEY,
      publicKeyFile: e.YOLOMQ_WORKER_CURVE_PUBLIC_KEY_FILE,
      secretKeyFile: e.YOLOMQ_WORKER_CURVE_SECRET_KEY_FILE,
    },
    {
      serverKey: 'YOLOMQ_CURVE_SERVER_KEY',
      publicKeyFile: 'YOLOMQ_WORKER_CURVE_PUBLIC_KEY_FILE',
      secretKeyFile: 'YOLOMQ_WORKER_CURVE_SECRET_KEY_FILE',
    },
  );
  if (!curve.ok) problems.push(curve.message);
  if (problems.length > 0 || !curve.ok)
    return { ok: false, message: `invalid worker configuration:\n  ${problems.join('\n  ')}` };
  const modelName = e.YOLOMQ_MODEL_NAME ?? basename(e.YOLOMQ_MODEL).replace(/\.onnx$/i, '');
  return {
    ok: true,
    config: {
      brokerBackend: e.YOLOMQ_BROKER_BACKEND,
      modelPath: e.YOLOMQ_MODEL,
      modelName: Buffer.byteLength(modelName) > 128 ? modelName.slice(0, 64) : modelName,
      classNamesPath: e.YOLOMQ_CLASS_NAMES,
      executionProvider: e.YOLOMQ_EP,
      inferenceThreads,
      intraOpThreads,
      prefetch,
      batchMax,
      batchDelayMs: e.YOLOMQ_BATCH_DELAY_MS ?? 2,
      maxPixels: e.YOLOMQ_MAX_PIXELS ?? DEFAULT_MAX_PIXELS,
      heartbeatMs: e.YOLOMQ_HEARTBEAT_MS ?? 1000,
      heartbeatLiveness: e.YOLOMQ_HEARTBEAT_LIVENESS ?? 3,
      reconnectMinMs,
      reconnectMaxMs,
      drainTimeoutMs: e.YOLOMQ_DRAIN_TIMEOUT_MS ?? 10_000,
      workerId: e.YOLOMQ_WORKER_ID ?? defaultWorkerId(),
      logLevel: e.LOG_LEVEL,
      ...(curve.value === undefined ? {} : { curve: curve.value }),
    },
  };
}

function defaultWorkerId(): string {
  const suffix = Math.random().toString(36).slice(2, 6);
  return `w-${hostname().slice(0, 40)}-${process.pid}-${suffix}`;
}
