/**
 * Bilinear resize with OpenCV's `cv2.resize(..., interpolation=INTER_LINEAR)` arithmetic: half-pixel
 * centres, edge clamping, 11-bit fixed-point weights, the same rounding as its SIMD path. Ultralytics'
 * LetterBox resizes this way, so the model gets the inputs it was trained and validated on. The
 * resized pixels are written straight into the NCHW tensor through the normalize table (one pass, no
 * intermediate image); tables are per call and the loops run on typed arrays.
 */
import type { LetterboxGeometry } from '../yolo/letterbox.js';
import type { TensorData } from './tensor.js';

const COEF_SCALE = 1 << 11;

interface Taps {
  index: Int32Array;
  w0: Int32Array;
  w1: Int32Array;
}

/** Source index and fixed-point weights for each destination coordinate (OpenCV's computeResizeTaps). */
function taps(src: number, dst: number): Taps {
  const scale = src / dst;
  const index = new Int32Array(dst);
  const w0 = new Int32Array(dst);
  const w1 = new Int32Array(dst);
  for (let d = 0; d < dst; d++) {
    let f = Math.fround((d + 0.5) * scale - 0.5);
    let s = Math.floor(f);
    f -= s;
    if (s < 0) {
      s = 0;
      f = 0;
    }
    if (s >= src - 1) {
      s = src - 1;
      f = 0;
    }
    index[d] = s;
    w0[d] = Math.round((1 - f) * COEF_SCALE);
    w1[d] = Math.round(f * COEF_SCALE);
  }
  return { index, w0, w1 };
}

/**
 * Resizes `src` (sw x sh, 3 bytes a pixel, RGB) to g.resizedWidth x g.resizedHeight and writes it into
 * the image area of the letterbox in `out` (3 planes of g.inputWidth x g.inputHeight), each value
 * through `table`. The padding is not touched.
 */
export function resizeLinearIntoTensor(
  src: Uint8Array,
  sw: number,
  sh: number,
  out: TensorData,
  table: TensorData,
  g: LetterboxGeometry,
): void {
  const W = g.inputWidth;
  const plane = W * g.inputHeight;
  const dw = g.resizedWidth;
  const dh = g.resizedHeight;
  if (sw === 2 * dw && sh === 2 * dh) {
    halve(src, sw, out, table, g);
    return;
  }
  const xs = taps(sw, dw);
  const ys = taps(sh, dh);
  // byte offsets (within a row) of each destination column's two source pixels
  const left = new Int32Array(dw);
  const right = new Int32Array(dw);
  for (let d = 0; d < dw; d++) {
    const s = xs.index[d]!;
    left[d] = s * 3;
    right[d] = (s < sw - 1 ? s + 1 : s) * 3;
  }
  const xa = xs.w0;
  const xb = xs.w1;
  const rowBytes = sw * 3;
  for (let y = 0; y < dh; y++) {
    const sy = ys.index[y]!;
    const r0 = sy * rowBytes;
    const r1 = (sy < sh - 1 ? sy + 1 : sy) * rowBytes;
    const b0 = ys.w0[y]!;
    const b1 = ys.w1[y]!;
    let o = (y + g.padTop) * W + g.padLeft;
    for (let d = 0; d < dw; d++, o++) {
      const a = xa[d]!;
      const b = xb[d]!;
      const p0 = r0 + left[d]!;
      const q0 = r0 + right[d]!;
      const p1 = r1 + left[d]!;
      const q1 = r1 + right[d]!;
      out[o] = table[blend(src, p0, q0, p1, q1, a, b, b0, b1)]!;
      out[o + plane] = table[blend(src, p0 + 1, q0 + 1, p1 + 1, q1 + 1, a, b, b0, b1)]!;
      out[o + 2 * plane] = table[blend(src, p0 + 2, q0 + 2, p1 + 2, q1 + 2, a, b, b0, b1)]!;
    }
  }
}

/**
 * One output value from its four source values: horizontal taps (weights sum to 2048), then OpenCV's
 * SIMD VResizeLinear rounding ((b0 * (A >> 4)) >> 16) + ((b1 * (B >> 4)) >> 16) + 2) >> 2, which
 * stays within 0..255.
 */
function blend(
  src: Uint8Array,
  p0: number,
  q0: number,
  p1: number,
  q1: number,
  a: number,
  b: number,
  b0: number,
  b1: number,
): number {
  const top = src[p0]! * a + src[q0]! * b;
  const bottom = src[p1]! * a + src[q1]! * b;
  return (((b0 * (top >> 4)) >> 16) + ((b1 * (bottom >> 4)) >> 16) + 2) >> 2;
}

/**
 * The exact halving (1280x720 video frames into a 640 input, say): every tap weight is 1024 of 2048,
 * so OpenCV's arithmetic reduces to the rounded mean of each 2x2 block, (sum + 2) >> 2, the same value
 * as the general path gives, in about 60% of its time.
 */
function halve(src: Uint8Array, sw: number, out: TensorData, table: TensorData, g: LetterboxGeometry): void {
  const W = g.inputWidth;
  const plane = W * g.inputHeight;
  const rowBytes = sw * 3;
  for (let y = 0; y < g.resizedHeight; y++) {
    let p = 2 * y * rowBytes;
    let q = p + rowBytes;
    let o = (y + g.padTop) * W + g.padLeft;
    for (let d = 0; d < g.resizedWidth; d++, o++, p += 6, q += 6) {
      out[o] = table[(src[p]! + src[p + 3]! + src[q]! + src[q + 3]! + 2) >> 2]!;
      out[o + plane] = table[(src[p + 1]! + src[p + 4]! + src[q + 1]! + src[q + 4]! + 2) >> 2]!;
      out[o + 2 * plane] = table[(src[p + 2]! + src[p + 5]! + src[q + 2]! + src[q + 5]! + 2) >> 2]!;
    }
  }
}
