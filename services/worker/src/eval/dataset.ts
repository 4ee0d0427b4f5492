/**
 * A YOLO-format labelled image set: images/NAME.ext beside labels/NAME.txt, one object a line,
 * `class cx cy w h` normalised to the image's width and height. An image without a label file has no
 * objects (as in Ultralytics).
 */
import { readdir, readFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import type { EvalBox } from './map.js';

const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.bmp', '.tif', '.tiff', '.gif', '.avif']);

export interface LabelledImage {
  path: string;
  /** label lines as read, normalised; converted to pixels once the image size is known */
  labels: Array<{ classId: number; cx: number; cy: number; w: number; h: number }>;
}

export async function readDataset(imagesDir: string, labelsDir: string): Promise<LabelledImage[]> {
  const files = (await readdir(imagesDir)).filter((f) => IMAGE_EXTENSIONS.has(extname(f).toLowerCase())).sort();
  const out: LabelledImage[] = [];
  for (const file of files) {
    const labelPath = join(labelsDir, `${basename(file, extname(file))}.txt`);
    const text = await readFile(labelPath, 'utf8').catch(() => '');
    out.push({ path: join(imagesDir, file), labels: parseLabels(text, labelPath) });
  }
  return out;
}

export function parseLabels(text: string, where = 'labels'): LabelledImage['labels'] {
  const labels: LabelledImage['labels'] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const parts = line.trim().split(/\s+/).filter(Boolean);
    if (parts.length === 0) return;
    const values = parts.slice(0, 5).map(Number);
    if (parts.length < 5 || values.some((v) => !Number.isFinite(v))) {
      throw new Error(`${where}:${i + 1}: expected "class cx cy w h", got ${JSON.stringify(line.slice(0, 80))}`);
    }
    const [classId, cx, cy, w, h] = values as [number, number, number, number, number];
    labels.push({ classId, cx, cy, w, h });
  });
  return labels;
}

/** Normalised centre boxes -> pixel corner boxes for an image of this size. */
export function labelsToPixels(labels: LabelledImage['labels'], width: number, height: number): EvalBox[] {
  return labels.map((l) => ({
    classId: l.classId,
    x1: (l.cx - l.w / 2) * width,
    y1: (l.cy - l.h / 2) * height,
    x2: (l.cx + l.w / 2) * width,
    y2: (l.cy + l.h / 2) * height,
  }));
}
