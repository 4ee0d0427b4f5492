/** The pure YOLO core: letterbox geometry and box mapping, layout detection, the three decoders, NMS, parameters. */
import { describe, expect, it } from 'vitest';
import { float16Table, toFloat16Bits } from '../src/model/float16.js';
import {
  Candidates,
  COCO80,
  DecodeScratch,
  decodeOutput,
  detectLayout,
  letterbox,
  nms,
  orientedSize,
  Postprocessor,
  pythonRound,
  resolveParams,
  unletterboxBoxes,
  yolov5AnchorCount,
} from '../src/yolo/index.js';

describe('letterbox geometry (Ultralytics LetterBox, auto=False)', () => {
  it('rounds like Python: half to even', () => {
    expect([0.5, 1.5, 2.5, -0.5, 2.4, 2.6].map(pythonRound)).toEqual([0, 2, 2, 0, 2, 3]);
  });

  it('fits a portrait photo (bus.jpg 810x1080) into 640x640', () => {
    const g = letterbox(810, 1080, 640, 640);
    expect(g.scale).toBeCloseTo(640 / 1080, 12);
    expect([g.resizedWidth, g.resizedHeight]).toEqual([480, 640]);
    expect([g.padLeft, g.padRight, g.padTop, g.padBottom]).toEqual([80, 80, 0, 0]);
  });

  it('fits a landscape photo (zidane.jpg 1280x720)', () => {
    const g = letterbox(1280, 720, 640, 640);
    expect([g.resizedWidth, g.resizedHeight, g.padTop, g.padBottom, g.padLeft]).toEqual([640, 360, 140, 140, 0]);
  });

  it('splits an odd padding as round(d - 0.1) before and the rest after', () => {
    // 641x479 -> scale 640/641, 639.0016 -> 639 wide... rather: 100x33 into 64x64: 64 x 21.12 -> 21, pad 43
    const g = letterbox(100, 33, 64, 64);
    expect([g.resizedWidth, g.resizedHeight]).toEqual([64, 21]);
    expect([g.padTop, g.padBottom]).toEqual([21, 22]);
    const odd = letterbox(641, 479, 320, 320);
    expect(odd.resizedWidth).toBe(320);
    expect(odd.resizedHeight).toBe(pythonRound(479 * (320 / 641)));
    expect(odd.padTop + odd.resizedHeight + odd.padBottom).toBe(320);
  });

  it('handles non-square inputs and upscaling of small images', () => {
    const g = letterbox(100, 50, 640, 384);
    expect(g.scale).toBeCloseTo(6.4, 12);
    expect([g.resizedWidth, g.resizedHeight, g.padTop, g.padBottom, g.padLeft, g.padRight]).toEqual([
      640, 320, 32, 32, 0, 0,
    ]);
  });

  it('keeps at least one pixel for extreme aspect ratios', () => {
    const g = letterbox(10_000, 1, 640, 640);
    expect(g.resizedHeight).toBe(1);
    expect(g.padTop + 1 + g.padBottom).toBe(640);
  });

  it('maps boxes back to source pixels and clips them to the image', () => {
    const g = letterbox(810, 1080, 640, 640);
    // a box covering the whole resized area, and one spilling over the padding
    const boxes = new Float32Array([80, 0, 560, 640, 0, -10, 700, 700]);
    unletterboxBoxes(boxes, 2, g);
    expect(Array.from(boxes.subarray(0, 4)).map((v) => Math.round(v))).toEqual([0, 0, 810, 1080]);
    expect(Array.from(boxes.subarray(4)).map((v) => Math.round(v))).toEqual([0, 0, 810, 1080]);
    const inner = new Float32Array([320 - 48, 320 - 48, 320 + 48, 320 + 48]);
    unletterboxBoxes(inner, 1, g);
    expect(inner[0]).toBeCloseTo((272 - 80) * (1080 / 640), 3);
    expect(inner[3]).toBeCloseTo(368 * (1080 / 640), 3);
  });

  it('swaps width and height for EXIF orientations 5..8', () => {
    expect(orientedSize(4, 3, 6)).toEqual({ width: 3, height: 4 });
    expect(orientedSize(4, 3, 3)).toEqual({ width: 4, height: 3 });
    expect(orientedSize(4, 3, undefined)).toEqual({ width: 4, height: 3 });
  });
});

