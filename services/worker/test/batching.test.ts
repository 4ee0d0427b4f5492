/**
 * Dynamic batching with real models: the test model converted to a dynamic batch (into a temp dir,
 * never the repository), a batch of 4 of the shared photos giving each image its batch-1 detections,
 * one bad image failing alone, a static-batch model staying at batch 1, and the worker process
 * gathering jobs into one session.run with the credit grown to match (threads run the built dist/).
 *
 * Tolerance: the int8 models quantize activations with DynamicQuantizeLinear, which takes one scale
 * per tensor, i.e. per batch; an image batched with others is quantized with a slightly different
 * scale than alone (measured on yolov8n_int8: boxes IoU >= 0.9, scores within 0.07). The fp16 model
 * has no such step: its batched detections equal batch-1 exactly.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Detection, encodeJobRequest, encodeOptions, encodeTiming, parseResult } from '@yolomq/protocol';
import ort from 'onnxruntime-node';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../test/helpers/processes.js';
import {
  type DetectOutcome,
  Detector,
  makeBatchDynamic,
  parseWorkerConfig,
  readOnnxMetadata,
  startWorker,
  type WorkerHandle,
} from '../dist/index.js';
import { concat, encodeVarint, lengthDelimited } from '../src/model/protobuf.js';
import { expectBus, expectZidane } from './expected.js';
import { FakeBroker } from './fake-broker.js';
import { IMAGES_DIR, MODELS_DIR, TEST_MODEL } from './paths.js';

const bus = readFileSync(join(IMAGES_DIR, 'bus.jpg'));
const zidane = readFileSync(join(IMAGES_DIR, 'zidane.jpg'));
const notAnImage = Buffer.from('just some text, not an image\n');
const dir = mkdtempSync(join(tmpdir(), 'yolomq-batch-'));
const dynamicModel = join(dir, 'dynamic.onnx');
const detectors: Detector[] = [];

const load = async (modelPath: string, maxBatch: number) => {
  const d = await Detector.load({
    modelPath,
    executionProvider: 'cpu',
    intraOpThreads: 1,
    maxPixels: 50_000_000,
    maxBatch,
  });
  detectors.push(d);
  return d;
};

beforeAll(() => {
  writeFileSync(dynamicModel, makeBatchDynamic(readFileSync(TEST_MODEL)).bytes);
});
afterAll(async () => {
  for (const d of detectors) await d.release();
  rmSync(dir, { recursive: true, force: true });
});

function ok(outcome: DetectOutcome | undefined): Extract<DetectOutcome, { ok: true }> {
  if (!outcome?.ok) throw new Error(`expected detections, got ${JSON.stringify(outcome)}`);
  return outcome;
}

function iou(a: Detection['box'], b: Detection['box']): number {
  const w = Math.max(0, Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1));
  const h = Math.max(0, Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1));
  const inter = w * h;
  return inter / ((a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - inter);
}

/**
 * Every detection of one list clear of the threshold (by `margin`) has a twin in the other: same
 * class, IoU >= 0.9, score within 0.08; both ways. (An int8 model quantises its activations with one
 * scale per tensor, i.e. per batch, so a batch moves scores: zidane.jpg's tie by 0.070 when batched
 * with bus.jpg; the float16 model matches exactly.)
 */
function expectSameDetections(actual: Detection[], expected: Detection[], conf: number, margin = 0.05): void {
  const twins = (from: Detection[], to: Detection[]) => {
    for (const d of from.filter((x) => x.score > conf + margin)) {
      const twin = to.find((t) => t.classId === d.classId && iou(t.box, d.box) >= 0.9);
      expect(twin, `${d.className} ${d.score} at ${JSON.stringify(d.box)}`).toBeDefined();
      expect(Math.abs(twin!.score - d.score)).toBeLessThanOrEqual(0.08);
    }
  };
  twins(actual, expected);
  twins(expected, actual);
}

/**
 * A tiny ONNX model written field by field: Z = Reshape(X + Reshape(bias, [1, -1, 1, 1]), [1, 4, -1])
 * with X: float[1, 4, 2, 2]. The bias reshape (of a weight) must stay 1, the other one must copy the batch.
 */
