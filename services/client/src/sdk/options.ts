/** Client and per-request options: their types, defaults and validation (pure). */
import { type DetectOptions, ErrorCode, Limits, OPTION_BOUNDS } from '@yolomq/protocol';
import { z } from 'zod';
import { ClientError, ClientErrorCode } from './errors.js';

/** The few logger methods the SDK calls (a pino logger fits). */
export interface SdkLogger {
  debug(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface ClientOptions {
  /** model to ask for when a request names none; '' = the broker's default model */
  model?: string;
  /** how long one attempt waits for its reply, in ms (also sent to the broker as the request's deadline) */
  timeoutMs?: number;
  /** how many times a request is resent after a timeout (Lazy Pirate); 0 = never */
  retries?: number;
  /** first reconnect backoff, in ms; doubles on each consecutive reconnect up to backoffMaxMs */
  backoffMs?: number;
  backoffMaxMs?: number;
  /**
   * extra ms the client waits past timeoutMs before it gives up on an attempt, so that a live broker's
   * DEADLINE_EXCEEDED answer arrives before the client concludes the broker is gone
   * (default 500 + timeoutMs / 10)
   */
  replyGraceMs?: number;
  /** connect() checks the broker answers a PING within connectTimeoutMs (default true) */
  verify?: boolean;
  connectTimeoutMs?: number;
  /** images larger than this are refused before sending (default 32 MiB, the broker's default limit) */
  maxImageBytes?: number;
  /**
   * error codes from the broker that are resent after a backoff, while the request's budget
   * ((retries + 1) x the attempt wait) lasts; default SHUTTING_DOWN (a broker draining for a restart)
   */
  retryOn?: ErrorCode[];
  logger?: SdkLogger;
  /**
   * CurveZMQ (when the broker has it on): the broker's public key and this client's key pair, Z85 text
   * (`yolomq keygen`); the client's public key must be in the broker's YOLOMQ_CURVE_CLIENTS_ALLOW
   */
  curve?: CurveKeys;
}

export interface CurveKeys {
  serverKey: string;
  publicKey: string;
  secretKey: string;
}

/** Options of one detect() call: the detection options plus per-request overrides. */
export interface DetectRequestOptions extends Omit<DetectOptions, 'timeoutMs'> {
  model?: string;
  timeoutMs?: number;
  retries?: number;
}

export interface ResolvedClientOptions {
  model: string;
  timeoutMs: number;
  retries: number;
  backoffMs: number;
  backoffMaxMs: number;
  replyGraceMs: number | undefined;
  verify: boolean;
  connectTimeoutMs: number;
  maxImageBytes: number;
  retryOn: ReadonlySet<ErrorCode>;
  logger: SdkLogger;
  curve: CurveKeys | undefined;
}

const NO_LOG: SdkLogger = { debug() {}, warn() {} };

const timeout = z.number().int().min(OPTION_BOUNDS.timeoutMs.min).max(OPTION_BOUNDS.timeoutMs.max);

const z85Key = z
  .string()
  .regex(/^[0-9a-zA-Z.\-:+=^!/*?&<>()[\]{}@%$#]{40}$/, 'must be a Z85 CurveZMQ key (40 characters)');

const schema = z.strictObject({
  model: z.string().max(Limits.MAX_MODEL_NAME_BYTES).default(''),
  timeoutMs: timeout.default(10_000),
  retries: z.number().int().min(0).max(100).default(2),
  backoffMs: z.number().int().min(0).max(600_000).default(200),
  backoffMaxMs: z.number().int().min(0).max(600_000).default(5_000),
  replyGraceMs: z.number().int().min(0).max(600_000).optional(),
  verify: z.boolean().default(true),
  connectTimeoutMs: z.number().int().min(1).max(600_000).default(5_000),
  maxImageBytes: z
    .number()
    .int()
    .min(1)
    .max(2 ** 31 - 1)
    .default(Limits.DEFAULT_MAX_IMAGE_BYTES),
  retryOn: z.array(z.enum(Object.values(ErrorCode) as [ErrorCode, ...ErrorCode[]])).default([ErrorCode.SHUTTING_DOWN]),
  logger: z.custom<SdkLogger>((v) => typeof v === 'object' && v !== null).optional(),
  curve: z.strictObject({ serverKey: z85Key, publicKey: z85Key, secretKey: z85Key }).optional(),
});

function describe(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || 'options'}: ${i.message}`).join('; ');
}

/** Checks client options and fills in defaults; throws ClientError INVALID_ARGUMENT naming the bad field. */
export function resolveClientOptions(options: ClientOptions = {}): ResolvedClientOptions {
  const parsed = schema.safeParse(options);
  if (!parsed.success) {
    throw new ClientError(ClientErrorCode.INVALID_ARGUMENT, `invalid client options: ${describe(parsed.error)}`);
  }
  const o = parsed.data;
  return {
    ...o,
    replyGraceMs: o.replyGraceMs,
    retryOn: new Set(o.retryOn),
    logger: o.logger ?? NO_LOG,
    curve: o.curve,
  };
}

const requestSchema = z.object({
  model: z.string().max(Limits.MAX_MODEL_NAME_BYTES).optional(),
  timeoutMs: timeout.optional(),
  retries: z.number().int().min(0).max(100).optional(),
});

function definedOnly<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** Splits per-request options into the client-side part and the detection options sent on the wire. */
export function splitRequestOptions(
  options: DetectRequestOptions | undefined,
  defaults: ResolvedClientOptions,
): { model: string; timeoutMs: number; retries: number; detect: DetectOptions } {
  const { model, timeoutMs, retries, ...detect } = options ?? {};
  const parsed = requestSchema.safeParse({ model, timeoutMs, retries });
  if (!parsed.success) {
    throw new ClientError(ClientErrorCode.INVALID_ARGUMENT, `invalid request options: ${describe(parsed.error)}`);
  }
  const attemptMs = timeoutMs ?? defaults.timeoutMs;
  // The broker gets the attempt timeout as the request's deadline, so it drops work nobody waits for.
  return {
    model: model ?? defaults.model,
    timeoutMs: attemptMs,
    retries: retries ?? defaults.retries,
    detect: { ...definedOnly(detect), timeoutMs: attemptMs },
  };
}

/** How long the client waits for one attempt: the broker's deadline plus a grace for its answer to arrive. */
export function attemptWaitMs(timeoutMs: number, replyGraceMs: number | undefined): number {
  return timeoutMs + (replyGraceMs ?? 500 + Math.round(timeoutMs / 10));
}

/** Reconnect backoff: exponential from initialMs up to maxMs, with "equal jitter" (half fixed, half random). */
export function backoffDelay(consecutive: number, initialMs: number, maxMs: number, random: () => number): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(consecutive, 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