describe('layout detection', () => {
  it('reads the three supported layouts', () => {
    expect(detectLayout([1, 84, 8400])).toEqual({
      ok: true,
      layout: { kind: 'yolov8', classes: 80, candidates: 8400 },
    });
    expect(detectLayout([1, 25200, 85])).toEqual({
      ok: true,
      layout: { kind: 'yolov5', classes: 80, candidates: 25200 },
    });
    expect(detectLayout([1, 300, 6], { end2end: true, classCount: 80 })).toEqual({
      ok: true,
      layout: { kind: 'end2end', classes: 80, candidates: 300 },
    });
    expect(detectLayout([1, 300, 6])).toMatchObject({ ok: true, layout: { kind: 'end2end' } });
  });

  it('works at other input sizes', () => {
    expect(detectLayout([1, 84, 2100])).toMatchObject({ ok: true, layout: { kind: 'yolov8', candidates: 2100 } });
    expect(detectLayout([1, 6, 33600])).toMatchObject({ ok: true, layout: { kind: 'yolov8', classes: 2 } });
    expect(yolov5AnchorCount(640, 640)).toBe(25200);
    expect(yolov5AnchorCount(320, 320)).toBe(6300);
  });

  it('tells a one-class YOLOv5 [1, N, 6] from an end-to-end head by the anchor count', () => {
    expect(detectLayout([1, 25200, 6], { inputWidth: 640, inputHeight: 640 })).toMatchObject({
      ok: true,
      layout: { kind: 'yolov5', classes: 1 },
    });
    expect(detectLayout([1, 300, 6], { inputWidth: 640, inputHeight: 640 })).toMatchObject({
      layout: { kind: 'end2end' },
    });
    expect(detectLayout([1, 25200, 6], { end2end: false })).toMatchObject({ layout: { kind: 'yolov5' } });
  });

  it('refuses anything else with a clear message', () => {
    for (const [shape, hints, text] of [
      [[1, 84], {}, 'shape [1, 84]'],
      [[2, 84, 8400], {}, 'batch 2'],
      [[1, 116, 8400], { task: 'segment' }, 'task="segment"'],
      [[1, 84, 8400], { outputCount: 2 }, '2 outputs'],
      [[1, 84, 8400], { classCount: 2 }, 'metadata names 2'],
      [[1, 8400, 4], {}, 'shape [1, 8400, 4]'],
      [[1, 300, 7], { end2end: true }, 'end-to-end'],
    ] as const) {
      const r = detectLayout(shape as unknown as number[], hints);
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.message).toContain(text);
        expect(r.message).toContain('expected one output of shape');
      }
    }
  });
});

/** A [1, 4+C, N] tensor with the given candidates (anchor-major input, written channel-major). */
function v8Tensor(
  classes: number,
  n: number,
  rows: Array<{ i: number; box: number[]; scores: Record<number, number> }>,
) {
  const data = new Float32Array((4 + classes) * n);
  for (const { i, box, scores } of rows) {
    box.forEach((v, k) => {
      data[k * n + i] = v;
    });
    for (const [c, s] of Object.entries(scores)) data[(4 + Number(c)) * n + i] = s;
  }
  return data;
}

const ALL = { conf: 0.25, allowed: undefined };

