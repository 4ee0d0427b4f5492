/**
 * Output decoders, one per layout: read the raw output tensor, keep the candidates above the
 * confidence threshold (and in the class filter) into a reusable `Candidates`. Hot loops on typed
 * arrays; nothing is allocated per candidate. float16 outputs arrive as Uint16Array and are read
 * through a 65536-entry lookup table (`half`), so they are never converted as a whole.
 *
 * Semantics follow Ultralytics' `non_max_suppression` (and YOLOv5's for the YOLOv5 layout): a
 * candidate's class is the arg-max over all classes, it is kept when its confidence is strictly above
 * the threshold, and the class filter is applied to that arg-max class.
 */
import type { Candidates } from './candidates.js';
import type { OutputLayout } from './layout.js';

export type OutputData = Float32Array | Uint16Array;

export interface DecodeParams {
  conf: number;
  /** allowed[c] !== 0 keeps class c; undefined keeps every class */
  allowed: Uint8Array | undefined;
}

/** Per-thread scratch space for the YOLOv8 decoder (best score and class per anchor). */
export class DecodeScratch {
  best = new Float32Array(0);
  arg = new Int32Array(0);

  ensure(n: number): void {
    if (this.best.length < n) {
      this.best = new Float32Array(n);
      this.arg = new Int32Array(n);
    }
  }
}

/**
 * YOLOv8/YOLO11: [1, 4+C, N], channel-major. Walks class rows in memory order (each row is N
 * contiguous floats) keeping a running max per anchor, instead of striding N floats per read.
 */
export function decodeYolov8(
  data: OutputData,
  half: Float32Array | undefined,
  classes: number,
  n: number,
  params: DecodeParams,
  scratch: DecodeScratch,
  out: Candidates,
): void {
  scratch.ensure(n);
  const best = scratch.best;
  const arg = scratch.arg;
  best.fill(Number.NEGATIVE_INFINITY, 0, n);
  for (let c = 0; c < classes; c++) {
    const row = (4 + c) * n;
    if (half === undefined) {
      const f = data as Float32Array;
      for (let i = 0; i < n; i++) {
        const v = f[row + i]!;
        if (v > best[i]!) {
          best[i] = v;
          arg[i] = c;
        }
      }
    } else {
      for (let i = 0; i < n; i++) {
        const v = half[data[row + i]!]!;
        if (v > best[i]!) {
          best[i] = v;
          arg[i] = c;
        }
      }
    }
  }
  const { conf, allowed } = params;
  for (let i = 0; i < n; i++) {
    const score = best[i]!;
    if (!(score > conf)) continue;
    const cls = arg[i]!;
    if (allowed !== undefined && allowed[cls] === 0) continue;
    out.pushCenter(
      read(data, half, i),
      read(data, half, n + i),
      read(data, half, 2 * n + i),
      read(data, half, 3 * n + i),
      score,
      cls,
    );
  }
}

/** YOLOv5: [1, N, 5+C], row-major; confidence = objectness x class probability. */
export function decodeYolov5(
  data: OutputData,
  half: Float32Array | undefined,
  classes: number,
  n: number,
  params: DecodeParams,
  out: Candidates,
): void {
  const { conf, allowed } = params;
  const stride = 5 + classes;
  for (let i = 0, row = 0; i < n; i++, row += stride) {
    const obj = read(data, half, row + 4);
    // YOLOv5 first drops rows whose objectness alone is not above the threshold (a cheap pre-filter:
    // obj x p <= obj, so no kept candidate is lost).
    if (!(obj > conf)) continue;
    let bestP = Number.NEGATIVE_INFINITY;
    let cls = 0;
    for (let c = 0; c < classes; c++) {
      const p = read(data, half, row + 5 + c);
      if (p > bestP) {
        bestP = p;
        cls = c;
      }
    }
    const score = obj * bestP;
    if (!(score > conf)) continue;
    if (allowed !== undefined && allowed[cls] === 0) continue;
    out.pushCenter(
      read(data, half, row),
      read(data, half, row + 1),
      read(data, half, row + 2),
      read(data, half, row + 3),
      score,
      cls,
    );
  }
}

/** End-to-end (YOLOv10): [1, K, 6] rows of x1, y1, x2, y2, score, class; already NMS-free. */
export function decodeEnd2end(
  data: OutputData,
  half: Float32Array | undefined,
  n: number,
  params: DecodeParams,
  out: Candidates,
): void {
  const { conf, allowed } = params;
  for (let i = 0, row = 0; i < n; i++, row += 6) {
    const score = read(data, half, row + 4);
    if (!(score > conf)) continue;
    const cls = Math.round(read(data, half, row + 5));
    if (cls < 0) continue;
    if (allowed !== undefined && (cls >= allowed.length || allowed[cls] === 0)) continue;
    out.pushCorners(
      read(data, half, row),
      read(data, half, row + 1),
      read(data, half, row + 2),
      read(data, half, row + 3),
      score,
      cls,
    );
  }
}

function read(data: OutputData, half: Float32Array | undefined, index: number): number {
  return half === undefined ? data[index]! : half[data[index]!]!;
}

/** Decodes any supported layout into `out` (which is reset first). */
export function decodeOutput(
  layout: OutputLayout,
  data: OutputData,
  half: Float32Array | undefined,
  params: DecodeParams,
  scratch: DecodeScratch,
  out: Candidates,
): void {
  out.reset();
  switch (layout.kind) {
    case 'yolov8':
      decodeYolov8(data, half, layout.classes, layout.candidates, params, scratch, out);
      return;
    case 'yolov5':
      decodeYolov5(data, half, layout.classes, layout.candidates, params, out);
      return;
    case 'end2end':
      decodeEnd2end(data, half, layout.candidates, params, out);
      return;
  }
}
