/**
 * Class-aware greedy non-maximum suppression over `Candidates`, as torchvision's `nms` with
 * Ultralytics' per-class offset: in descending score order, a candidate is kept unless a kept box of
 * the same class overlaps it with IoU strictly above the threshold. Each candidate is compared only
 * with the kept boxes of its class, and the walk stops at `maxDetections`, so the cost is bounded by
 * candidates x kept rather than candidates squared.
 */
import type { Candidates } from './candidates.js';

/** Ultralytics sorts candidates by score and keeps the best 30000 before NMS (`max_nms`). */
export const MAX_NMS_CANDIDATES = 30_000;

/** Indices into `candidates` of the kept boxes, best first. */
export function nms(candidates: Candidates, iouThreshold: number, maxDetections: number): number[] {
  const order = sortByScore(candidates);
  const { boxes, classes } = candidates;
  const kept: number[] = [];
  // kept indices per class, so each candidate meets only boxes it could be suppressed by
  const byClass = new Map<number, number[]>();
  for (let o = 0; o < order.length && kept.length < maxDetections; o++) {
    const i = order[o]!;
    const cls = classes[i]!;
    let same = byClass.get(cls);
    if (same === undefined) {
      same = [];
      byClass.set(cls, same);
    }
    const k = i * 4;
    const ax1 = boxes[k]!;
    const ay1 = boxes[k + 1]!;
    const ax2 = boxes[k + 2]!;
    const ay2 = boxes[k + 3]!;
    const areaA = (ax2 - ax1) * (ay2 - ay1);
    let suppressed = false;
    for (let s = 0; s < same.length; s++) {
      const m = same[s]! * 4;
      const bx1 = boxes[m]!;
      const by1 = boxes[m + 1]!;
      const bx2 = boxes[m + 2]!;
      const by2 = boxes[m + 3]!;
      const iw = Math.min(ax2, bx2) - Math.max(ax1, bx1);
      if (iw <= 0) continue;
      const ih = Math.min(ay2, by2) - Math.max(ay1, by1);
      if (ih <= 0) continue;
      const inter = iw * ih;
      const union = areaA + (bx2 - bx1) * (by2 - by1) - inter;
      if (inter > iouThreshold * union) {
        suppressed = true;
        break;
      }
    }
    if (!suppressed) {
      same.push(i);
      kept.push(i);
    }
  }
  return kept;
}

/** Candidate indices by descending score, at most MAX_NMS_CANDIDATES of them. */
export function sortByScore(candidates: Candidates): Uint32Array {
  const n = candidates.count;
  const scores = candidates.scores;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => scores[b]! - scores[a]!);
  return n > MAX_NMS_CANDIDATES ? order.subarray(0, MAX_NMS_CANDIDATES) : order;
}
