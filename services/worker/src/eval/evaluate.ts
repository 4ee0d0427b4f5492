/**
 * Runs a labelled set through a detect function (the in-process pipeline or a broker) and computes
 * mAP. Accuracy settings are Ultralytics' validation defaults: conf 0.001, IoU 0.7, 300 detections.
 */
import { readFile } from 'node:fs/promises';
import type { DetectionResult, DetectOptions } from '@yolomq/protocol';
import { type LabelledImage, labelsToPixels } from './dataset.js';
import { type MapResult, type MatchedPrediction, matchPredictions, meanAveragePrecision } from './map.js';

export const EVAL_OPTIONS: DetectOptions = Object.freeze({ conf: 0.001, iou: 0.7, maxDetections: 300 });

export type DetectFn = (
  image: Buffer,
  options: DetectOptions,
) => Promise<Pick<DetectionResult, 'width' | 'height' | 'detections'>>;

export async function evaluate(
  dataset: readonly LabelledImage[],
  detect: DetectFn,
  concurrency = 1,
): Promise<MapResult> {
  const matched: MatchedPrediction[][] = new Array(dataset.length);
  const labelClasses: number[][] = new Array(dataset.length);
  let next = 0;
  const runOne = async () => {
    for (;;) {
      const i = next++;
      if (i >= dataset.length) return;
      const item = dataset[i]!;
      const result = await detect(await readFile(item.path), EVAL_OPTIONS);
      const labels = labelsToPixels(item.labels, result.width, result.height);
      const predictions = result.detections.map((d) => ({ classId: d.classId, score: d.score, ...d.box }));
      matched[i] = matchPredictions(predictions, labels);
      labelClasses[i] = labels.map((l) => l.classId);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, runOne));
  return meanAveragePrecision(matched.flat(), labelClasses.flat(), dataset.length);
}
