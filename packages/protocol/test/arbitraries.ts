/**
 * fast-check generators for every protocol value, shared by the codec tests. Each generator makes only
 * values that the SPEC allows, so a round trip through encoder and decoder must give them back exactly.
 */
import fc from 'fast-check';
import {
  CLIENT_HEADER,
  type DetectionResult,
  type DetectOptions,
  ErrorCode,
  Limits,
  MAX_CREDIT,
  OPTION_BOUNDS,
  WORKER_HEADER,
  type WorkerInfo,
} from '../src/index.js';

export const toBuffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes);

/** Any Unicode text (no lone surrogates, which UTF-8 cannot carry) of at most maxCodePoints. */
export const text = (minLength: number, maxLength: number) => fc.string({ unit: 'binary', minLength, maxLength });

/** Request and job ids: 1..64 bytes of UTF-8 (16 code points are at most 64 bytes). */
export const id = fc.oneof(text(1, 16), fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 64 }));

/** Client model names: 0..128 bytes ('' = the default model); worker model names are never empty. */
export const clientModel = text(0, 32);
export const workerModel = text(1, 32);

export const image = fc.uint8Array({ minLength: 1, maxLength: 512 }).map(toBuffer);
export const bytes = (maxLength: number) => fc.uint8Array({ maxLength }).map(toBuffer);
export const token = bytes(64);

export const errorCode = fc.constantFrom(...Object.values(ErrorCode));
/** Error messages that fit the 1 KiB frame without truncation (200 code points are at most 800 bytes). */
export const errorMessage = text(0, 200);

const unit = fc.double({ min: 0, max: 1, noNaN: true });
const className = text(1, 16);

export const options: fc.Arbitrary<DetectOptions> = fc.record(
  {
    conf: unit,
    iou: unit,
    classes: fc.array(fc.oneof(fc.integer({ min: 0, max: OPTION_BOUNDS.classes.maxId }), className), {
      maxLength: 20,
    }),
    maxDetections: fc.integer(OPTION_BOUNDS.maxDetections),
    timeoutMs: fc.integer(OPTION_BOUNDS.timeoutMs),
  },
  { requiredKeys: [] },
);

/** undefined (= defaults) or a set of options; the encoded frame stays well under the 4 KiB limit. */
export const maybeOptions = fc.option(options, { nil: undefined });

export const workerInfo: fc.Arbitrary<WorkerInfo> = fc.record(
  {
    workerId: id,
    credit: fc.integer({ min: 1, max: MAX_CREDIT }),
    host: text(0, 64),
    pid: fc.integer({ min: 0, max: 4_194_304 }),
    version: text(0, 16),
    concurrency: fc.integer({ min: 1, max: MAX_CREDIT }),
  },
  { requiredKeys: ['workerId', 'credit', 'host', 'pid', 'version'] },
);

export const uint32 = fc.integer({ min: 0, max: 0xffff_ffff });

const ms = fc.double({ min: 0, max: 1e6, noNaN: true });
const coordinate = fc.double({ min: 0, max: 8192, noNaN: true });

export const detectionResult: fc.Arbitrary<DetectionResult> = fc.record({
  model: workerModel,
  workerId: id,
  width: fc.integer({ min: 1, max: 16_384 }),
  height: fc.integer({ min: 1, max: 16_384 }),
  detections: fc.array(
    fc.record({
      classId: fc.integer({ min: 0, max: 1000 }),
      className,
      score: unit,
      box: fc.record({ x1: coordinate, y1: coordinate, x2: coordinate, y2: coordinate }),
    }),
    { maxLength: 10 },
  ),
  timings: fc.record({ queueMs: ms, preprocessMs: ms, inferenceMs: ms, postprocessMs: ms, totalMs: ms }),
});

/** A header frame that is not ours at version 1: other versions, other signatures, wrong lengths. */
export const foreignHeader = fc.oneof(
  fc
    .tuple(
      fc.constantFrom(CLIENT_HEADER, WORKER_HEADER),
      fc.integer({ min: 0, max: 255 }).filter((v) => v !== 1),
    )
    .map(([h, v]) => Buffer.concat([h.subarray(0, 4), Buffer.from([v])])),
  bytes(8),
);

/** Sizes the tests use instead of the production limits, so that "huge" frames stay cheap. */
export const SMALL_LIMITS = { maxImageBytes: 1024 };
export const HUGE = {
  id: Buffer.alloc(Limits.MAX_ID_BYTES + 1, 0x61),
  model: Buffer.alloc(Limits.MAX_MODEL_NAME_BYTES + 1, 0x61),
  options: Buffer.alloc(Limits.MAX_OPTIONS_BYTES + 1, 0x20),
  message: Buffer.alloc(Limits.MAX_ERROR_MESSAGE_BYTES + 1, 0x61),
  result: Buffer.alloc(Limits.MAX_RESULT_BYTES + 1, 0x20),
  image: Buffer.alloc(SMALL_LIMITS.maxImageBytes + 1, 0xff),
} as const;
