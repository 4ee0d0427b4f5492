import { ErrorCode, type ProtocolError } from './errors.js';
import type { DetectionResult } from './result.js';

export type ResultParse = { ok: true; value: DetectionResult } | { ok: false; error: ProtocolError };

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
    typeof r.timings === 'object' &&
    r.timings !== null;
  if (!shaped)
    return { ok: false, error: { code: ErrorCode.INTERNAL, message: 'result does not have the documented shape' } };
  return { ok: true, value: r as DetectionResult };
}

export function encodeResult(result: DetectionResult): Buffer {
  return Buffer.from(JSON.stringify(result), 'utf8');
}
