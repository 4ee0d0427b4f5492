/**
 * From a raw output tensor to detections in source-image pixels: decode the layout, class-aware NMS
 * (skipped for end-to-end models), cap at maxDetections, map boxes back through the letterbox and
 * clip them. Objects are made only for the kept detections.
 */
import type { Detection } from '@yolomq/protocol';
import { Candidates } from './candidates.js';
import { DecodeScratch, decodeOutput, type OutputData } from './decoders.js';
import type { OutputLayout } from './layout.js';
import { type LetterboxGeometry, unletterboxBoxes } from './letterbox.js';
import { nms, sortByScore } from './nms.js';

export interface PostprocessParams {
  conf: number;
  iou: number;
  maxDetections: number;
  /** allowed[c] !== 0 keeps class c; undefined keeps every class */
  allowed: Uint8Array | undefined;
}

/** Reusable buffers for one thread's postprocessing. */
export class Postprocessor {
  private readonly candidates = new Candidates(1024);
  private readonly scratch = new DecodeScratch();
  private kept = new Float32Array(4 * 300);

  constructor(
    private readonly layout: OutputLayout,
    private readonly classNames: readonly string[],
    /** fp16 -> fp32 table when the output is float16 */
    private readonly half: Float32Array | undefined,
  ) {}

  run(output: OutputData, geometry: LetterboxGeometry, params: PostprocessParams): Detection[] {
    const c = this.candidates;
    decodeOutput(this.layout, output, this.half, params, this.scratch, c);
    const order =
      this.layout.kind === 'end2end'
        ? Array.from(sortByScore(c).subarray(0, params.maxDetections))
        : nms(c, params.iou, params.maxDetections);
    const n = order.length;
    if (this.kept.length < n * 4) this.kept = new Float32Array(n * 4);
    const boxes = this.kept;
    for (let j = 0; j < n; j++) {
      const k = order[j]! * 4;
      boxes[j * 4] = c.boxes[k]!;
      boxes[j * 4 + 1] = c.boxes[k + 1]!;
      boxes[j * 4 + 2] = c.boxes[k + 2]!;
      boxes[j * 4 + 3] = c.boxes[k + 3]!;
    }
    unletterboxBoxes(boxes, n, geometry);
    const detections: Detection[] = new Array(n);
    for (let j = 0; j < n; j++) {
      const i = order[j]!;
      const classId = c.classes[i]!;
      detections[j] = {
        classId,
        className: this.classNames[classId] ?? `class_${classId}`,
        score: round(c.scores[i]!, 1e5),
        box: {
          x1: round(boxes[j * 4]!, 100),
          y1: round(boxes[j * 4 + 1]!, 100),
          x2: round(boxes[j * 4 + 2]!, 100),
          y2: round(boxes[j * 4 + 3]!, 100),
        },
      };
    }
    return detections;
  }
}

function round(value: number, factor: number): number {
  return Math.round(value * factor) / factor;
}
