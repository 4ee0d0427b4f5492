/**
 * Bilinear resize of 8-bit RGB pixels with OpenCV's `cv2.resize(..., interpolation=INTER_LINEAR)`
 * arithmetic: half-pixel centres, edge clamping, 11-bit fixed-point weights, the same rounding as its
 * SIMD path. Ultralytics' LetterBox resizes this way, so using it reproduces the model's training and
 * validation inputs to within one grey level. Tables are per call; the pixel loops are on typed arrays.
 */

const COEF_BITS = 11;
const COEF_SCALE = 1 << COEF_BITS;

interface Taps {
  index: Int32Array;
  w0: Int16Array;
  w1: Int16Array;
}

/** Source index and fixed-point weights for each destination coordinate (OpenCV's computeResizeTaps). */
function taps(src: number, dst: number): Taps {
  const scale = src / dst;
  const index = new Int32Array(dst);
  const w0 = new Int16Array(dst);
  const w1 = new Int16Array(dst);
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

/** Resizes `src` (sw x sh x 3) into `dst` (dw x dh x 3). */
export function resizeLinearRgb(
  src: Uint8Array,
  sw: number,
  sh: number,
  dst: Uint8Array,
  dw: number,
  dh: number,
): void {
  const xs = taps(sw, dw);
  const ys = taps(sh, dh);
  // horizontally resized rows, kept for the two source rows a destination row needs
  const rowA = new Int32Array(dw * 3);
  const rowB = new Int32Array(dw * 3);
  let haveA = -1;
  let haveB = -1;
  const hresize = (sy: number, out: Int32Array) => {
    const base = sy * sw * 3;
    const last = sw - 1;
    for (let d = 0, o = 0; d < dw; d++, o += 3) {
      const s = xs.index[d]!;
      const a = xs.w0[d]!;
      const b = xs.w1[d]!;
      const p = base + s * 3;
      const q = s < last ? p + 3 : p;
      out[o] = src[p]! * a + src[q]! * b;
      out[o + 1] = src[p + 1]! * a + src[q + 1]! * b;
      out[o + 2] = src[p + 2]! * a + src[q + 2]! * b;
    }
  };
  let a = rowA;
  let b = rowB;
  for (let y = 0; y < dh; y++) {
    const sy = ys.index[y]!;
    const sy1 = sy < sh - 1 ? sy + 1 : sy;
    // reuse rows computed for the previous destination row
    if (haveA !== sy) {
      if (haveB === sy) {
        const t = a;
        a = b;
        b = t;
        haveA = sy;
        haveB = -1;
      } else {
        hresize(sy, a);
        haveA = sy;
      }
    }
    if (haveB !== sy1) {
      if (sy1 === sy) b.set(a);
      else hresize(sy1, b);
      haveB = sy1;
    }
    const b0 = ys.w0[y]!;
    const b1 = ys.w1[y]!;
    const o = y * dw * 3;
    const n = dw * 3;
    for (let i = 0; i < n; i++) {
      // OpenCV's SIMD VResizeLinear: ((b0 * (A >> 4)) >> 16) + ((b1 * (B >> 4)) >> 16) + 2) >> 2
      const v = (((b0 * (a[i]! >> 4)) >> 16) + ((b1 * (b[i]! >> 4)) >> 16) + 2) >> 2;
      dst[o + i] = Math.min(255, Math.max(0, v));
    }
  }
}
