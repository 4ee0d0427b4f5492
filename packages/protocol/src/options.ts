import { Limits } from './constants.js';
import { ErrorCode, type ProtocolError } from './errors.js';

/** Per-request options (the OPTIONS frame, JSON). Every field is optional; see SPEC.md, "Options". */
export interface DetectOptions {
  /** confidence threshold, 0..1 (worker default 0.25) */
  conf?: number;
  /** IoU threshold of class-aware NMS, 0..1 (worker default 0.7) */
  iou?: number;
  /** keep only these classes: ids or names */
  classes?: Array<number | string>;
  /** at most this many detections, 1..10000 (worker default 300) */
  maxDetections?: number;
  /** the request's deadline, in ms from when the broker accepts it, 1..3600000 (broker default applies) */
  timeoutMs?: number;
}

export const OPTION_BOUNDS = {
  maxDetections: { min: 1, max: 10_000 },
  timeoutMs: { min: 1, max: 3_600_000 },
  classes: { maxItems: 1000, maxNameLength: 64, maxId: 65_535 },
} as const;

export type OptionsResult = { ok: true; value: DetectOptions } | { ok: false; error: ProtocolError };

const EMPTY: DetectOptions = Object.freeze({});

function bad(message: string): OptionsResult {
  return { ok: false, error: { code: ErrorCode.BAD_REQUEST, message } };
}

function isUnit(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= 1;
}

function isIntIn(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

/** Checks a parsed options value. Unknown keys are refused so that typos never pass silently. */
export function validateOptions(raw: unknown): OptionsResult {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return bad('options must be a JSON object');
  const out: DetectOptions = {};
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    switch (key) {
      case 'conf':
      case 'iou':
        if (!isUnit(value)) return bad(`option ${key} must be a number between 0 and 1`);
        out[key] = value;
        break;
      case 'maxDetections':
      case 'timeoutMs': {
        const { min, max } = OPTION_BOUNDS[key];
        if (!isIntIn(value, min, max)) return bad(`option ${key} must be an integer from ${min} to ${max}`);
        out[key] = value;
        break;
      }
      case 'classes': {
        const { maxItems, maxNameLength, maxId } = OPTION_BOUNDS.classes;
        if (!Array.isArray(value) || value.length > maxItems) {
          return bad(`option classes must be an array of at most ${maxItems} class ids or names`);
        }
        for (const item of value) {
          const ok =
            isIntIn(item, 0, maxId) || (typeof item === 'string' && item.length > 0 && item.length <= maxNameLength);
          if (!ok) return bad(`option classes holds an invalid entry: ${JSON.stringify(item)?.slice(0, 80)}`);
        }
        out.classes = value as Array<number | string>;
        break;
      }
      case undefined:
        break;
      default:
        return bad(`unknown option ${JSON.stringify(key.slice(0, 64))}`);
    }
  }
  return { ok: true, value: out };
}

/** Parses an OPTIONS frame. An empty frame means "all defaults". Never throws. */
export function parseOptions(frame: Buffer): OptionsResult {
  if (frame.length === 0) return { ok: true, value: EMPTY };
  if (frame.length > Limits.MAX_OPTIONS_BYTES) return bad(`options frame is over ${Limits.MAX_OPTIONS_BYTES} bytes`);
  let raw: unknown;
  try {
    raw = JSON.parse(frame.toString('utf8'));
  } catch {
    return bad('options frame is not valid JSON');
  }
  return validateOptions(raw);
}

/** Encodes options as an OPTIONS frame; empty options give an empty frame. */
export function encodeOptions(options: DetectOptions | undefined): Buffer {
  if (!options) return Buffer.alloc(0);
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  return Object.keys(defined).length === 0 ? Buffer.alloc(0) : Buffer.from(JSON.stringify(defined), 'utf8');
}
