/**
 * The gateway's configuration: one zod schema over the environment, parsed once at start-up
 * (main.ts) and passed down as a typed object. Nothing else in the gateway reads process.env.
 */
import { type CurveClientKeys, loadCurveClientKeys } from '@yolomq/protocol';
import { z } from 'zod';

export interface GatewayConfig {
  /** interface the HTTP server listens on */
  host: string;
  /** HTTP port; 0 picks a free one (tests) */
  port: number;
  /** the broker's frontend (ZeroMQ), where detection requests go */
  broker: string;
  /** the broker's HTTP base URL, read for /status (dashboard, /v1/models) */
  brokerHttp: string;
  /** largest request body accepted (raw image or whole multipart form), in bytes */
  maxBodyBytes: number;
  /** default deadline of a detection, and the time a client has to send its request */
  requestTimeoutMs: number;
  /** at most this many detections in flight through this gateway; more are refused with 429 */
  maxInflight: number;
  /** how often the dashboard's event stream reads the broker's /status */
  statusIntervalMs: number;
  logLevel: string;
  /** CurveZMQ keys for the broker link, when the broker requires Curve (the gateway is one of its clients) */
  curve?: CurveClientKeys;
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

const text = (fallback: string) => z.preprocess(unsetIfEmpty, z.string().trim().min(1).default(fallback));

const schema = z.object({
  YOLOMQ_GATEWAY_HOST: text('0.0.0.0'),
  YOLOMQ_GATEWAY_PORT: int(0, 65_535, 8081),
  YOLOMQ_BROKER: z.preprocess(
    unsetIfEmpty,
    z
      .string()
      .trim()
      .regex(/^(tcp|ipc|inproc):\/\/\S+$/, 'must be a ZeroMQ endpoint such as tcp://127.0.0.1:5555')
      .default('tcp://127.0.0.1:5555'),
  ),
  YOLOMQ_BROKER_HTTP: z.preprocess(
    unsetIfEmpty,
    z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL such as http://127.0.0.1:8080' })
      .default('http://127.0.0.1:8080'),
  ),
  YOLOMQ_GATEWAY_MAX_BODY_BYTES: int(1024, 1024 * 1024 * 1024, 32 * 1024 * 1024),
  YOLOMQ_GATEWAY_REQUEST_TIMEOUT_MS: int(100, 3_600_000, 30_000),
  YOLOMQ_GATEWAY_MAX_INFLIGHT: int(1, 100_000, 256),
  YOLOMQ_GATEWAY_STATUS_INTERVAL_MS: int(100, 60_000, 1000),
  YOLOMQ_CURVE_SERVER_KEY: z.preprocess(unsetIfEmpty, z.string().optional()),
  YOLOMQ_CLIENT_CURVE_PUBLIC_KEY_FILE: z.preprocess(unsetIfEmpty, z.string().optional()),
  YOLOMQ_CLIENT_CURVE_SECRET_KEY_FILE: z.preprocess(unsetIfEmpty, z.string().optional()),
  LOG_LEVEL: z.preprocess(
    unsetIfEmpty,
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ),
});

export type ConfigResult = { ok: true; config: GatewayConfig } | { ok: false; message: string };

/** Parses the gateway's configuration from an environment object. Never throws. */
export function parseGatewayConfig(env: Record<string, string | undefined>): ConfigResult {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(env)'}: ${issue.message}`);
    return { ok: false, message: `invalid gateway configuration:\n  ${lines.join('\n  ')}` };
  }
  const e = parsed.data;
  const curve = loadCurveClientKeys(
    {
      serverKey: e.YOLOMQ_CURVE_SERVER_KEY,
      publicKeyFile: e.YOLOMQ_CLIENT_CURVE_PUBLIC_KEY_FILE,
      secretKeyFile: e.YOLOMQ_CLIENT_CURVE_SECRET_KEY_FILE,
    },
    {
      serverKey: 'YOLOMQ_CURVE_SERVER_KEY',
      publicKeyFile: 'YOLOMQ_CLIENT_CURVE_PUBLIC_KEY_FILE',
      secretKeyFile: 'YOLOMQ_CLIENT_CURVE_SECRET_KEY_FILE',
    },
  );
  if (!curve.ok) return { ok: false, message: `invalid gateway configuration:\n  ${curve.message}` };
  return {
    ok: true,
    config: {
      ...(curve.value === undefined ? {} : { curve: curve.value }),
      host: e.YOLOMQ_GATEWAY_HOST,
      port: e.YOLOMQ_GATEWAY_PORT,
      broker: e.YOLOMQ_BROKER,
      brokerHttp: e.YOLOMQ_BROKER_HTTP.replace(/\/+$/, ''),
      maxBodyBytes: e.YOLOMQ_GATEWAY_MAX_BODY_BYTES,
      requestTimeoutMs: e.YOLOMQ_GATEWAY_REQUEST_TIMEOUT_MS,
      maxInflight: e.YOLOMQ_GATEWAY_MAX_INFLIGHT,
      statusIntervalMs: e.YOLOMQ_GATEWAY_STATUS_INTERVAL_MS,
      logLevel: e.LOG_LEVEL,
    },
  };
}