function tinyModel(): Uint8Array {
  const utf8 = (field: number, text: string) => lengthDelimited(field, new TextEncoder().encode(text));
  const message = (field: number, ...parts: Uint8Array[]) => lengthDelimited(field, concat(parts));
  const number = (field: number, value: number) =>
    Uint8Array.from([...encodeVarint(field * 8), ...encodeVarint(value)]);
  const int64s = (values: number[]) => new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer);
  const tensor = (name: string, type: number, dims: number[], raw: Uint8Array) =>
    message(5, ...dims.map((d) => number(1, d)), number(2, type), utf8(8, name), lengthDelimited(9, raw));
  const value = (field: number, name: string, dims: number[]) =>
    message(
      field,
      utf8(1, name),
      message(2, message(1, number(1, 1), message(2, ...dims.map((d) => message(1, number(1, d)))))),
    );
  const node = (op: string, inputs: string[], output: string) =>
    message(1, ...inputs.map((i) => utf8(1, i)), utf8(2, output), utf8(4, op));
  const graph = message(
    7,
    node('Reshape', ['bias', 'bias_shape'], 'b'),
    node('Add', ['X', 'b'], 'Y'),
    node('Reshape', ['Y', 'flat_shape'], 'Z'),
    utf8(2, 'tiny'),
    tensor('bias', 1, [4], new Uint8Array(Float32Array.from([1, 2, 3, 4]).buffer)),
    tensor('bias_shape', 7, [4], int64s([1, -1, 1, 1])),
    tensor('flat_shape', 7, [3], int64s([1, 4, -1])),
    value(11, 'X', [1, 4, 2, 2]),
    value(12, 'Z', [1, 4, 4]),
    value(13, 'Y', [1, 4, 2, 2]),
  );
  return concat([number(1, 8), graph, message(8, utf8(1, ''), number(2, 17))]);
}

describe('makeBatchDynamic', () => {
  it('copies the batch through activation reshapes and leaves weight reshapes alone (a tiny model)', async () => {
    const { bytes, reshapes } = makeBatchDynamic(tinyModel());
    expect(reshapes).toBe(1);
    const session = await ort.InferenceSession.create(bytes);
    try {
      expect(session.inputMetadata[0]).toMatchObject({ shape: ['batch', 4, 2, 2] });
      const x = Float32Array.from({ length: 3 * 16 }, (_, i) => i);
      const z = (await session.run({ X: new ort.Tensor('float32', x, [3, 4, 2, 2]) })).Z!;
      expect(z.dims).toEqual([3, 4, 4]);
      // each image plus the bias of its channel
      expect(Array.from(z.data as Float32Array)).toEqual(Array.from(x, (v, i) => v + 1 + (Math.floor(i / 4) % 4)));
    } finally {
      await session.release();
    }
  });

  it('gives the model a symbolic batch dimension and keeps its metadata', async () => {
    const session = await ort.InferenceSession.create(dynamicModel);
    try {
      expect(session.inputMetadata[0]).toMatchObject({ shape: ['batch', 3, 640, 640] });
      expect(session.outputMetadata[0]).toMatchObject({ shape: ['batch', expect.any(Number), expect.any(Number)] });
    } finally {
      await session.release();
    }
    const before = readOnnxMetadata(readFileSync(TEST_MODEL));
    const after = readOnnxMetadata(readFileSync(dynamicModel));
    expect(after).toEqual(before);
    expect(makeBatchDynamic(readFileSync(TEST_MODEL)).reshapes).toBeGreaterThan(0);
  });

  it('refuses what it cannot convert, saying why', () => {
    expect(() => makeBatchDynamic(notAnImage)).toThrow(/ONNX|protobuf|varint/);
    expect(() => makeBatchDynamic(readFileSync(join(MODELS_DIR, 'yolov10n_int8.onnx')))).toThrow(/end-to-end/);
  });
});