describe('decoders', () => {
  it('YOLOv8: arg-max class, strict threshold, centre to corners', () => {
    const data = v8Tensor(3, 5, [
      { i: 1, box: [100, 100, 20, 40], scores: { 0: 0.1, 2: 0.9 } },
      { i: 3, box: [50, 60, 10, 10], scores: { 1: 0.25 } }, // not strictly above 0.25
      { i: 4, box: [10, 10, 4, 4], scores: { 0: 0.5, 1: 0.6 } },
    ]);
    const out = new Candidates(1);
    decodeOutput({ kind: 'yolov8', classes: 3, candidates: 5 }, data, undefined, ALL, new DecodeScratch(), out);
    expect(out.count).toBe(2);
    expect(Array.from(out.boxes.subarray(0, 4))).toEqual([90, 80, 110, 120]);
    expect(out.classes[0]).toBe(2);
    expect(out.scores[0]).toBeCloseTo(0.9);
    expect(out.classes[1]).toBe(1);
  });

  it('YOLOv8: the class filter applies to the arg-max class (as Ultralytics)', () => {
    const data = v8Tensor(2, 2, [
      { i: 0, box: [10, 10, 2, 2], scores: { 0: 0.9, 1: 0.8 } },
      { i: 1, box: [20, 20, 2, 2], scores: { 1: 0.7 } },
    ]);
    const out = new Candidates();
    const allowed = new Uint8Array([0, 1]);
    decodeOutput(
      { kind: 'yolov8', classes: 2, candidates: 2 },
      data,
      undefined,
      { conf: 0.25, allowed },
      new DecodeScratch(),
      out,
    );
    expect(out.count).toBe(1);
    expect(out.classes[0]).toBe(1);
    expect(out.boxes[0]).toBe(19);
  });

  it('YOLOv5: confidence is objectness x class probability', () => {
    const classes = 2;
    const data = new Float32Array(3 * (5 + classes));
    data.set([100, 50, 10, 20, 0.9, 0.5, 0.8], 0); // 0.72 class 1
    data.set([10, 10, 4, 4, 0.2, 1, 0], 7); // objectness below conf
    data.set([30, 30, 4, 4, 0.5, 0.4, 0.3], 14); // 0.2: below conf
    const out = new Candidates();
    decodeOutput({ kind: 'yolov5', classes, candidates: 3 }, data, undefined, ALL, new DecodeScratch(), out);
    expect(out.count).toBe(1);
    expect(out.classes[0]).toBe(1);
    expect(out.scores[0]).toBeCloseTo(0.72, 6);
    expect(Array.from(out.boxes.subarray(0, 4))).toEqual([95, 40, 105, 60]);
  });

  it('YOLOv5 in float16, read through the table', () => {
    const values = [100, 50, 10, 20, 0.9, 0.5, 0.8];
    const data = new Uint16Array(values.map(toFloat16Bits));
    const out = new Candidates();
    decodeOutput({ kind: 'yolov5', classes: 2, candidates: 1 }, data, float16Table(), ALL, new DecodeScratch(), out);
    expect(out.count).toBe(1);
    expect(out.scores[0]).toBeCloseTo(0.72, 2);
    expect(out.boxes[2]).toBe(105);
  });

  it('end-to-end: corner boxes, score and class as they are', () => {
    const data = new Float32Array([10, 20, 30, 40, 0.8, 5, 1, 2, 3, 4, 0.1, 7, 5, 5, 9, 9, 0.5, 2]);
    const out = new Candidates();
    decodeOutput({ kind: 'end2end', classes: 80, candidates: 3 }, data, undefined, ALL, new DecodeScratch(), out);
    expect(out.count).toBe(2);
    expect(Array.from(out.boxes.subarray(0, 4))).toEqual([10, 20, 30, 40]);
    expect([out.classes[0], out.classes[1]]).toEqual([5, 2]);
  });

  it('grows its buffers past the initial capacity', () => {
    const n = 5000;
    const data = new Float32Array(5 * n);
    for (let i = 0; i < n; i++) {
      data[i] = i;
      data[n + i] = i;
      data[2 * n + i] = 1;
      data[3 * n + i] = 1;
      data[4 * n + i] = 0.5;
    }
    const out = new Candidates(4);
    decodeOutput({ kind: 'yolov8', classes: 1, candidates: n }, data, undefined, ALL, new DecodeScratch(), out);
    expect(out.count).toBe(n);
    expect(out.boxes[4 * (n - 1)]).toBe(n - 1 - 0.5);
  });
});

