/**
 * Writes a letterboxed image into the model's NCHW input tensor: HWC uint8 RGB pixels of the resized
 * image go through a 256-entry table (value / 255 as float32, or as float16 bits), the padding is
 * filled with 114 / 255. One pass, into a buffer reused for every image of a thread.
 */
import { toFloat16Bits } from '../model/float16.js';
import type { InputType } from '../model/spec.js';
import type { LetterboxGeometry } from '../yolo/letterbox.js';

export const PAD_VALUE = 114;

export type TensorData = Float32Array | Uint16Array;

/** value / 255 for every byte value, in the tensor's element type. */
export function normalizeTable(type: InputType): TensorData {
  const table = type === 'float16' ? new Uint16Array(256) : new Float32Array(256);
  for (let k = 0; k < 256; k++) table[k] = type === 'float16' ? toFloat16Bits(k / 255) : k / 255;
  return table;
}

/** Room for `images` NCHW images (a batch), one after the other. */
export function allocateTensor(type: InputType, width: number, height: number, images = 1): TensorData {
  const length = images * 3 * width * height;
  return type === 'float16' ? new Uint16Array(length) : new Float32Array(length);
}

/**
 * `pixels` holds the resizedWidth x resizedHeight image, 3 bytes (RGB) a pixel, `stride` pixels a row. Fast because each output element is
 * a table read and a store; the padding is written with TypedArray.fill, not element by element.
 */
export function fillTensor(
  out: TensorData,
  table: TensorData,
  pixels: Uint8Array,
  g: LetterboxGeometry,
  /** pixels per row of `pixels` (>= resizedWidth) */
  stride = g.resizedWidth,
): void {
  const W = g.inputWidth;
  const H = g.inputHeight;
  const plane = W * H;
  const pad = table[PAD_VALUE]!;
  const rw = g.resizedWidth;
  const top = g.padTop;
  const bottom = top + g.resizedHeight;
  for (let c = 0; c < 3; c++) {
    const base = c * plane;
    out.fill(pad, base, base + top * W);
    out.fill(pad, base + bottom * W, base + plane);
  }
  const r = out;
  const left = g.padLeft;
  for (let y = top; y < bottom; y++) {
    const row = y * W;
    const rowEnd = row + W;
    const start = row + left;
    const end = start + rw;
    for (let c = 0; c < 3; c++) {
      const base = c * plane;
      r.fill(pad, base + row, base + start);
      r.fill(pad, base + end, base + rowEnd);
    }
    let s = (y - top) * stride * 3;
    for (let p = start; p < end; p++, s += 3) {
      r[p] = table[pixels[s]!]!;
      r[p + plane] = table[pixels[s + 1]!]!;
      r[p + 2 * plane] = table[pixels[s + 2]!]!;
    }
  }
}
