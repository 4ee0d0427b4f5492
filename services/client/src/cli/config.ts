/** The CLI's configuration from the environment (dotenv loads .env first), validated once with zod. */

import { loadCurveClientKeys } from '@yolomq/protocol';
import { z } from 'zod';
import type { CurveKeys } from '../sdk/options.js';

const schema = z.object({
  YOLOMQ_BROKER: z
    .string()
    .regex(/^(tcp:\/\/[^\s/]+:\d+|ipc:\/\/\S+)$/, 'must be a ZeroMQ endpoint such as tcp://127.0.0.1:5555')
    .default('tcp://127.0.0.1:5555'),
  YOLOMQ_BROKER_HTTP: z.url({ protocol: /^https?$/ }).default('http://127.0.0.1:8080'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('warn'),
  YOLOMQ_CURVE_SERVER_KEY: z.string().optional(),
  YOLOMQ_CLIENT_CURVE_PUBLIC_KEY_FILE: z.string().optional(),
  YOLOMQ_CLIENT_CURVE_SECRET_KEY_FILE: z.string().optional(),
});

export interface CliConfig {
  /** the broker's frontend (ZeroMQ) */
  broker: string;
  /** the broker's HTTP base URL (status, health) */
  brokerHttp: string;
  logLevel: string;
  /** CurveZMQ keys for the broker connection (undefined: plain text) */
  curve?: CurveKeys;
}

export type ConfigResult = { ok: true; value: CliConfig } | { ok: false; message: string };

export function parseCliConfig(env: Record<string, string | undefined>): ConfigResult {
  const picked = Object.fromEntries(
    Object.keys(schema.shape).map((k) => [k, env[k] === '' ? undefined : env[k]] as const),
  );
  const parsed = schema.safeParse(picked);
  if (!parsed.success) {
    const message = parsed.error.issues
      .map((i) => `${String(i.path[0])}=${JSON.stringify(picked[String(i.path[0])])}: ${i.message}`)
      .join('; ');
    return { ok: false, message: `invalid environment: ${message}` };
  }
  const c = parsed.data;
  const curve = loadCurveClientKeys(
    {
      serverKey: c.YOLOMQ_CURVE_SERVER_KEY,
      publicKeyFile: c.YOLOMQ_CLIENT_CURVE_PUBLIC_KEY_FILE,
      secretKeyFile: c.YOLOMQ_CLIENT_CURVE_SECRET_KEY_FILE,
    },
    {
      serverKey: 'YOLOMQ_CURVE_SERVER_KEY',
      publicKeyFile: 'YOLOMQ_CLIENT_CURVE_PUBLIC_KEY_FILE',
      secretKeyFile: 'YOLOMQ_CLIENT_CURVE_SECRET_KEY_FILE',
    },
  );
  if (!curve.ok) return { ok: false, message: `invalid environment: ${curve.message}` };
  return {
    ok: true,
    value: {
      broker: c.YOLOMQ_BROKER,
      brokerHttp: c.YOLOMQ_BROKER_HTTP.replace(/\/+$/, ''),
      logLevel: c.LOG_LEVEL,
      ...(curve.value === undefined ? {} : { curve: curve.value }),
    },
  };
}
