/**
 * Where annotations go (pure): integer pixel rectangles for each box outline and each label, so the
 * drawing is exact (no half-pixel antialiasing outside them) and tests can tell painted from untouched.
 */
import type { Detection } from '@yolomq/protocol';
import { classColor, textColorOn } from './palette.js';

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface BoxMark {
  /** outer bounds of the outline; the line is drawn inside them */
  rect: Rect;
  lineWidth: number;
  color: string;
}

export interface LabelMark {
  /** the label's filled background; its text is clipped to it */
  rect: Rect;
  text: string;
  color: string;
  textColor: string;
  fontSize: number;
  /** text baseline, from the top of rect */
  baseline: number;
  padding: number;
}

export interface AnnotationLayout {
  width: number;
  height: number;
  boxes: BoxMark[];
  labels: LabelMark[];
}

/** Line width as Ultralytics picks it: 0.3% of the mean side, at least 2 px. */
export function lineWidthFor(width: number, height: number): number {
  return Math.max(Math.round(((width + height) / 2) * 0.003), 2);
}

export function fontSizeFor(width: number, height: number): number {
  return Math.max(12, Math.round(((width + height) / 2) * 0.02));
}

/** "person 0.87" */
export function labelText(detection: Detection): string {
  return `${detection.className || `class ${detection.classId}`} ${detection.score.toFixed(2)}`;
}

// DejaVu Sans (librsvg's usual sans-serif) averages about 0.6 em per character; 0.65 leaves room.
const CHAR_WIDTH_EM = 0.65;

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

/** Lays out boxes and labels for detections given in the image's own pixel coordinates. */
export function layoutAnnotations(detections: readonly Detection[], width: number, height: number): AnnotationLayout {
  const lineWidth = lineWidthFor(width, height);
  const fontSize = fontSizeFor(width, height);
  const padding = Math.max(2, Math.round(fontSize * 0.25));
  const labelHeight = Math.round(fontSize * 1.3);
  const boxes: BoxMark[] = [];
  const labels: LabelMark[] = [];
  // Drawn in rising score, so where labels overlap the most confident one ends up on top.
  const byScore = [...detections].sort((a, b) => a.score - b.score);
  for (const detection of byScore) {
    const { x1, y1, x2, y2 } = detection.box;
    const left = clamp(Math.floor(Math.min(x1, x2)), 0, width);
    const top = clamp(Math.floor(Math.min(y1, y2)), 0, height);
    const right = clamp(Math.ceil(Math.max(x1, x2)), 0, width);
    const bottom = clamp(Math.ceil(Math.max(y1, y2)), 0, height);
    if (right <= left || bottom <= top) continue;
    const color = classColor(detection.classId);
    boxes.push({ rect: { x: left, y: top, width: right - left, height: bottom - top }, lineWidth, color });

    const text = labelText(detection);
    const labelWidth = Math.min(width, Math.ceil(text.length * fontSize * CHAR_WIDTH_EM) + 2 * padding);
    const lh = Math.min(height, labelHeight);
    // Above the box when there is room (like Ultralytics), else just inside its top edge.
    const y = top - lh >= 0 ? top - lh : top;
    const x = clamp(left, 0, width - labelWidth);
    labels.push({
      rect: { x, y, width: labelWidth, height: lh },
      text,
      color,
      textColor: textColorOn(color),
      fontSize,
      baseline: Math.round(lh / 2 + fontSize * 0.35),
      padding,
    });
  }
  return { width, height, boxes, labels };
}