describe('a detector with a batch of 4', () => {
  let batched: Detector;
  let single: Detector;
  beforeAll(async () => {
    batched = await load(dynamicModel, 4);
    single = await load(TEST_MODEL, 1);
  });

  it('reads the dynamic batch from the model; a static model stays at batch 1', async () => {
    expect(batched.maxBatch).toBe(4);
    expect(batched.spec.input.dynamicBatch).toBe(true);
    expect(single.spec.input.dynamicBatch).toBe(false);
    const asked = await load(TEST_MODEL, 4);
    expect(asked.maxBatch).toBe(1);
    await expect(asked.completeBatch([asked.begin(bus, {}), asked.begin(zidane, {})])).rejects.toThrow(RangeError);
  });

  it('gives each image of the batch its own batch-1 detections, with its own letterbox and options', async () => {
    const jobs = [
      { image: bus, options: {} },
      { image: zidane, options: {} },
      { image: bus, options: { classes: ['person'] } },
      { image: zidane, options: { conf: 0.5 } },
    ];
    const outcomes = await batched.completeBatch(jobs.map((j) => batched.begin(j.image, j.options)));
    expect(outcomes).toHaveLength(4);
    const results = outcomes.map(ok);
    expectBus(results[0]!.width, results[0]!.height, results[0]!.detections);
    expectZidane(results[1]!.width, results[1]!.height, results[1]!.detections);
    expect(new Set(results[2]!.detections.map((d) => d.className))).toEqual(new Set(['person']));
    expect(results[3]!.detections.every((d) => d.score > 0.5)).toBe(true);
    for (const [i, j] of jobs.entries()) {
      const alone = ok(await single.detect(j.image, j.options));
      expect([results[i]!.width, results[i]!.height]).toEqual([alone.width, alone.height]);
      expectSameDetections(results[i]!.detections, alone.detections, (j.options as { conf?: number }).conf ?? 0.25);
    }
    // one session.run for the four
    expect(new Set(results.map((r) => r.timings.inferenceMs)).size).toBe(1);
  });

  it('answers an undecodable image and bad options alone; the rest of the batch succeeds', async () => {
    const outcomes = await batched.completeBatch([
      batched.begin(bus, {}),
      batched.begin(notAnImage, {}),
      batched.begin(zidane, {}),
      batched.begin(bus, { classes: ['unicorn'] }),
    ]);
    expect(outcomes.map((o) => (o.ok ? 'ok' : o.code))).toEqual(['ok', 'INVALID_IMAGE', 'ok', 'BAD_REQUEST']);
    expectBus(ok(outcomes[0]).width, ok(outcomes[0]).height, ok(outcomes[0]).detections);
    expectZidane(ok(outcomes[2]).width, ok(outcomes[2]).height, ok(outcomes[2]).detections);
    // a batch with nothing left to run answers without running
    const none = await batched.completeBatch([batched.begin(notAnImage, {})]);
    expect(none).toMatchObject([{ ok: false, code: 'INVALID_IMAGE' }]);
  });

  it('a float16 model (no dynamic quantization) gives exactly its batch-1 detections', async () => {
    const fp16 = join(MODELS_DIR, 'yolov5n_fp16.onnx');
    const path = join(dir, 'yolov5n_fp16.onnx');
    writeFileSync(path, makeBatchDynamic(readFileSync(fp16)).bytes);
    const d = await load(path, 3);
    const outcomes = (await d.completeBatch([d.begin(zidane, {}), d.begin(bus, {}), d.begin(zidane, {})])).map(ok);
    const alone = ok(await (await load(fp16, 1)).detect(bus, {}));
    expect(outcomes[1]!.detections).toEqual(alone.detections);
    expect(outcomes[2]!.detections).toEqual(outcomes[0]!.detections);
  });
});

