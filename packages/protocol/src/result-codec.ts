import { ErrorCode, type ProtocolError } from './errors.js';
import type { Detection, DetectionResult } from './result.js';

export type ResultParse = { ok: true; value: DetectionResult } | { ok: false; error: ProtocolError };

const TIMING_FIELDS = ['queueMs', 'preprocessMs', 'inferenceMs', 'postprocessMs', 'totalMs'] as const;
const BOX_FIELDS = ['x1', 'y1', 'x2', 'y2'] as const;

function hasNumbers(value: unknown, fields: readonly string[]): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return fields.every((field) => typeof record[field] === 'number');
}

function isDetection(value: unknown): boolean {
  if (!hasNumbers(value, ['classId', 'score'])) return false;
  const d = value as Partial<Detection>;
  return typeof d.className === 'string' && hasNumbers(d.box, BOX_FIELDS);
}

/** Parses a REPLY's result JSON and checks its shape. Never throws. */
export function parseResult(frame: Buffer): ResultParse {
  let raw: unknown;
  try {
    raw = JSON.parse(frame.toString('utf8'));
  } catch {
    return { ok: false, error: { code: ErrorCode.INTERNAL, message: 'result is not valid JSON' } };
  }
  const r = raw as Partial<DetectionResult> | null;
  const shaped =
    r !== null &&
    typeof r === 'object' &&
    typeof r.model === 'string' &&
    typeof r.workerId === 'string' &&
    typeof r.width === 'number' &&
    typeof r.height === 'number' &&
    Array.isArray(r.detections) &&
    r.detections.every(isDetection) &&
    hasNumbers(r.timings, TIMING_FIELDS);
  if (!shaped)
    return { ok: false, error: { code: ErrorCode.INTERNAL, message: 'result does not have the documented shape' } };
  return { ok: true, value: r as DetectionResult };
}

export function encodeResult(result: DetectionResult): Buffer {
  return Buffer.from(JSON.stringify(result), 'utf8');
}
