/**
 * Detection mAP computed as Ultralytics' DetectionValidator does: per image, predictions are matched
 * to labels at ten IoU thresholds 0.50:0.05:0.95 (`match_predictions`, including its tie-breaking);
 * then per class over the whole set, precision/recall curves, the precision envelope, and AP as the
 * trapezoidal integral of the curve sampled at 101 recall points (`compute_ap`, method 'interp').
 * mAP averages AP over the classes that have labels (a labelled class never predicted scores 0).
 * Pure functions over plain data.
 */

export const IOU_THRESHOLDS: readonly number[] = Array.from({ length: 10 }, (_, i) => 0.5 + 0.05 * i);

export interface EvalBox {
  classId: number;
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

export interface EvalPrediction extends EvalBox {
  score: number;
}

/** One prediction's outcome: its score, class, and whether it is a true positive at each IoU threshold. */
export interface MatchedPrediction {
  score: number;
  classId: number;
  correct: boolean[];
}

export function boxIou(a: EvalBox, b: EvalBox): number {
  const iw = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1);
  const ih = Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1);
  const inter = Math.max(0, iw) * Math.max(0, ih);
  const areaA = (a.x2 - a.x1) * (a.y2 - a.y1);
  const areaB = (b.x2 - b.x1) * (b.y2 - b.y1);
  return inter / (areaA + areaB - inter + 1e-7);
}

/** Ultralytics' `match_predictions` for one image. */
export function matchPredictions(
  predictions: readonly EvalPrediction[],
  labels: readonly EvalBox[],
): MatchedPrediction[] {
  const out = predictions.map((p) => ({
    score: p.score,
    classId: p.classId,
    correct: IOU_THRESHOLDS.map(() => false),
  }));
  if (labels.length === 0 || predictions.length === 0) return out;
  // iou[t][p], zeroed where the classes differ
  const iou = labels.map((l) => predictions.map((p) => (p.classId === l.classId ? boxIou(l, p) : 0)));
  IOU_THRESHOLDS.forEach((threshold, ti) => {
    let matches: Array<[number, number, number]> = []; // [label, prediction, iou], in np.nonzero order
    for (let t = 0; t < labels.length; t++) {
      for (let p = 0; p < predictions.length; p++) {
        const v = iou[t]![p]!;
        if (v >= threshold) matches.push([t, p, v]);
      }
    }
    if (matches.length > 1) {
      // argsort()[::-1]: descending IoU; numpy's default sort is not stable, ties are rare in floats
      matches = matches
        .map((m, i) => ({ m, i }))
        .sort((a, b) => a.m[2] - b.m[2] || a.i - b.i)
        .reverse()
        .map((x) => x.m);
      matches = uniqueFirst(matches, 1);
      matches = uniqueFirst(matches, 0);
    }
    for (const [, p] of matches) out[p]!.correct[ti] = true;
  });
  return out;
}

/** np.unique(column, return_index=True): the first row of each distinct value, ordered by that value. */
function uniqueFirst(rows: Array<[number, number, number]>, column: 0 | 1): Array<[number, number, number]> {
  const first = new Map<number, [number, number, number]>();
  for (const row of rows) if (!first.has(row[column])) first.set(row[column], row);
  return [...first.entries()].sort((a, b) => a[0] - b[0]).map(([, row]) => row);
}

/** numpy.interp(x, xp, fp) for non-decreasing xp. */
export function interp(x: number, xp: readonly number[], fp: readonly number[]): number {
  const n = xp.length;
  if (x < xp[0]!) return fp[0]!;
  if (x > xp[n - 1]!) return fp[n - 1]!;
  let lo = 0;
  let hi = n - 1;
  // last j with xp[j] <= x
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (xp[mid]! <= x) lo = mid;
    else hi = mid - 1;
  }
  const j = lo;
  if (j === n - 1 || xp[j] === x) return fp[j]!;
  const slope = (fp[j + 1]! - fp[j]!) / (xp[j + 1]! - xp[j]!);
  return slope * (x - xp[j]!) + fp[j]!;
}

/** Ultralytics' compute_ap: precision envelope, 101-point interpolation, trapezoidal integral. */
export function computeAp(recall: readonly number[], precision: readonly number[]): number {
  const mrec = [0, ...recall, 1];
  const mpre = [1, ...precision, 0];
  for (let i = mpre.length - 2; i >= 0; i--) mpre[i] = Math.max(mpre[i]!, mpre[i + 1]!);
  let ap = 0;
  let prev = interp(0, mrec, mpre);
  for (let k = 1; k <= 100; k++) {
    const y = interp(k / 100, mrec, mpre);
    ap += ((y + prev) / 2) * 0.01;
    prev = y;
  }
  return ap;
}

export interface MapResult {
  /** mAP at IoU 0.5 and averaged over 0.5:0.95 */
  map50: number;
  map5095: number;
  /** AP per labelled class: [classId, AP@0.5, AP@0.5:0.95] */
  perClass: Array<{ classId: number; ap50: number; ap5095: number; labels: number }>;
  images: number;
  labels: number;
  predictions: number;
}

/** Ultralytics' ap_per_class over every image's matched predictions and label classes. */
export function meanAveragePrecision(
  matched: readonly MatchedPrediction[],
  labelClasses: readonly number[],
  images: number,
): MapResult {
  const order = matched
    .map((m, i) => ({ m, i }))
    .sort((a, b) => b.m.score - a.m.score || a.i - b.i)
    .map((x) => x.m);
  const counts = new Map<number, number>();
  for (const c of labelClasses) counts.set(c, (counts.get(c) ?? 0) + 1);
  const classes = [...counts.keys()].sort((a, b) => a - b);
  const perClass: MapResult['perClass'] = [];
  for (const c of classes) {
    const nl = counts.get(c)!;
    const preds = order.filter((m) => m.classId === c);
    const aps = IOU_THRESHOLDS.map((_, ti) => {
      if (preds.length === 0) return 0;
      let tp = 0;
      let fp = 0;
      const recall: number[] = [];
      const precision: number[] = [];
      for (const p of preds) {
        if (p.correct[ti]) tp++;
        else fp++;
        recall.push(tp / (nl + 1e-16));
        precision.push(tp / (tp + fp));
      }
      return computeAp(recall, precision);
    });
    perClass.push({ classId: c, ap50: aps[0]!, ap5095: aps.reduce((s, v) => s + v, 0) / aps.length, labels: nl });
  }
  const mean = (f: (x: (typeof perClass)[number]) => number) =>
    perClass.length === 0 ? 0 : perClass.reduce((s, x) => s + f(x), 0) / perClass.length;
  return {
    map50: mean((x) => x.ap50),
    map5095: mean((x) => x.ap5095),
    perClass,
    images,
    labels: labelClasses.length,
    predictions: matched.length,
  };
}
