/**
 * Property: every message that an encoder builds from valid values decodes back to the same values,
 * on both sides of both sub-protocols.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CLIENT_HEADER,
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
  encodeResult,
  encodeTiming,
  encodeWorkerError,
  encodeWorkerReply,
  HEARTBEAT_MESSAGE,
  Limits,
  parseOptions,
  parseResult,
  WORKER_HEADER,
} from '../src/index.js';
import * as arb from './arbitraries.js';

/** The options object as it must come back: the same fields, without the undefined ones. */
const defined = (options: object | undefined) =>
  Object.fromEntries(Object.entries(options ?? {}).filter(([, v]) => v !== undefined));

describe('client sub-protocol round trips', () => {
  it('REQUEST', () => {
    fc.assert(
      fc.property(arb.id, arb.clientModel, arb.maybeOptions, arb.image, (requestId, model, options, image) => {
        const frames = encodeRequest(requestId, model, options, image);
        expect(frames).toHaveLength(6);
        expect(frames[0]).toEqual(CLIENT_HEADER);
        const decoded = decodeClientMessage(frames);
        expect(decoded).toEqual({
          ok: true,
          value: {
            command: 'REQUEST',
            requestId,
            requestIdFrame: Buffer.from(requestId, 'utf8'),
            model,
            options: defined(options),
            optionsFrame: encodeOptions(options),
            image,
          },
        });
      }),
    );
  });

  it('PING and PONG', () => {
    fc.assert(
      fc.property(arb.token, (token) => {
        expect(decodeClientMessage(encodePing(token))).toEqual({ ok: true, value: { command: 'PING', token } });
        expect(decodeBrokerToClient(encodePong(token))).toEqual({ ok: true, value: { command: 'PONG', token } });
      }),
    );
  });

  it('REPLY, with the id as a string or as the frame the client sent', () => {
    fc.assert(
      fc.property(arb.id, arb.bytes(2048), fc.boolean(), (requestId, result, asFrame) => {
        const idArg = asFrame ? Buffer.from(requestId, 'utf8') : requestId;
        expect(decodeBrokerToClient(encodeReply(idArg, result))).toEqual({
          ok: true,
          value: { command: 'REPLY', requestId, result },
        });
      }),
    );
  });

  it('ERROR', () => {
    fc.assert(
      fc.property(arb.id, arb.errorCode, arb.errorMessage, (requestId, code, message) => {
        expect(decodeBrokerToClient(encodeError(requestId, code, message))).toEqual({
          ok: true,
          value: { command: 'ERROR', requestId, code, message },
        });
      }),
    );
  });
});

describe('worker sub-protocol round trips', () => {
  it('READY', () => {
    fc.assert(
      fc.property(arb.workerModel, arb.workerInfo, (model, info) => {
        expect(decodeWorkerMessage(encodeReady(model, info))).toEqual({
          ok: true,
          value: { command: 'READY', model, info },
        });
      }),
    );
  });

  it('REQUEST (broker to worker), with the TIMING frame', () => {
    fc.assert(
      fc.property(
        arb.id,
        arb.maybeOptions,
        arb.uint32,
        arb.uint32,
        arb.image,
        (jobId, options, budgetMs, queuedMs, image) => {
          const frames = encodeJobRequest(jobId, encodeOptions(options), encodeTiming(budgetMs, queuedMs), image);
          expect(frames[0]).toEqual(WORKER_HEADER);
          expect(decodeBrokerToWorker(frames)).toEqual({
            ok: true,
            value: { command: 'REQUEST', jobId, options: defined(options), budgetMs, queuedMs, image },
          });
        },
      ),
    );
  });

  it('REPLY (worker to broker)', () => {
    fc.assert(
      fc.property(arb.id, arb.bytes(2048), (jobId, result) => {
        expect(decodeWorkerMessage(encodeWorkerReply(jobId, result))).toEqual({
          ok: true,
          value: { command: 'REPLY', jobId, result },
        });
      }),
    );
  });

  it('ERROR (worker to broker)', () => {
    fc.assert(
      fc.property(arb.id, arb.errorCode, arb.errorMessage, (jobId, code, message) => {
        expect(decodeWorkerMessage(encodeWorkerError(jobId, code, message))).toEqual({
          ok: true,
          value: { command: 'ERROR', jobId, code, message },
        });
      }),
    );
  });

  it('HEARTBEAT and DISCONNECT, both ways', () => {
    for (const decode of [decodeWorkerMessage, decodeBrokerToWorker]) {
      expect(decode(HEARTBEAT_MESSAGE)).toEqual({ ok: true, value: { command: 'HEARTBEAT' } });
      expect(decode(DISCONNECT_MESSAGE)).toEqual({ ok: true, value: { command: 'DISCONNECT' } });
    }
  });
});

describe('payload round trips', () => {
  it('options: a frame within the 4 KiB limit parses back to the same options, a bigger one is refused', () => {
    const bigOptions = arb.options.map((o) => ({
      ...o,
      classes: Array.from({ length: 300 }, (_, i) => `class-${i}`),
    }));
    fc.assert(
      fc.property(fc.oneof(arb.maybeOptions, bigOptions), (options) => {
        const frame = encodeOptions(options);
        const parsed = parseOptions(frame);
        if (frame.length <= Limits.MAX_OPTIONS_BYTES) {
          expect(parsed).toEqual({ ok: true, value: defined(options) });
        } else {
          expect(parsed.ok).toBe(false);
          expect(!parsed.ok && parsed.error.code).toBe('BAD_REQUEST');
        }
      }),
    );
  });

  it('options: empty or all-undefined options encode as an empty frame', () => {
    expect(encodeOptions(undefined)).toHaveLength(0);
    expect(encodeOptions({})).toHaveLength(0);
    expect(encodeOptions({ conf: undefined, classes: undefined })).toHaveLength(0);
    expect(parseOptions(Buffer.alloc(0))).toEqual({ ok: true, value: {} });
  });

  it('result JSON', () => {
    fc.assert(
      fc.property(arb.detectionResult, (result) => {
        expect(parseResult(encodeResult(result))).toEqual({ ok: true, value: result });
      }),
    );
  });

  it('TIMING frame: two uint32 big-endian values', () => {
    fc.assert(
      fc.property(arb.uint32, arb.uint32, (budgetMs, queuedMs) => {
        const frame = encodeTiming(budgetMs, queuedMs);
        expect(frame).toHaveLength(8);
        expect(frame.readUInt32BE(0)).toBe(budgetMs);
        expect(frame.readUInt32BE(4)).toBe(queuedMs);
      }),
    );
  });
});
