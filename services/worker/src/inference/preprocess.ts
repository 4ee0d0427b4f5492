/**
 * Image bytes -> letterboxed model input, with sharp (libvips). One decode pipeline: EXIF
 * orientation, alpha dropped, any colour space (greyscale, CMYK, 16-bit, ...) to 8-bit sRGB, resize to
 * the letterboxed size; then the pixels are written into the NCHW tensor with the padding (tensor.ts).
 * The pixel limit is checked on the header before anything is decoded, and sharp's own
 * `limitInputPixels` guards the decode as well, so a decompression bomb is never expanded.
 */
import { ErrorCode } from '@yolomq/protocol';
import sharp, { type Metadata } from 'sharp';
import type { ModelInput } from '../model/spec.js';
import { type LetterboxGeometry, letterbox, orientedSize } from '../yolo/letterbox.js';
import { resizeLinearRgb } from './resize-linear.js';
import { allocateTensor, fillTensor, normalizeTable, type TensorData } from './tensor.js';

/** sharp's resize kernel; 'linear' is bilinear like OpenCV's INTER_LINEAR (see the README's accuracy notes). */
export type ResizeKernel =
  | 'nearest'
  | 'linear'
  | 'cubic'
  | 'mitchell'
  | 'lanczos2'
  | 'lanczos3'
  | 'mks2013'
  | 'mks2021';

export interface PreprocessFailure {
  ok: false;
  code: typeof ErrorCode.INVALID_IMAGE | typeof ErrorCode.IMAGE_TOO_LARGE;
  message: string;
}

export type PreprocessResult = { ok: true; geometry: LetterboxGeometry } | PreprocessFailure;

/** A decoded, resized image waiting to be written into the tensor. */
export interface DecodedImage {
  geometry: LetterboxGeometry;
  /** resizedWidth x resizedHeight RGB pixels, `stride` pixels a row */
  pixels: Uint8Array;
  stride: number;
}

export type DecodeResult = { ok: true; image: DecodedImage } | PreprocessFailure;

/**
 * How the decoded image is resized to the letterboxed size. 'opencv' (the default) reproduces
 * OpenCV's INTER_LINEAR, which Ultralytics' LetterBox uses: shrinking with libvips' bilinear affine
 * inside the decode pipeline, enlarging with resize-linear.ts. A sharp kernel name ('linear',
 * 'cubic', ...) uses sharp's resize instead (antialiased; kept for comparison in the eval script).
 */
export type ResizeMethod = 'opencv' | ResizeKernel;

export interface PreprocessOptions {
  maxPixels: number;
  resize?: ResizeMethod;
  /**
   * let libjpeg/libwebp decode at 1/2, 1/4 or 1/8 scale when the image is at least that much larger
   * than the letterboxed size (default true with 'opencv', false with a sharp kernel)
   */
  shrinkOnLoad?: boolean;
  /** images the tensor holds (the largest batch); default 1 */
  batch?: number;
}

export class Preprocessor {
  /** the model input tensor's data, room for `batch` images, rewritten for every batch */
  readonly tensor: TensorData;
  private readonly table: TensorData;
  /** elements of one image in the tensor */
  private readonly imageSize: number;

  constructor(
    readonly input: Omit<ModelInput, 'dynamicBatch'>,
    private readonly options: PreprocessOptions,
  ) {
    this.tensor = allocateTensor(input.type, input.width, input.height, options.batch ?? 1);
    this.imageSize = 3 * input.width * input.height;
    this.table = normalizeTable(input.type);
  }

  /** Decode + letterbox + tensor, in one go. */
  async prepare(image: Uint8Array): Promise<PreprocessResult> {
    const decoded = await this.decode(image);
    if (!decoded.ok) return decoded;
    this.fill(decoded.image);
    return { ok: true, geometry: decoded.image.geometry };
  }

  /** Writes a decoded image into the tensor, as image `index` of the batch (synchronous: right before session.run). */
  fill(decoded: DecodedImage, index = 0): void {
    const out = this.tensor.subarray(index * this.imageSize, (index + 1) * this.imageSize);
    fillTensor(out, this.table, decoded.pixels, decoded.geometry, decoded.stride);
  }

