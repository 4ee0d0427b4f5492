/**
 * Writes a letterboxed image into the model's NCHW input tensor: HWC uint8 RGB pixels go through a
 * 256-entry table (value / 255 as float32, or as float16 bits), resized on the way where needed; the
 * padding is filled with 114 / 255. One pass, into a buffer reused for every image of a thread.
 */
import { toFloat16Bits } from '../model/float16.js';
import type { InputType } from '../model/spec.js';
import type { LetterboxGeometry } from '../yolo/letterbox.js';
import { resizeLinearIntoTensor } from './resize-linear.js';

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
 * Writes one letterboxed image into `out` (3 planes of inputWidth x inputHeight): the padding with
 * TypedArray.fill, the image area from `pixels` (width x height, 3 bytes a pixel, RGB) through the
 * table: copied when it is already the resized size, resized on the way in otherwise (resize-linear.ts).
 */
export function fillTensor(
  out: TensorData,
  table: TensorData,
  pixels: Uint8Array,
  width: number,
  height: number,
  g: LetterboxGeometry,
): void {
  const W = g.inputWidth;
  const H = g.inputHeight;
  const plane = W * H;
  const pad = table[PAD_VALUE]!;
  const rw = g.resizedWidth;
  const top = g.padTop;
  const bottom = top + g.resizedHeight;
  const left = g.padLeft;
  for (let c = 0; c < 3; c++) {
    const base = c * plane;
    out.fill(pad, base, base + top * W);
    out.fill(pad, base + bottom * W, base + plane);
    for (let y = top; y < bottom; y++) {
      const row = base + y * W;
      out.fill(pad, row, row + left);
      out.fill(pad, row + left + rw, row + W);
    }
  }
  if (width !== rw || height !== g.resizedHeight) {
    resizeLinearIntoTensor(pixels, width, height, out, table, g);
    return;
  }
  for (let y = top, s = 0; y < bottom; y++) {
    const start = y * W + left;
    for (let p = start; p < start + rw; p++, s += 3) {
      out[p] = table[pixels[s]!]!;
      out[p + plane] = table[pixels[s + 1]!]!;
      out[p + 2 * plane] = table[pixels[s + 2]!]!;
    }
  }
}
