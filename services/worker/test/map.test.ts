/** The mAP computation against hand-worked cases of Ultralytics' match_predictions / compute_ap. */
import { describe, expect, it } from 'vitest';
import { labelsToPixels, parseLabels } from '../src/eval/dataset.js';
import { boxIou, computeAp, interp, matchPredictions, meanAveragePrecision } from '../src/eval/map.js';

const box = (classId: number, x1: number, y1: number, x2: number, y2: number, score = 1) => ({
  classId,
  x1,
  y1,
  x2,
  y2,
  score,
});

describe('mAP', () => {
  it('interpolates like numpy.interp', () => {
    expect(interp(0.5, [0, 1], [1, 0])).toBe(0.5);
    expect(interp(-1, [0, 1], [1, 0])).toBe(1);
    expect(interp(2, [0, 1], [1, 0])).toBe(0);
    expect(interp(0.5, [0, 0.5, 0.5, 1], [1, 0.8, 0.6, 0])).toBe(0.6);
  });

  it('computes 0.995 for a perfect ranking and 0.75 for half recall (the sentinel point (1, 0) is interpolated to)', () => {
    // Ultralytics appends recall 1 / precision 0, so even a perfect detector integrates to 0.995
    expect(computeAp([0.5, 1], [1, 1])).toBeCloseTo(0.995, 6);
    // one of two objects found: precision 1 up to recall 0.5, then a straight line down to (1, 0)
    expect(computeAp([0.5], [1])).toBeCloseTo(0.75, 6);
  });

  it('matches each label at most once, by IoU, per threshold', () => {
    const labels = [box(0, 0, 0, 10, 10)];
    const preds = [box(0, 0, 0, 10, 10, 0.9), box(0, 0, 0, 10, 8, 0.8), box(1, 0, 0, 10, 10, 0.7)];
    const m = matchPredictions(preds, labels);
    expect(m[0]!.correct.every(Boolean)).toBe(true); // IoU 1
    expect(m[1]!.correct.some(Boolean)).toBe(false); // the label is taken
    expect(m[2]!.correct.some(Boolean)).toBe(false); // wrong class
    // IoU 0.8 (less the 1e-7 epsilon) alone: correct at 0.50..0.75, not from 0.80 on
    const only = matchPredictions([box(0, 0, 0, 10, 8)], labels)[0]!.correct;
    expect(only).toEqual([true, true, true, true, true, true, false, false, false, false]);
    expect(boxIou(labels[0]!, box(0, 0, 0, 10, 8))).toBeCloseTo(0.8, 6);
  });

  it('averages over labelled classes; a labelled class never predicted counts 0', () => {
    const m = matchPredictions([box(0, 0, 0, 10, 10, 0.9)], [box(0, 0, 0, 10, 10), box(1, 20, 20, 30, 30)]);
    const r = meanAveragePrecision(m, [0, 1], 1);
    expect(r.perClass.map((c) => c.classId)).toEqual([0, 1]);
    expect(r.map50).toBeCloseTo(0.995 / 2, 6);
    expect(r.map5095).toBeCloseTo(0.995 / 2, 6);
  });

  it('reads YOLO label files and converts them to pixels', () => {
    const labels = parseLabels('0 0.5 0.5 0.2 0.4\n\n23 0.1 0.1 0.2 0.2\n');
    expect(labelsToPixels(labels, 100, 50)).toEqual([
      { classId: 0, x1: 40, y1: 15, x2: 60, y2: 35 },
      { classId: 23, x1: 0, y1: 0, x2: 20, y2: 10 },
    ]);
    expect(() => parseLabels('0 0.5 x')).toThrow(/expected "class cx cy w h"/);
  });
});
