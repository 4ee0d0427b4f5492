/**
 * Which YOLO output layout a model has, from its output shape and its ONNX metadata. Pure.
 *
 *   yolov8   [1, 4+C, N]  cx, cy, w, h, then C class scores (YOLOv8, YOLO11, ...); needs NMS
 *   yolov5   [1, N, 5+C]  cx, cy, w, h, objectness, C class probabilities; needs NMS
 *   end2end  [1, K, 6]    x1, y1, x2, y2, score, class (YOLOv10, NMS-free); no NMS
 */

export type OutputLayout =
  | { kind: 'yolov8'; classes: number; candidates: number }
  | { kind: 'yolov5'; classes: number; candidates: number }
  | { kind: 'end2end'; classes: number | undefined; candidates: number };

/** What the ONNX metadata says about the head, where an Ultralytics export wrote it. */
export interface LayoutHints {
  /** metadata `end2end` ('True' / 'False'), when present */
  end2end?: boolean;
  /** metadata `task` ('detect', 'segment', ...), when present */
  task?: string;
  /** metadata `head` ('Detect', 'v10Detect', ...), when present */
  head?: string;
  /** how many class names the metadata lists, when it lists them */
  classCount?: number;
  /** the model input size, to tell a 1-class YOLOv5 [1, N, 6] from an end-to-end [1, K, 6] */
  inputWidth?: number;
  inputHeight?: number;
  /** how many outputs the model has */
  outputCount?: number;
}

export type LayoutResult = { ok: true; layout: OutputLayout } | { ok: false; message: string };

const EXPECTED =
  'expected one output of shape [1, 4+C, N] (YOLOv8/YOLO11), [1, N, 5+C] (YOLOv5) or [1, K, 6] (YOLOv10 end-to-end)';

/** How many anchors a YOLOv5 head has at this input size: 3 per cell at strides 8, 16 and 32. */
export function yolov5AnchorCount(width: number, height: number): number {
  let cells = 0;
  for (const stride of [8, 16, 32]) cells += Math.ceil(width / stride) * Math.ceil(height / stride);
  return 3 * cells;
}

export function detectLayout(shape: readonly number[], hints: LayoutHints = {}): LayoutResult {
  const fail = (why: string): LayoutResult => ({
    ok: false,
    message: `unsupported model output: ${why}; ${EXPECTED}`,
  });
  if (hints.task !== undefined && hints.task !== 'detect') {
    return fail(`the model's metadata says task=${JSON.stringify(hints.task)}, only 'detect' is served`);
  }
  if (hints.outputCount !== undefined && hints.outputCount !== 1) {
    return fail(`the model has ${hints.outputCount} outputs`);
  }
  const text = `[${shape.join(', ')}]`;
  if (shape.length !== 3 || shape.some((d) => !Number.isInteger(d) || d < 1)) return fail(`shape ${text}`);
  if (shape[0] !== 1) return fail(`shape ${text} has batch ${shape[0]}, only batch 1 is supported`);
  const a = shape[1]!;
  const b = shape[2]!;

  const end2endByMeta = hints.end2end === true || (hints.head !== undefined && /v10/i.test(hints.head));
  if (end2endByMeta) {
    if (b !== 6) return fail(`metadata says end-to-end but the shape is ${text}`);
    return { ok: true, layout: { kind: 'end2end', classes: hints.classCount, candidates: a } };
  }
  if (b === 6 && hints.end2end === undefined) {
    // [1, N, 6] is either YOLOv10 end-to-end or a one-class YOLOv5: a YOLOv5 head has a known anchor count.
    const v5 =
      hints.inputWidth !== undefined &&
      hints.inputHeight !== undefined &&
      a === yolov5AnchorCount(hints.inputWidth, hints.inputHeight);
    if (!v5) return { ok: true, layout: { kind: 'end2end', classes: hints.classCount, candidates: a } };
  }
  let layout: OutputLayout;
  if (a < b) {
    if (a < 5) return fail(`shape ${text} leaves no class scores`);
    layout = { kind: 'yolov8', classes: a - 4, candidates: b };
  } else {
    if (b < 6) return fail(`shape ${text}`);
    layout = { kind: 'yolov5', classes: b - 5, candidates: a };
  }
  if (hints.classCount !== undefined && hints.classCount !== layout.classes) {
    return fail(
      `shape ${text} reads as ${layout.kind} with ${layout.classes} classes, but the metadata names ${hints.classCount}`,
    );
  }
  return { ok: true, layout };
}
