/**
 * The whole detection pipeline of one inference thread, with no sockets: load the model (read its
 * spec, warm it up), then for each image: preprocess -> session.run -> postprocess. The inference
 * thread wraps it in a ZeroMQ loop; the eval script and the bench call it directly. A model with a
 * dynamic batch dimension can take up to `maxBatch` images in one session.run (completeBatch): each
 * image is written into its slot of one [n, 3, H, W] tensor, and each one's part of the output is
 * postprocessed through a view, with its own letterbox and options.
 */
import { readFile } from 'node:fs/promises';
import { type Detection, type DetectOptions, ErrorCode } from '@yolomq/protocol';
import ort from 'onnxruntime-node';
import { float16Table } from '../model/float16.js';
import { parseNamesFile } from '../model/names.js';
import { readOnnxMetadata } from '../model/onnx-metadata.js';
import { createSession, type ExecutionProvider } from '../model/session.js';
import { describeInput, describeModel, type ModelInput, type ModelSpec, type ValueInfo } from '../model/spec.js';
import { DEFAULT_POSTPROCESS, type ParamsResult, type PostprocessDefaults, resolveParams } from '../yolo/params.js';
import { Postprocessor, type PostprocessParams } from '../yolo/postprocess.js';
import { type DecodedImage, type DecodeResult, Preprocessor, type ResizeMethod } from './preprocess.js';
import { normalizeTable, PAD_VALUE } from './tensor.js';

export interface DetectorConfig {
  modelPath: string;
  /** a names file, used when the model's metadata has no names */
  classNamesPath?: string | undefined;
  executionProvider: ExecutionProvider;
  intraOpThreads: number;
  maxPixels: number;
  defaults?: PostprocessDefaults;
  /** session.run calls before the detector is ready (the first runs are slow: allocation, kernels) */
  warmupRuns?: number;
  resize?: ResizeMethod;
  /** the most images one session.run may take; used only when the model's batch dimension is dynamic (default 1) */
  maxBatch?: number;
}

export interface StageTimes {
  preprocessMs: number;
  inferenceMs: number;
  postprocessMs: number;
}

export type DetectOutcome =
  | { ok: true; width: number; height: number; detections: Detection[]; timings: StageTimes }
  | { ok: false; code: ErrorCode; message: string };

export interface PendingDetection {
  params: ParamsResult;
  decoded: Promise<DecodeResult | undefined>;
  startedAt: number;
  decodedAt: number;
}

export class ModelError extends Error {
  override readonly name = 'ModelError';
}

export class Detector {
  /** feeds[n - 1]: the first n images of the tensor, as the model's input (made on first use) */
  private readonly feeds: Array<Record<string, ort.Tensor> | undefined> = [];
  private readonly post: Postprocessor;

  private constructor(
    readonly spec: ModelSpec,
    private readonly session: ort.InferenceSession,
    private readonly pre: Preprocessor,
    private readonly defaults: PostprocessDefaults,
    halfOutput: boolean,
    /** the most images one session.run takes: 1 unless the model's batch dimension is dynamic */
    readonly maxBatch: number,
  ) {
    this.post = new Postprocessor(spec.layout, spec.classNames, halfOutput ? float16Table() : undefined);
  }