  /**
   * Reads the header, checks the pixel limit, decodes and resizes (libvips works on the libuv thread
   * pool, so this can overlap a session.run on the calling thread). Several decodes may be in flight:
   * nothing shared is written here.
   */
  async decode(image: Uint8Array): Promise<DecodeResult> {
    if (image.length === 0) return invalid('the image is empty (0 bytes)');
    const limit = this.options.maxPixels;
    let meta: Metadata;
    try {
      // header only (nothing is decoded here), so the size check below can name the real size
      meta = await sharp(image, { limitInputPixels: false }).metadata();
    } catch (error) {
      return classify(error);
    }
    const { width, height } = meta;
    if (!width || !height) return invalid(`the ${meta.format ?? 'image'} header gives no size`);
    if (width * height > limit) return tooLarge(width, height, limit);
    const oriented = orientedSize(width, height, meta.orientation);
    const g = letterbox(oriented.width, oriented.height, this.input.width, this.input.height);
    const method = this.options.resize ?? 'opencv';
    const W = g.resizedWidth;
    const H = g.resizedHeight;
    const sameSize = W === oriented.width && H === oriented.height;
    // Images at least twice the letterboxed size (in both directions) are decoded at 1/2, 1/4 or 1/8
    // scale straight from the JPEG/WebP data (libjpeg's DCT scaling, sharp's shrink-on-load), which
    // skips most of the decoding work; OpenCV's INTER_LINEAR then does the rest of the way.
    const factor = Math.min(oriented.width / W, oriented.height / H);
    const scalable = meta.format === 'jpeg' || meta.format === 'webp';
    const dctShrink =
      method === 'opencv' && scalable && (this.options.shrinkOnLoad ?? true) && factor >= 2
        ? factor >= 8
          ? 8
          : factor >= 4
            ? 4
            : 2
        : 1;
    let pixels: Uint8Array;
    let stride = W;
    let affine = false;
    try {
      let pipeline = sharp(image, { limitInputPixels: limit }).rotate().removeAlpha().toColourspace('srgb');
      if (dctShrink > 1) {
        const sw = Math.ceil(oriented.width / dctShrink);
        const sh = Math.ceil(oriented.height / dctShrink);
        // asking for exactly the shrink-on-load size leaves nothing for the kernel to do
        pipeline = pipeline.resize(sw, sh, { fit: 'fill', kernel: 'nearest', fastShrinkOnLoad: true });
      } else if (method === 'opencv' && !sameSize && W <= oriented.width && H <= oriented.height) {
        // Shrinking: libvips' affine transform with its bilinear interpolator, shifted so that output
        // pixel d samples input (d + 0.5) / scale - 0.5, is OpenCV's INTER_LINEAR (within one grey
        // level: only the fixed-point rounding differs), and it runs inside the decode pipeline.
        const sx = W / oriented.width;
        const sy = H / oriented.height;
        pipeline = pipeline.affine([sx, 0, 0, sy], {
          interpolator: 'bilinear',
          idx: 0.5 - 0.5 / sx,
          idy: 0.5 - 0.5 / sy,
        });
        affine = true;
      } else if (method !== 'opencv' && !sameSize) {
        pipeline = pipeline.resize(W, H, {
          fit: 'fill',
          kernel: method,
          fastShrinkOnLoad: this.options.shrinkOnLoad ?? false,
        });
      }
      const { data, info } = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
      if (info.channels !== 3) return invalid(`decoding gave ${info.channels} channels, not RGB`);
      if (info.width === W && info.height === H) {
        pixels = data;
      } else if (affine && info.width >= W && info.height >= H) {
        // the affine output can be a pixel larger than asked: take the top-left W x H
        pixels = data;
        stride = info.width;
      } else if (method === 'opencv' && !affine) {
        // Enlarging a small image, or the rest of the way after a shrink-on-load: OpenCV's arithmetic
        // in JS (it clamps at the edges as cv2 does)
        pixels = new Uint8Array(W * H * 3);
        resizeLinearRgb(data, info.width, info.height, pixels, W, H);
      } else {
        return invalid(`decoding gave ${info.width}x${info.height}, expected ${W}x${H}`);
      }
    } catch (error) {
      return classify(error);
    }
    return { ok: true, image: { geometry: g, pixels, stride } };
  }
}

function invalid(message: string): PreprocessFailure {
  return { ok: false, code: ErrorCode.INVALID_IMAGE, message };
}

function tooLarge(width: number, height: number, limit: number): PreprocessFailure {
  return {
    ok: false,
    code: ErrorCode.IMAGE_TOO_LARGE,
    message: `the image is ${width}x${height} = ${width * height} pixels, over the limit of ${limit}`,
  };
}

/** sharp's errors: the pixel limit is IMAGE_TOO_LARGE, anything else it cannot read is INVALID_IMAGE. */
function classify(error: unknown): PreprocessFailure {
  const text = String((error as Error)?.message ?? error)
    .split('\n')[0]!
    .slice(0, 300);
  if (/pixel limit/i.test(text)) {
    return { ok: false, code: ErrorCode.IMAGE_TOO_LARGE, message: `the image is over the pixel limit (${text})` };
  }
  return invalid(`the image cannot be decoded: ${text}`);
}
