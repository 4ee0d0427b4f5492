/**
 * Accuracy on the labelled COCO subset (../shared/coco-val), computed as Ultralytics' validator does
 * (conf 0.001, IoU 0.7, 300 detections, 101-point interpolated AP): yolov8n_int8 must reach
 * mAP@0.5 >= 0.72 and mAP@0.5:0.95 >= 0.55 through the worker's own pipeline. The other shared models
 * are measured and printed, with a floor well under their measured values to catch a broken pipeline.
 */
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDataset } from '../src/eval/dataset.js';
import { evaluate } from '../src/eval/evaluate.js';
import { Detector } from '../src/inference/detector.js';
import { COCO_DIR, sharedModels } from './paths.js';

const dataset = await readDataset(join(COCO_DIR, 'images'), join(COCO_DIR, 'labels'));

/** mAP floors: the bar for yolov8n_int8; for the others, about 0.05 under what they measure. */
const FLOORS: Record<string, [number, number]> = {
  'yolov8n_int8.onnx': [0.72, 0.55],
  'yolov10n_int8.onnx': [0.65, 0.5],
  'yolov5n_fp16.onnx': [0.57, 0.37],
};

describe('mAP on ../shared/coco-val', () => {
  it('has the labelled set', () => {
    expect(dataset.length).toBe(31);
    expect(readFileSync(join(COCO_DIR, 'names.txt'), 'utf8').trim().split('\n')).toHaveLength(80);
  });

  it.each(sharedModels())('%s', { timeout: 240_000 }, async (path) => {
    const detector = await Detector.load({
      modelPath: path,
      executionProvider: 'cpu',
      intraOpThreads: 2,
      maxPixels: 50_000_000,
    });
    try {
      const result = await evaluate(dataset, async (image, options) => {
        const r = await detector.detect(image, options);
        if (!r.ok) throw new Error(`${r.code}: ${r.message}`);
        return r;
      });
      const name = basename(path);
      console.log(
        `${name}: mAP@0.5 ${result.map50.toFixed(4)}  mAP@0.5:0.95 ${result.map5095.toFixed(4)}  (${result.images} images, ${result.labels} labels)`,
      );
      const floor = FLOORS[name];
      if (floor !== undefined) {
        expect(result.map50).toBeGreaterThanOrEqual(floor[0]);
        expect(result.map5095).toBeGreaterThanOrEqual(floor[1]);
      } else {
        expect(result.map50).toBeGreaterThan(0);
      }
    } finally {
      await detector.release();
    }
  });
});