  /** Loads and warms up the model. Throws ModelError with a clear message for a model it cannot serve. */
  static async load(config: DetectorConfig): Promise<Detector> {
    let bytes: Uint8Array;
    try {
      bytes = await readFile(config.modelPath);
    } catch (error) {
      throw new ModelError(`cannot read the model file ${config.modelPath}: ${(error as Error).message}`);
    }
    const meta = readOnnxMetadata(bytes);
    if (!meta.ok) throw new ModelError(`${config.modelPath}: ${meta.message}`);
    let namesFromFile: string[] | undefined;
    if (config.classNamesPath !== undefined) {
      let text: string;
      try {
        text = await readFile(config.classNamesPath, 'utf8');
      } catch (error) {
        throw new ModelError(`cannot read the class names file ${config.classNamesPath}: ${(error as Error).message}`);
      }
      const names = parseNamesFile(text);
      if (!names.ok) throw new ModelError(`${config.classNamesPath}: ${names.message}`);
      namesFromFile = names.names;
    }
    const session = await createSession(bytes, {
      executionProvider: config.executionProvider,
      intraOpThreads: config.intraOpThreads,
    }).catch((error: Error) => {
      throw new ModelError(`${config.modelPath}: ${error.message}`);
    });
    const input = describeInput(session.inputMetadata as ValueInfo[], meta.metadata);
    if (!input.ok) throw new ModelError(`${config.modelPath}: ${input.message}`);
    const maxBatch = input.value.dynamicBatch ? Math.max(1, config.maxBatch ?? 1) : 1;
    const pre = new Preprocessor(input.value, {
      maxPixels: config.maxPixels,
      resize: config.resize,
      batch: maxBatch,
    });
    // A grey frame (what an all-padding letterbox gives) is the warm-up input and tells the output shape.
    pre.tensor.fill(normalizeTable(input.value.type)[PAD_VALUE]!);
    const feeds = batchFeeds(input.value, pre, 1);
    const outputName = session.outputNames[0];
    if (outputName === undefined) throw new ModelError(`${config.modelPath}: the model has no output`);
    let output: ort.Tensor;
    try {
      output = (await session.run(feeds))[outputName] as ort.Tensor;
    } catch (error) {
      throw new ModelError(`${config.modelPath}: the warm-up run failed: ${(error as Error).message}`);
    }
    const spec = describeModel(
      input.value,
      session.outputMetadata as ValueInfo[],
      output.dims,
      meta.metadata,
      namesFromFile,
    );
    if (!spec.ok) throw new ModelError(`${config.modelPath}: ${spec.message}`);
    if (output.type !== 'float32' && output.type !== 'float16') {
      throw new ModelError(`${config.modelPath}: output ${outputName} is ${output.type}; float32 or float16 expected`);
    }
    const detector = new Detector(
      spec.value,
      session,
      pre,
      config.defaults ?? DEFAULT_POSTPROCESS,
      output.data instanceof Uint16Array,
      maxBatch,
    );
    for (let i = 1; i < (config.warmupRuns ?? 2); i++) await session.run(feeds);
    if (maxBatch > 1) {
      // a full batch once: its first run allocates, and a model that only claims a dynamic batch fails here
      let dims: readonly number[];
      try {
        dims = ((await session.run(batchFeeds(input.value, pre, maxBatch)))[outputName] as ort.Tensor).dims;
      } catch (error) {
        throw new ModelError(
          `${config.modelPath}: a batch of ${maxBatch} failed (${(error as Error).message}); set YOLOMQ_BATCH_MAX=1`,
        );
      }
      if (dims[0] !== maxBatch) {
        throw new ModelError(
          `${config.modelPath}: a batch of ${maxBatch} gave output shape [${dims.join(', ')}]; set YOLOMQ_BATCH_MAX=1`,
        );
      }
    }
    return detector;
  }

  async detect(image: Uint8Array, options: DetectOptions): Promise<DetectOutcome> {
    return this.complete(this.begin(image, options));
  }

  /**
   * Starts a detection: checks the options and starts decoding (on the libuv pool). Several may be
   * begun ahead; complete() them (or completeBatch() a batch of them) one call at a time. A thread
   * begins its next jobs before it completes the current ones, so their images decode while
   * session.run computes.
   */
  begin(image: Uint8Array, options: DetectOptions): PendingDetection {
    const params = resolveParams(options, this.spec.classNames, this.defaults);
    if (!params.ok) {
      return { params, decoded: Promise.resolve(undefined), startedAt: performance.now(), decodedAt: 0 };
    }
    const pending: PendingDetection = {
      params,
      decoded: undefined as unknown as Promise<DecodeResult | undefined>,
      startedAt: performance.now(),
      decodedAt: 0,
    };
    pending.decoded = this.pre.decode(image).then((r) => {
      pending.decodedAt = performance.now();
      return r;
    });
    return pending;
  }