describe('the worker with YOLOMQ_BATCH_MAX=4', () => {
  let broker: FakeBroker;
  const workers: WorkerHandle[] = [];
  let seq = 0;
  const job = (image: Buffer, options = {}, budgetMs = 60_000) => {
    const id = `batch-${++seq}`;
    return { id, frames: encodeJobRequest(id, encodeOptions(options), encodeTiming(budgetMs, 5), image) };
  };
  const answer = (id: string) =>
    broker.waitFor(
      () => broker.received.find((r) => 'jobId' in r.message && r.message.jobId === id)?.message,
      60_000,
      `the answer to ${id}`,
    );
  const start = async (model: string, workerId: string, logs: string[] = []) => {
    const parsed = parseWorkerConfig({
      YOLOMQ_BROKER_BACKEND: broker.socket.lastEndpoint!,
      YOLOMQ_MODEL: model,
      YOLOMQ_MODEL_NAME: 'yolov8n_int8',
      YOLOMQ_WORKER_ID: workerId,
      YOLOMQ_INFERENCE_THREADS: '1',
      YOLOMQ_INTRA_OP_THREADS: '1',
      YOLOMQ_BATCH_MAX: '4',
      // long enough that the jobs sent together surely meet in one batch
      YOLOMQ_BATCH_DELAY_MS: '500',
    });
    if (!parsed.ok) throw new Error(parsed.message);
    const logger = pino({ level: 'warn' }, { write: (line: string) => logs.push(line) });
    const worker = await startWorker(parsed.config, logger);
    workers.push(worker);
    await broker.waitFor(() => broker.all('READY').find((r) => r.info.workerId === workerId));
    return worker;
  };

  beforeAll(async () => {
    broker = await FakeBroker.start(`tcp://127.0.0.1:${await freePort()}`);
  });
  afterAll(async () => {
    for (const w of workers) await w.close();
    broker?.close();
  });

  it('announces credit K x batch + prefetch and answers a gathered batch from one session.run', async () => {
    const worker = await start(dynamicModel, 'batching-worker');
    expect(worker.modelInfo.batch).toBe(4);
    // one thread x batch 4, plus the default prefetch K x 4: the next batch waits decoded
    expect(worker.credit).toBe(8);
    const ready = broker.all('READY').find((r) => r.info.workerId === 'batching-worker')!;
    expect(ready.info).toMatchObject({ credit: 8, concurrency: 4 });
    const jobs = [job(bus), job(notAnImage), job(zidane), job(bus, { classes: ['bus'] })];
    for (const j of jobs) broker.send('batching-worker', j.frames);
    const answers = await Promise.all(jobs.map((j) => answer(j.id)));
    expect(answers.map((a) => (a.command === 'ERROR' ? a.code : a.command))).toEqual([
      'REPLY',
      'INVALID_IMAGE',
      'REPLY',
      'REPLY',
    ]);
    const results = answers.flatMap((a) => {
      if (a.command !== 'REPLY') return [];
      const r = parseResult(a.result);
      return r.ok ? [r.value] : [];
    });
    expect(results).toHaveLength(3);
    expectBus(results[0]!.width, results[0]!.height, results[0]!.detections);
    expectZidane(results[1]!.width, results[1]!.height, results[1]!.detections);
    expect(results[2]!.detections.map((d) => d.className)).toEqual(['bus']);
    expect(new Set(results.map((r) => r.timings.inferenceMs)).size).toBe(1);

    /** sends one job on its own; its result's queueMs */
    const queueMsAlone = async (alone: ReturnType<typeof job>) => {
      broker.send('batching-worker', alone.frames);
      const reply = await answer(alone.id);
      expect(reply.command).toBe('REPLY');
      const r = reply.command === 'REPLY' ? parseResult(reply.result) : undefined;
      return r?.ok && r.value.timings.queueMs;
    };
    // a lone job waits for company up to the delay, then runs alone
    expect(await queueMsAlone(job(zidane))).toBeGreaterThanOrEqual(500);
    // a lone job whose budget is shorter than the delay is not held for company: it runs at once
    expect(await queueMsAlone(job(zidane, {}, 400))).toBeLessThan(400);
  });

  it('with a static-batch model: warns at start-up and runs batch 1', async () => {
    const logs: string[] = [];
    const worker = await start(TEST_MODEL, 'static-worker', logs);
    expect(worker.modelInfo.batch).toBe(1);
    // one thread x batch 1, plus the default prefetch of K x the model's batch: as without batching
    expect(worker.credit).toBe(1 + 1);
    const warning = logs.map((l) => JSON.parse(l)).find((l) => /YOLOMQ_BATCH_MAX=4/.test(l.msg));
    expect(warning).toMatchObject({ level: 40 });
    expect(warning.msg).toMatch(/fixed at 1: running batch 1/);
    const j = job(bus);
    broker.send('static-worker', j.frames);
    expect((await answer(j.id)).command).toBe('REPLY');
  });
});
