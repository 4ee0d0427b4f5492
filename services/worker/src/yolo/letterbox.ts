/**
 * Letterbox geometry, exactly as Ultralytics' `LetterBox` computes it for inference (`auto=False`,
 * `center=True`, `scaleup=True`): scale to fit keeping the aspect ratio, resize to the rounded size,
 * pad the rest with grey, split as `round(d - 0.1)` before and `round(d + 0.1)` after. Python's round is
 * half-to-even, so this module rounds the same way. Pure functions over plain numbers.
 */

export interface LetterboxGeometry {
  /** the source image, after EXIF orientation */
  sourceWidth: number;
  sourceHeight: number;
  /** the model input */
  inputWidth: number;
  inputHeight: number;
  /** input pixels per source pixel (the same on both axes) */
  scale: number;
  /** the resized image inside the input, before padding */
  resizedWidth: number;
  resizedHeight: number;
  padLeft: number;
  padTop: number;
  padRight: number;
  padBottom: number;
}

/** Python 3's round(): to the nearest integer, ties to even. */
export function pythonRound(value: number): number {
  const floor = Math.floor(value);
  const diff = value - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

export function letterbox(
  sourceWidth: number,
  sourceHeight: number,
  inputWidth: number,
  inputHeight: number,
): LetterboxGeometry {
  const scale = Math.min(inputHeight / sourceHeight, inputWidth / sourceWidth);
  // An extreme aspect ratio can round one side to 0; Ultralytics would fail there, we keep one pixel.
  const resizedWidth = Math.min(inputWidth, Math.max(1, pythonRound(sourceWidth * scale)));
  const resizedHeight = Math.min(inputHeight, Math.max(1, pythonRound(sourceHeight * scale)));
  const dw = (inputWidth - resizedWidth) / 2;
  const dh = (inputHeight - resizedHeight) / 2;
  const padTop = pythonRound(dh - 0.1);
  const padLeft = pythonRound(dw - 0.1);
  return {
    sourceWidth,
    sourceHeight,
    inputWidth,
    inputHeight,
    scale,
    resizedWidth,
    resizedHeight,
    padLeft,
    padTop,
    padRight: inputWidth - resizedWidth - padLeft,
    padBottom: inputHeight - resizedHeight - padTop,
  };
}

/**
 * Maps boxes (x1, y1, x2, y2 in model-input pixels, 4 floats per box) back to source-image pixels
 * and clips them to the image, in place: Ultralytics' `scale_boxes` then `clip_boxes`.
 */
export function unletterboxBoxes(boxes: Float32Array, count: number, g: LetterboxGeometry): void {
  const inv = 1 / g.scale;
  const w = g.sourceWidth;
  const h = g.sourceHeight;
  for (let i = 0, k = 0; i < count; i++, k += 4) {
    boxes[k] = clamp((boxes[k]! - g.padLeft) * inv, w);
    boxes[k + 1] = clamp((boxes[k + 1]! - g.padTop) * inv, h);
    boxes[k + 2] = clamp((boxes[k + 2]! - g.padLeft) * inv, w);
    boxes[k + 3] = clamp((boxes[k + 3]! - g.padTop) * inv, h);
  }
}

function clamp(value: number, max: number): number {
  return Math.min(max, Math.max(0, value));
}

/** Size of an image once its EXIF orientation (1..8) is applied: 5..8 swap width and height. */
export function orientedSize(width: number, height: number, orientation: number | undefined) {
  return orientation !== undefined && orientation >= 5 && orientation <= 8
    ? { width: height, height: width }
    : { width, height };
}
