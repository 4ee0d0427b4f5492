/**
 * Image bytes -> letterboxed model input. Decoding with sharp (libvips): EXIF orientation, alpha
 * dropped, any colour space (greyscale, CMYK, 16-bit, ...) to 8-bit RGB; then the pixels are resized
 * and written into the NCHW tensor with the padding in one pass (tensor.ts, resize-linear.ts).
 * An embedded ICC profile is not applied: the model sees the stored pixel values, as with cv2.imread
 * (which ignores profiles) in the pipelines YOLO models are trained and validated with. (Applying it is
 * sharp's default; on bus.jpg it moves pixels by up to 61 levels and takes as long as the decode.)
 * The pixel limit is sharp's own `limitInputPixels`, checked on the header before anything is decoded,
 * so a decompression bomb is never expanded.
 */
import { ErrorCode } from '@yolomq/protocol';
import sharp from 'sharp';
import type { ModelInput } from '../model/spec.js';
import { type LetterboxGeometry, letterbox, orientedSize } from '../yolo/letterbox.js';
import { allocateTensor, fillTensor, normalizeTable, type TensorData } from './tensor.js';

/** sharp's resize kernels: antialiased when shrinking, so not OpenCV's INTER_LINEAR (see the README's accuracy notes). */
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

/** A decoded image waiting to be letterboxed into the tensor. */
export interface DecodedImage {
  geometry: LetterboxGeometry;
  /** width x height RGB pixels: the oriented image, or already the resized size (a sharp kernel) */
  pixels: Uint8Array;
  width: number;
  height: number;
}

export type DecodeResult = { ok: true; image: DecodedImage } | PreprocessFailure;

/**
 * How the decoded image is resized to the letterboxed size. 'opencv' (the default) reproduces
 * OpenCV's INTER_LINEAR, which Ultralytics' LetterBox uses (resize-linear.ts, on the way into the
 * tensor). A sharp kernel name ('linear', 'cubic', ...) uses sharp's resize inside the decode instead
 * (antialiased; kept for comparison in the eval script).
 */
export type ResizeMethod = 'opencv' | ResizeKernel;

export interface PreprocessOptions {
  maxPixels: number;
  resize?: ResizeMethod;
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

  /**
   * Letterboxes a decoded image into the tensor, as image `index` of the batch (synchronous: right
   * before session.run).
   */
  fill(decoded: DecodedImage, index = 0): void {
    const out = this.tensor.subarray(index * this.imageSize, (index + 1) * this.imageSize);
    fillTensor(out, this.table, decoded.pixels, decoded.width, decoded.height, decoded.geometry);
  }

  /**
   * Decodes: EXIF orientation applied, 8-bit RGB out (libvips works on the libuv thread pool, so this
   * can overlap a session.run on the calling thread). sharp's `limitInputPixels` refuses an image over
   * the pixel limit from its header, before anything is decoded. Several decodes may be in flight:
   * nothing shared is written here.
   */
  async decode(image: Uint8Array): Promise<DecodeResult> {
    if (image.length === 0) return invalid('the image is empty (0 bytes)');
    const limit = this.options.maxPixels;
    const method = this.options.resize ?? 'opencv';
    try {
      let pipeline = sharp(image, { limitInputPixels: limit })
        .rotate()
        .removeAlpha()
        .toColourspace('srgb')
        .keepIccProfile();
      let geometry: LetterboxGeometry | undefined;
      if (method !== 'opencv') {
        // a sharp kernel resizes inside the decode, so the letterbox comes from the header first
        const meta = await sharp(image, { limitInputPixels: false }).metadata();
        if (!meta.width || !meta.height) return invalid(`the ${meta.format ?? 'image'} header gives no size`);
        const oriented = orientedSize(meta.width, meta.height, meta.orientation);
        geometry = letterbox(oriented.width, oriented.height, this.input.width, this.input.height);
        pipeline = pipeline.resize(geometry.resizedWidth, geometry.resizedHeight, {
          fit: 'fill',
          kernel: method,
          fastShrinkOnLoad: false,
        });
      }
      const { data, info } = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
      if (info.channels !== 3) return invalid(`decoding gave ${info.channels} channels, not RGB`);
      geometry ??= letterbox(info.width, info.height, this.input.width, this.input.height);
      return { ok: true, image: { geometry, pixels: data, width: info.width, height: info.height } };
    } catch (error) {
      return failure(image, error, limit);
    }
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

/**
 * sharp's errors: the pixel limit is IMAGE_TOO_LARGE (its size read from the header, to name it),
 * anything else it cannot read is INVALID_IMAGE.
 */
async function failure(image: Uint8Array, error: unknown, limit: number): Promise<PreprocessFailure> {
  const text = String((error as Error)?.message ?? error)
    .split('\n')[0]!
    .slice(0, 300);
  if (!/pixel limit/i.test(text)) return invalid(`the image cannot be decoded: ${text}`);
  const meta = await sharp(image, { limitInputPixels: false })
    .metadata()
    .catch(() => undefined);
  if (meta?.width && meta.height) return tooLarge(meta.width, meta.height, limit);
  return { ok: false, code: ErrorCode.IMAGE_TOO_LARGE, message: `the image is over the pixel limit (${text})` };
}