  /** Finishes a begun detection: tensor, session.run, postprocess. One call at a time (one input tensor). */
  async complete(pending: PendingDetection): Promise<DetectOutcome> {
    return (await this.completeBatch([pending]))[0]!;
  }

  /**
   * Finishes up to maxBatch begun detections with one session.run, one outcome each, in order. An
   * image that fails (bad options, undecodable, too large) gets its own error and leaves its slot to
   * the next image; the others run. Every image of the batch reports the batch's inferenceMs.
   */
  async completeBatch(batch: readonly PendingDetection[]): Promise<DetectOutcome[]> {
    if (batch.length < 1 || batch.length > this.maxBatch) {
      throw new RangeError(`a batch of ${batch.length}: this model takes 1 to ${this.maxBatch} images`);
    }
    const t0 = performance.now();
    const decoded = await Promise.all(batch.map((p) => p.decoded));
    const outcomes: DetectOutcome[] = new Array(batch.length);
    /** for each tensor slot: which job it holds and how long writing it took */
    const slots: Array<{ job: number; image: DecodedImage; params: PostprocessParams; fillMs: number }> = [];
    for (const [i, pending] of batch.entries()) {
      const result = decoded[i];
      if (!pending.params.ok) outcomes[i] = { ok: false, code: ErrorCode.BAD_REQUEST, message: pending.params.message };
      else if (!result!.ok) outcomes[i] = result!;
      else {
        const tFill = performance.now();
        this.pre.fill(result!.image, slots.length);
        slots.push({ job: i, image: result!.image, params: pending.params.params, fillMs: performance.now() - tFill });
      }
    }
    if (slots.length === 0) return outcomes;
    const t1 = performance.now();
    const outputs = await this.session.run(this.feedsFor(slots.length));
    const t2 = performance.now();
    const data = (outputs[this.spec.outputName] as ort.Tensor).data as Float32Array | Uint16Array;
    const perImage = data.length / slots.length;
    for (const [s, { job, image, params, fillMs }] of slots.entries()) {
      const pending = batch[job]!;
      const tPost = performance.now();
      const view = data.subarray(s * perImage, (s + 1) * perImage);
      const detections = this.post.run(view, image.geometry, params);
      const postprocessMs = performance.now() - tPost;
      // The part of the decode this call waited for, plus the tensor fill. A decode begun ahead, while
      // the previous session.run computed, counts only for what was left when this call started.
      const waited = Math.max(0, pending.decodedAt - Math.max(t0, pending.startedAt));
      outcomes[job] = {
        ok: true,
        width: image.geometry.sourceWidth,
        height: image.geometry.sourceHeight,
        detections,
        timings: { preprocessMs: waited + fillMs, inferenceMs: t2 - t1, postprocessMs },
      };
    }
    return outcomes;
  }

  /** Runs the model on the tensor as it is, one image (for the bench's ceiling loop). */
  async runOnly(): Promise<void> {
    await this.session.run(this.feedsFor(1));
  }

  private feedsFor(images: number): Record<string, ort.Tensor> {
    this.feeds[images - 1] ??= batchFeeds(this.spec.input, this.pre, images);
    return this.feeds[images - 1]!;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/** The model input for the first `images` images of the tensor: a view, no copy. */
function batchFeeds(input: ModelInput, pre: Preprocessor, images: number): Record<string, ort.Tensor> {
  const data = pre.tensor.subarray(0, images * 3 * input.width * input.height);
  return { [input.name]: new ort.Tensor(input.type, data, [images, 3, input.height, input.width]) };
}
