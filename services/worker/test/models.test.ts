/**
 * The real models in ../shared/models (beside YOLOMQ_TEST_MODEL): each loads, its input and layout are
 * read from the model, and on the shared photos the detections EXPECTED.md lists are found, with
 * boxes in original-image pixels.
 */
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Detector } from '../src/inference/detector.js';
import { expectBus, expectZidane } from './expected.js';
import { IMAGES_DIR, sharedModels, TEST_MODEL } from './paths.js';

const KNOWN: Record<string, { kind: string; type: string; candidates: number }> = {
  'yolov8n_int8.onnx': { kind: 'yolov8', type: 'float32', candidates: 8400 },
  'yolov10n_int8.onnx': { kind: 'end2end', type: 'float32', candidates: 300 },
  'yolov5n_fp16.onnx': { kind: 'yolov5', type: 'float16', candidates: 25200 },
};

const bus = readFileSync(join(IMAGES_DIR, 'bus.jpg'));
const zidane = readFileSync(join(IMAGES_DIR, 'zidane.jpg'));
const detectors: Detector[] = [];
afterAll(async () => {
  for (const d of detectors) await d.release();
});

it('the test model is among the shared models', () => {
  expect(sharedModels()).toContain(TEST_MODEL);
});

describe.each(sharedModels())('%s', (path) => {
  const name = basename(path);
  let detector: Detector;

  it('loads, and its input, layout and class names are read from the model', async () => {
    detector = await Detector.load({
      modelPath: path,
      executionProvider: 'cpu',
      intraOpThreads: 2,
      maxPixels: 50_000_000,
    });
    detectors.push(detector);
    const { spec } = detector;
    expect(spec.input.width).toBeGreaterThan(0);
    expect(spec.classNames.length).toBeGreaterThan(0);
    const known = KNOWN[name];
    if (known !== undefined) {
      expect(spec.layout.kind).toBe(known.kind);
      expect(spec.layout.candidates).toBe(known.candidates);
      expect(spec.input).toEqual({ name: 'images', type: known.type, width: 640, height: 640, dynamicBatch: false });
      expect(spec.classNames).toHaveLength(80);
      expect(spec.classNames[5]).toBe('bus');
    }
  });

  it('finds the bus and the persons in bus.jpg', async () => {
    const r = await detector.detect(bus, {});
    expect(r.ok).toBe(true);
    if (r.ok) expectBus(r.width, r.height, r.detections);
  });

  it('finds the two persons and the tie in zidane.jpg', async () => {
    const r = await detector.detect(zidane, {});
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    // yolov10n_int8 scores the tie at about 0.13 (below the 0.25 default) with every resize tried,
    // including OpenCV's exact INTER_LINEAR arithmetic; it is found at conf 0.1.
    const tieAtDefault = name !== 'yolov10n_int8.onnx';
    expectZidane(r.width, r.height, r.detections, tieAtDefault);
    if (!tieAtDefault) {
      const low = await detector.detect(zidane, { conf: 0.1 });
      expect(low.ok).toBe(true);
      if (low.ok) expectZidane(low.width, low.height, low.detections, true);
    }
  });

  it('applies per-request options: class filter by name, conf, maxDetections', async () => {
    const persons = await detector.detect(bus, { classes: ['person'], conf: 0.5 });
    expect(persons.ok && persons.detections.length).toBeGreaterThanOrEqual(3);
    expect(persons.ok && persons.detections.every((d) => d.className === 'person' && d.score > 0.5)).toBe(true);
    const one = await detector.detect(bus, { maxDetections: 1 });
    expect(one.ok && one.detections).toHaveLength(1);
    const bad = await detector.detect(bus, { classes: ['unicorn'] });
    expect(bad).toMatchObject({ ok: false, code: 'BAD_REQUEST' });
  });
});
