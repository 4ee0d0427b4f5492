/**
 * The whole detection pipeline of one inference thread, with no sockets: load the model (read its
 * spec, warm it up), then for each image: preprocess -> session.run -> postprocess. The inference
 * thread wraps it in a ZeroMQ loop; the eval script and the bench call it directly.
 */
import { readFile } from 'node:fs/promises';
import { type Detection, type DetectOptions, ErrorCode } from '@yolomq/protocol';
import ort from 'onnxruntime-node';
import { float16Table } from '../model/float16.js';
import { parseNamesFile } from '../model/names.js';
import { readOnnxMetadata } from '../model/onnx-metadata.js';
import { createSession, type ExecutionProvider } from '../model/session.js';
import { describeInput, describeModel, type ModelSpec, type ValueInfo } from '../model/spec.js';
import { DEFAULT_POSTPROCESS, type ParamsResult, type PostprocessDefaults, resolveParams } from '../yolo/params.js';
import { Postprocessor } from '../yolo/postprocess.js';
import { type DecodeResult, Preprocessor, type ResizeMethod } from './preprocess.js';
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
  shrinkOnLoad?: boolean;
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
  private readonly feeds: Record<string, ort.Tensor>;
  private readonly post: Postprocessor;

  private constructor(
    readonly spec: ModelSpec,
    private readonly session: ort.InferenceSession,
    private readonly pre: Preprocessor,
    private readonly defaults: PostprocessDefaults,
    halfOutput: boolean,
  ) {
    const { input } = spec;
    this.feeds = { [input.name]: new ort.Tensor(input.type, pre.tensor, [1, 3, input.height, input.width]) };
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
    const pre = new Preprocessor(input.value, {
      maxPixels: config.maxPixels,
      resize: config.resize,
      shrinkOnLoad: config.shrinkOnLoad,
    });
    // A grey frame (what an all-padding letterbox gives) is the warm-up input and tells the output shape.
    pre.tensor.fill(normalizeTable(input.value.type)[PAD_VALUE]!);
    const feeds = {
      [input.value.name]: new ort.Tensor(input.value.type, pre.tensor, [1, 3, input.value.height, input.value.width]),
    };
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
    );
    for (let i = 1; i < (config.warmupRuns ?? 2); i++) await session.run(feeds);
    return detector;
  }

  async detect(image: Uint8Array, options: DetectOptions): Promise<DetectOutcome> {
    return this.complete(this.begin(image, options));
  }

  /**
   * Starts a detection: checks the options and starts decoding (on the libuv pool). Several may be
   * begun ahead; complete() them one at a time, in order. A thread begins its next job before it
   * completes the current one, so the next image decodes while session.run computes.
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

  /** Finishes a begun detection: tensor, session.run, postprocess. One at a time (one input tensor). */
  async complete(pending: PendingDetection): Promise<DetectOutcome> {
    const { params } = pending;
    if (!params.ok) return { ok: false, code: ErrorCode.BAD_REQUEST, message: params.message };
    const t0 = performance.now();
    const decoded = (await pending.decoded)!;
    if (!decoded.ok) return decoded;
    const tFill = performance.now();
    this.pre.fill(decoded.image);
    const t1 = performance.now();
    const outputs = await this.session.run(this.feeds);
    const t2 = performance.now();
    const output = outputs[this.spec.outputName] as ort.Tensor;
    const detections = this.post.run(output.data as Float32Array | Uint16Array, decoded.image.geometry, params.params);
    const t3 = performance.now();
    const g = decoded.image.geometry;
    // The part of the decode this call waited for, plus the tensor fill. A decode begun ahead, while
    // the previous job's session.run computed, counts only for what was left when this call started.
    const waited = Math.max(0, pending.decodedAt - Math.max(t0, pending.startedAt));
    const preprocessMs = waited + (t1 - tFill);
    return {
      ok: true,
      width: g.sourceWidth,
      height: g.sourceHeight,
      detections,
      timings: { preprocessMs, inferenceMs: t2 - t1, postprocessMs: t3 - t2 },
    };
  }

  /** Runs the model on the tensor as it is (for the bench's ceiling loop). */
  async runOnly(): Promise<void> {
    await this.session.run(this.feeds);
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
