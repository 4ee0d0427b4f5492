/**
 * Property: the four decoders never throw, and always return a typed result, whatever frames arrive:
 * random frame lists (0..10 frames of random bytes), frames that start like ours, and mutations of
 * valid messages (truncated frames, dropped or extra frames, other versions and signatures, random
 * command bytes, huge frames, flipped bytes).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CLIENT_HEADER,
  type Decoded,
  DISCONNECT_MESSAGE,
  decodeBrokerToClient,
  decodeBrokerToWorker,
  decodeClientMessage,
  decodeWorkerMessage,
  encodeError,
  encodeJobRequest,
  encodeOptions,
  encodePing,
  encodePong,
  encodeReady,
  encodeReply,
  encodeRequest,
  encodeTiming,
  encodeWorkerError,
  encodeWorkerReply,
  HEARTBEAT_MESSAGE,
  isErrorCode,
  Limits,
  WORKER_HEADER,
} from '../src/index.js';
import * as arb from './arbitraries.js';

type AnyDecoded = Decoded<{ command: string }>;

const idBytesOk = (id: string) => Buffer.byteLength(id, 'utf8') >= 1 && Buffer.byteLength(id, 'utf8') <= 64 * 3;

/** Checks the result's type at run time, and the invariants a successfully decoded value must keep. */
function expectTyped(decoded: AnyDecoded, commands: readonly string[]): void {
  expect(typeof decoded).toBe('object');
  if (decoded.ok) {
    expect(commands).toContain(decoded.value.command);
    const value = decoded.value as Record<string, unknown>;
    for (const key of ['requestId', 'jobId'] as const) {
      if (key in value) expect(idBytesOk(value[key] as string)).toBe(true);
    }
    if ('image' in value) expect((value.image as Buffer).length).toBeGreaterThan(0);
    if ('token' in value) expect(Buffer.isBuffer(value.token)).toBe(true);
    if ('code' in value) expect(isErrorCode(value.code as string)).toBe(true);
    if ('message' in value) {
      expect(Buffer.byteLength(value.message as string)).toBeLessThanOrEqual(Limits.MAX_ERROR_MESSAGE_BYTES * 3);
    }
  } else {
    expect(isErrorCode(decoded.error.code)).toBe(true);
    expect(typeof decoded.error.message).toBe('string');
    expect(decoded.error.message.length).toBeGreaterThan(0);
    if (decoded.id !== undefined) expect(idBytesOk(decoded.id)).toBe(true);
  }
}

interface DecoderCase {
  name: string;
  commands: readonly string[];
  decode: (frames: Buffer[]) => AnyDecoded;
}

const DECODERS: readonly DecoderCase[] = [
  {
    name: 'decodeClientMessage',
    commands: ['REQUEST', 'PING'],
    decode: (f) => decodeClientMessage(f, arb.SMALL_LIMITS),
  },
  { name: 'decodeBrokerToClient', commands: ['REPLY', 'ERROR', 'PONG'], decode: decodeBrokerToClient },
  {
    name: 'decodeWorkerMessage',
    commands: ['READY', 'REPLY', 'ERROR', 'HEARTBEAT', 'DISCONNECT'],
    decode: decodeWorkerMessage,
  },
  { name: 'decodeBrokerToWorker', commands: ['REQUEST', 'HEARTBEAT', 'DISCONNECT'], decode: decodeBrokerToWorker },
];

/** Every valid message of both sub-protocols, in every direction. */
const validMessage: fc.Arbitrary<Buffer[]> = fc.oneof(
  fc.tuple(arb.id, arb.clientModel, arb.maybeOptions, arb.image).map(([i, m, o, img]) => encodeRequest(i, m, o, img)),
  arb.token.map(encodePing),
  arb.token.map(encodePong),
  fc.tuple(arb.id, arb.bytes(64)).map(([i, r]) => encodeReply(i, r)),
  fc.tuple(arb.id, arb.errorCode, arb.errorMessage).map(([i, c, m]) => encodeError(i, c, m)),
  fc.tuple(arb.workerModel, arb.workerInfo).map(([m, info]) => encodeReady(m, info)),
  fc
    .tuple(arb.id, arb.maybeOptions, arb.uint32, arb.uint32, arb.image)
    .map(([j, o, b, q, img]) => encodeJobRequest(j, encodeOptions(o), encodeTiming(b, q), img)),
  fc.tuple(arb.id, arb.bytes(64)).map(([j, r]) => encodeWorkerReply(j, r)),
  fc.tuple(arb.id, arb.errorCode, arb.errorMessage).map(([j, c, m]) => encodeWorkerError(j, c, m)),
  fc.constant<Buffer[]>([...HEARTBEAT_MESSAGE]),
  fc.constant<Buffer[]>([...DISCONNECT_MESSAGE]),
);

type Mutation = (frames: Buffer[]) => Buffer[];

