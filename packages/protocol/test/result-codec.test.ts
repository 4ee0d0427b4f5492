/** The result JSON: shape check of a REPLY payload. */
import { describe, expect, it } from 'vitest';
import { type DetectionResult, encodeResult, parseResult } from '../src/index.js';

const RESULT: DetectionResult = {
  model: 'yolov8n_int8',
  workerId: 'w-1',
  width: 640,
  height: 480,
  detections: [{ classId: 0, className: 'person', score: 0.91, box: { x1: 10, y1: 20, x2: 110, y2: 300 } }],
  timings: { queueMs: 1.2, preprocessMs: 3.4, inferenceMs: 20.5, postprocessMs: 0.8, totalMs: 26.1 },
};

describe('parseResult', () => {
  it('parses a documented result', () => {
    expect(parseResult(encodeResult(RESULT))).toEqual({ ok: true, value: RESULT });
  });

  it('refuses a result that is not JSON, with INTERNAL', () => {
    expect(parseResult(Buffer.from('{"model":'))).toEqual({
      ok: false,
      error: { code: 'INTERNAL', message: 'result is not valid JSON' },
    });
  });

  it('refuses a result missing a field or with a wrong type, with INTERNAL', () => {
    const bad: unknown[] = [
      null,
      [],
      { ...RESULT, model: 1 },
      { ...RESULT, workerId: undefined },
      { ...RESULT, width: '640' },
      { ...RESULT, detections: {} },
      { ...RESULT, timings: null },
      { ...RESULT, timings: { ...RESULT.timings, totalMs: '26' } },
      { ...RESULT, detections: [null] },
      { ...RESULT, detections: [{ ...RESULT.detections[0], className: 3 }] },
      { ...RESULT, detections: [{ ...RESULT.detections[0], box: { x1: 1, y1: 2, x2: 3 } }] },
    ];
    for (const value of bad) {
      const parsed = parseResult(Buffer.from(JSON.stringify(value)));
      expect(parsed.ok ? 'ok' : parsed.error.code).toBe('INTERNAL');
    }
  });

  it('keeps fields it does not know (a worker may add some)', () => {
    const parsed = parseResult(Buffer.from(JSON.stringify({ ...RESULT, extra: 1 })));
    expect(parsed.ok && (parsed.value as unknown as { extra: number }).extra).toBe(1);
  });
});
