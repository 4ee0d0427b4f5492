/**
 * Draws detections onto an image (sharp: decode, composite one SVG overlay, encode). The output has the
 * input's size (after EXIF orientation, the frame the worker's boxes are in) and format.
 */
import type { Detection } from '@yolomq/protocol';
import sharp from 'sharp';
import { layoutAnnotations } from './layout.js';
import { annotationSvg } from './svg.js';

export type AnnotatedFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'tiff' | 'avif';

export interface AnnotatedImage {
  data: Buffer;
  format: AnnotatedFormat;
  width: number;
  height: number;
}

/** What annotate needs from a result: its detections and the image size its boxes refer to. */
export interface BoxesToDraw {
  detections: readonly Detection[];
  width?: number;
  height?: number;
}

export class AnnotateError extends Error {
  override readonly name = 'AnnotateError';
}

function outputFormat(format: string | undefined, compression: string | undefined): AnnotatedFormat | undefined {
  switch (format) {
    case 'jpeg':
    case 'png':
    case 'webp':
    case 'gif':
    case 'tiff':
      return format;
    case 'heif':
      return compression === 'av1' ? 'avif' : undefined;
    default:
      return undefined;
  }
}

/** Boxes come in the result's frame; when it differs from the decoded image's, scale them into it. */
function scaled(detections: readonly Detection[], from: { w: number; h: number }, to: { w: number; h: number }) {
  if (from.w === to.w && from.h === to.h) return detections;
  const sx = to.w / from.w;
  const sy = to.h / from.h;
  return detections.map((d) => ({
    ...d,
    box: { x1: d.box.x1 * sx, y1: d.box.y1 * sy, x2: d.box.x2 * sx, y2: d.box.y2 * sy },
  }));
}

export async function annotateImage(input: Buffer, boxes: BoxesToDraw): Promise<AnnotatedImage> {
  const meta = await sharp(input)
    .metadata()
    .catch((err: Error) => {
      throw new AnnotateError(`cannot decode the image: ${err.message}`);
    });
  const format = outputFormat(meta.format, meta.compression);
  if (format === undefined) throw new AnnotateError(`cannot write annotated images as ${meta.format ?? 'unknown'}`);
  if (!meta.width || !meta.height) throw new AnnotateError('the image has no size');
  // Orientations 5..8 swap width and height once applied.
  const swapped = (meta.orientation ?? 1) >= 5;
  const width = swapped ? meta.height : meta.width;
  const height = swapped ? meta.width : meta.height;
  const from = { w: boxes.width || width, h: boxes.height || height };
  const layout = layoutAnnotations(scaled(boxes.detections, from, { w: width, h: height }), width, height);

  let pipeline = sharp(input, { animated: false }).rotate();
  if (layout.boxes.length > 0) {
    // Compositing adds an alpha channel. An image that had none must not gain one (a PNG would grow by a
    // third and no longer match its input's layout), so composite to raw pixels and drop alpha from those.
    const drawn = await pipeline
      .composite([{ input: Buffer.from(annotationSvg(layout)), left: 0, top: 0 }])
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    const { width: w, height: h, channels } = drawn.info;
    pipeline = sharp(drawn.data, { raw: { width: w, height: h, channels } });
    if (!meta.hasAlpha && channels === 4) pipeline = pipeline.removeAlpha();
  }
  switch (format) {
    case 'jpeg':
      pipeline = pipeline.jpeg({ quality: 92 });
      break;
    case 'webp':
      pipeline = pipeline.webp({ quality: 92 });
      break;
    case 'avif':
      pipeline = pipeline.avif({ quality: 70 });
      break;
    default:
      pipeline = pipeline.toFormat(format);
  }
  const { data, info } = await pipeline.toBuffer({ resolveWithObject: true });
  return { data, format, width: info.width, height: info.height };
}