const at = (frames: Buffer[], index: number) => (frames.length === 0 ? 0 : index % frames.length);
const replaceAt = (frames: Buffer[], index: number, frame: Buffer) =>
  frames.map((f, i) => (i === at(frames, index) ? frame : f));

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  // truncate one frame
  fc.tuple(fc.nat(), fc.nat()).map(
    ([i, len]): Mutation =>
      (f) =>
        replaceAt(f, i, (f[at(f, i)] ?? Buffer.alloc(0)).subarray(0, len % 9)),
  ),
  // drop trailing frames, or keep only a middle slice
  fc.nat(10).map(
    (n): Mutation =>
      (f) =>
        f.slice(0, n),
  ),
  fc.nat(10).map(
    (n): Mutation =>
      (f) =>
        f.slice(n),
  ),
  // extra frames at the end
  fc.array(arb.bytes(16), { minLength: 1, maxLength: 4 }).map(
    (extra): Mutation =>
      (f) => [...f, ...extra],
  ),
  // another version or signature in frame 0
  arb.foreignHeader.map(
    (h): Mutation =>
      (f) => [h, ...f.slice(1)],
  ),
  // the other sub-protocol's header
  fc.constant<Mutation>((f) => [f[0]?.equals(CLIENT_HEADER) ? WORKER_HEADER : CLIENT_HEADER, ...f.slice(1)]),
  // a random command byte, or a command frame of the wrong length
  fc.integer({ min: 0, max: 255 }).map(
    (c): Mutation =>
      (f) => [f[0]!, Buffer.from([c]), ...f.slice(2)],
  ),
  arb.bytes(3).map(
    (c): Mutation =>
      (f) => [f[0]!, c, ...f.slice(2)],
  ),
  // a huge frame in some position
  fc.tuple(fc.nat(), fc.constantFrom(...Object.values(arb.HUGE))).map(
    ([i, huge]): Mutation =>
      (f) =>
        replaceAt(f, i, huge),
  ),
  // a flipped byte, or random bytes, in some frame
  fc.tuple(fc.nat(), fc.nat(), fc.integer({ min: 1, max: 255 })).map(
    ([i, pos, x]): Mutation =>
      (f) => {
        const frame = Buffer.from(f[at(f, i)] ?? Buffer.alloc(0));
        if (frame.length > 0) frame[pos % frame.length]! ^= x;
        return replaceAt(f, i, frame);
      },
  ),
  fc.tuple(fc.nat(), arb.bytes(32)).map(
    ([i, junk]): Mutation =>
      (f) =>
        replaceAt(f, i, junk),
  ),
  // two frames swapped
  fc.tuple(fc.nat(), fc.nat()).map(
    ([i, j]): Mutation =>
      (f) => {
        const out = [...f];
        const a = at(f, i);
        const b = at(f, j);
        [out[a], out[b]] = [out[b]!, out[a]!];
        return out;
      },
  ),
);

const randomFrames = fc.array(arb.bytes(80), { minLength: 0, maxLength: 10 });

/** Frames that start like ours (so the decoders get past the header), then anything. */
const plausibleFrames = fc
  .tuple(
    fc.constantFrom(CLIENT_HEADER, WORKER_HEADER),
    fc.integer({ min: 0, max: 8 }),
    fc.array(fc.oneof(arb.bytes(80), fc.constantFrom(Buffer.from('{}'), Buffer.alloc(8), Buffer.from('ok'))), {
      maxLength: 8,
    }),
  )
  .map(([header, command, rest]) => [header, Buffer.from([command]), ...rest]);

const mutated = fc
  .tuple(validMessage, fc.array(mutation, { minLength: 1, maxLength: 3 }))
  .map(([frames, mutations]) => mutations.reduce((f, m) => m(f), frames));

describe.each(DECODERS)('$name never throws and always returns a typed result', ({ commands, decode }) => {
  it('on random frame lists (0..10 frames of random bytes)', () => {
    fc.assert(fc.property(randomFrames, (frames) => expectTyped(decode(frames), commands)));
  });

  it('on frames with a valid header and a small command byte', () => {
    fc.assert(
      fc.property(plausibleFrames, (frames) => expectTyped(decode(frames), commands)),
      { numRuns: 500 },
    );
  });

  it('on mutations of valid messages', () => {
    fc.assert(
      fc.property(mutated, (frames) => expectTyped(decode(frames), commands)),
      { numRuns: 500 },
    );
  });

  it('on every valid message of either sub-protocol', () => {
    fc.assert(fc.property(validMessage, (frames) => expectTyped(decode(frames), commands)));
  });
});

describe('the fuzzing reaches past the header', () => {
  it('mutated valid messages give successes and each kind of refusal the client decoder knows', () => {
    const outcomes = new Map<string, number>();
    for (const frames of fc.sample(mutated, { numRuns: 3000, seed: 7 })) {
      const decoded = decodeClientMessage(frames, arb.SMALL_LIMITS);
      const key = decoded.ok ? `ok:${decoded.value.command}` : `${decoded.error.code}${decoded.id ? '+id' : ''}`;
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
    }
    for (const expected of [
      'ok:REQUEST',
      'ok:PING',
      'BAD_REQUEST',
      'BAD_REQUEST+id',
      'UNSUPPORTED_VERSION',
      'UNSUPPORTED_VERSION+id',
      'IMAGE_TOO_LARGE+id',
    ]) {
      expect(outcomes.get(expected), `${expected} in ${JSON.stringify([...outcomes])}`).toBeGreaterThan(0);
    }
  });
});