function candidates(rows: Array<[number, number, number, number, number, number]>): Candidates {
  const c = new Candidates(2);
  for (const [x1, y1, x2, y2, s, cls] of rows) c.pushCorners(x1, y1, x2, y2, s, cls);
  return c;
}

describe('NMS', () => {
  it('suppresses same-class overlaps above the IoU threshold, best first', () => {
    const c = candidates([
      [0, 0, 10, 10, 0.6, 0],
      [1, 1, 11, 11, 0.9, 0], // IoU with the first 0.68
      [50, 50, 60, 60, 0.5, 0],
    ]);
    expect(nms(c, 0.5, 300)).toEqual([1, 2]);
    expect(nms(c, 0.7, 300)).toEqual([1, 0, 2]);
  });

  it('is class-aware', () => {
    const c = candidates([
      [0, 0, 10, 10, 0.9, 0],
      [0, 0, 10, 10, 0.8, 1],
    ]);
    expect(nms(c, 0.5, 300)).toEqual([0, 1]);
  });

  it('suppresses only strictly above the threshold', () => {
    // IoU exactly 0.5: [0,0,10,10] and [0,0,10,5]... area 50 / union 100
    const c = candidates([
      [0, 0, 10, 10, 0.9, 0],
      [0, 0, 10, 5, 0.8, 0],
    ]);
    expect(nms(c, 0.5, 300)).toEqual([0, 1]);
    expect(nms(c, 0.49, 300)).toEqual([0]);
  });

  it('stops at maxDetections', () => {
    const c = candidates(
      Array.from(
        { length: 50 },
        (_, i) => [i * 20, 0, i * 20 + 10, 10, 1 - i / 100, 0] as [number, number, number, number, number, number],
      ),
    );
    expect(nms(c, 0.5, 7)).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });
});

describe('postprocess and request parameters', () => {
  it('decodes, runs NMS and maps to source pixels with class names', () => {
    const data = v8Tensor(80, 3, [
      { i: 0, box: [320, 320, 96, 96], scores: { 5: 0.9 } },
      { i: 1, box: [322, 322, 96, 96], scores: { 5: 0.8 } },
      { i: 2, box: [100, 100, 10, 10], scores: { 0: 0.3 } },
    ]);
    const post = new Postprocessor({ kind: 'yolov8', classes: 80, candidates: 3 }, COCO80 as string[], undefined);
    const g = letterbox(1280, 720, 640, 640);
    const dets = post.run(data, g, { conf: 0.25, iou: 0.7, maxDetections: 300, allowed: undefined });
    expect(dets.map((d) => d.className)).toEqual(['bus', 'person']);
    expect(dets[0]!.box).toEqual({ x1: 544, y1: 264, x2: 736, y2: 456 });
    expect(dets[1]!.box.y1).toBe(0); // (95 - 140) / 0.5 < 0: clipped to the image
  });

  it('resolves options over the defaults and refuses unknown classes', () => {
    const names = ['person', 'bicycle', 'car'];
    const r = resolveParams({ conf: 0.5, classes: ['car', 0] }, names);
    expect(r.ok && r.params.conf).toBe(0.5);
    expect(r.ok && r.params.iou).toBe(0.7);
    expect(r.ok && r.params.maxDetections).toBe(300);
    expect(r.ok && Array.from(r.params.allowed!)).toEqual([1, 0, 1]);
    const bad = resolveParams({ classes: ['unicorn'] }, names);
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.message).toContain('unknown class name "unicorn"');
    expect(resolveParams({ classes: [3] }, names).ok).toBe(false);
  });
});
