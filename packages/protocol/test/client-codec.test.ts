/** Examples of the client sub-protocol's refusals: each bad input gets its code, a message and, where readable, the id. */
import { describe, expect, it } from 'vitest';
import {
  CLIENT_HEADER,
  ClientCommand,
  decodeBrokerToClient,
  decodeClientMessage,
  encodeError,
  encodePing,
  encodeRequest,
  Limits,
  WORKER_HEADER,
} from '../src/index.js';

const IMAGE = Buffer.from([0xff, 0xd8, 0xff, 0xd9]);
const request = (options?: string, image: Buffer = IMAGE) => {
  const frames = encodeRequest('req-1', 'yolov8n_int8', undefined, image);
  if (options !== undefined) frames[4] = Buffer.from(options, 'utf8');
  return frames;
};
const withVersion = (header: Buffer, version: number) => Buffer.concat([header.subarray(0, 4), Buffer.from([version])]);
const refusal = (code: string, id?: string) =>
  id === undefined
    ? { ok: false, error: { code, message: expect.any(String) } }
    : { ok: false, error: { code, message: expect.any(String) }, id };

describe('decodeClientMessage: header and version', () => {
  it('a REQUEST at another version gets UNSUPPORTED_VERSION naming its request id', () => {
    for (const version of [0, 2, 255]) {
      const frames = request();
      frames[0] = withVersion(CLIENT_HEADER, version);
      const decoded = decodeClientMessage(frames);
      expect(decoded).toEqual(refusal('UNSUPPORTED_VERSION', 'req-1'));
      expect(!decoded.ok && decoded.error.message).toContain(`protocol version ${version}`);
    }
  });

  it('a REQUEST at another version with another frame count still names its id (frames 0..2 are fixed)', () => {
    const frames = [withVersion(CLIENT_HEADER, 2), Buffer.from([ClientCommand.REQUEST]), Buffer.from('req-9')];
    expect(decodeClientMessage(frames)).toEqual(refusal('UNSUPPORTED_VERSION', 'req-9'));
  });

  it('another version with an unreadable id, or a command other than REQUEST, names no id', () => {
    const longId = request();
    longId[0] = withVersion(CLIENT_HEADER, 2);
    longId[2] = Buffer.alloc(Limits.MAX_ID_BYTES + 1, 0x61);
    expect(decodeClientMessage(longId)).toEqual(refusal('UNSUPPORTED_VERSION'));
    const ping = encodePing(Buffer.from('t'));
    ping[0] = withVersion(CLIENT_HEADER, 2);
    expect(decodeClientMessage(ping)).toEqual(refusal('UNSUPPORTED_VERSION'));
    expect(decodeClientMessage([withVersion(CLIENT_HEADER, 2)])).toEqual(refusal('UNSUPPORTED_VERSION'));
  });

  it('a frame 0 that is not a YMQC header is BAD_REQUEST and never names an id', () => {
    for (const header of [WORKER_HEADER, Buffer.from('YMQC'), Buffer.from('YMQC\x01\x00'), Buffer.alloc(0)]) {
      const frames = request();
      frames[0] = header;
      expect(decodeClientMessage(frames)).toEqual(refusal('BAD_REQUEST'));
    }
    expect(decodeClientMessage([])).toEqual(refusal('BAD_REQUEST'));
  });

  it('a missing, long or unknown command is BAD_REQUEST', () => {
    expect(decodeClientMessage([CLIENT_HEADER])).toEqual(refusal('BAD_REQUEST'));
    expect(decodeClientMessage([CLIENT_HEADER, Buffer.from([1, 1])])).toEqual(refusal('BAD_REQUEST'));
    for (const command of [0x00, ClientCommand.REPLY, ClientCommand.PONG, 0x06, 0xff]) {
      const decoded = decodeClientMessage([CLIENT_HEADER, Buffer.from([command]), Buffer.from('x')]);
      expect(decoded).toEqual(refusal('BAD_REQUEST'));
      expect(!decoded.ok && decoded.error.message).toContain(`0x${command.toString(16).padStart(2, '0')}`);
    }
  });
});

describe('decodeClientMessage: REQUEST', () => {
  it('accepts the default model and default options as empty frames', () => {
    const decoded = decodeClientMessage(encodeRequest('a', '', undefined, IMAGE));
    expect(decoded.ok && decoded.value).toMatchObject({ requestId: 'a', model: '', options: {} });
  });

  it('request id: 1..64 bytes; outside that the message is BAD_REQUEST without an id', () => {
    const at64 = request();
    at64[2] = Buffer.alloc(64, 0x62);
    expect(decodeClientMessage(at64).ok).toBe(true);
    for (const bad of [Buffer.alloc(0), Buffer.alloc(65, 0x62)]) {
      const frames = request();
      frames[2] = bad;
      const decoded = decodeClientMessage(frames);
      expect(decoded).toEqual(refusal('BAD_REQUEST'));
      expect(!decoded.ok && decoded.error.message).toContain('request id must be 1..64 bytes');
    }
  });

  it('a wrong frame count is BAD_REQUEST naming the id and the count', () => {
    const short = request().slice(0, 5);
    const decoded = decodeClientMessage(short);
    expect(decoded).toEqual(refusal('BAD_REQUEST', 'req-1'));
    expect(!decoded.ok && decoded.error.message).toBe('REQUEST has 5 frames, expected 6');
    expect(decodeClientMessage([...request(), Buffer.from('x')])).toEqual(refusal('BAD_REQUEST', 'req-1'));
  });

  it('a model name over 128 bytes is BAD_REQUEST naming the id', () => {
    const frames = request();
    frames[3] = Buffer.alloc(Limits.MAX_MODEL_NAME_BYTES + 1, 0x6d);
    expect(decodeClientMessage(frames)).toEqual(refusal('BAD_REQUEST', 'req-1'));
    frames[3] = Buffer.alloc(Limits.MAX_MODEL_NAME_BYTES, 0x6d);
    expect(decodeClientMessage(frames).ok).toBe(true);
  });

  it('an unknown option key is BAD_REQUEST naming the key and the request', () => {
    const decoded = decodeClientMessage(request('{"conf":0.5,"confidence":0.5}'));
    expect(decoded).toEqual(refusal('BAD_REQUEST', 'req-1'));
    expect(!decoded.ok && decoded.error.message).toBe('unknown option "confidence"');
  });

  it('an out-of-range conf is BAD_REQUEST naming the option', () => {
    for (const conf of ['1.5', '-0.1', '"0.5"', 'null', '1e400']) {
      const decoded = decodeClientMessage(request(`{"conf":${conf}}`));
      expect(decoded).toEqual(refusal('BAD_REQUEST', 'req-1'));
      expect(!decoded.ok && decoded.error.message).toBe('option conf must be a number between 0 and 1');
    }
    expect(decodeClientMessage(request('{"conf":0}')).ok).toBe(true);
    expect(decodeClientMessage(request('{"conf":1}')).ok).toBe(true);
  });

  it('an options frame that is not JSON, or too big, is BAD_REQUEST naming the request', () => {
    expect(decodeClientMessage(request('{conf:0.5}'))).toEqual(refusal('BAD_REQUEST', 'req-1'));
    expect(decodeClientMessage(request(' '.repeat(Limits.MAX_OPTIONS_BYTES + 1)))).toEqual(
      refusal('BAD_REQUEST', 'req-1'),
    );
  });

  it('an empty image is INVALID_IMAGE naming the request', () => {
    const decoded = decodeClientMessage(request(undefined, Buffer.alloc(0)));
    expect(decoded).toEqual(refusal('INVALID_IMAGE', 'req-1'));
    expect(!decoded.ok && decoded.error.message).toBe('image frame is empty');
  });

  it('an image over the limit is IMAGE_TOO_LARGE naming the request; one at the limit passes', () => {
    const limits = { maxImageBytes: 100 };
    expect(decodeClientMessage(request(undefined, Buffer.alloc(100, 1)), limits).ok).toBe(true);
    const decoded = decodeClientMessage(request(undefined, Buffer.alloc(101, 1)), limits);
    expect(decoded).toEqual(refusal('IMAGE_TOO_LARGE', 'req-1'));
    expect(!decoded.ok && decoded.error.message).toBe('image is 101 bytes, over the limit of 100');
  });

  it('the default image limit is 32 MiB', () => {
    const big = Buffer.alloc(Limits.DEFAULT_MAX_IMAGE_BYTES + 1);
    expect(decodeClientMessage(request(undefined, big))).toEqual(refusal('IMAGE_TOO_LARGE', 'req-1'));
    expect(decodeClientMessage(request(undefined, big.subarray(1))).ok).toBe(true);
  });

  it('checks in frame order: a bad option is reported before a bad image', () => {
    const decoded = decodeClientMessage(request('{"x":1}', Buffer.alloc(0)));
    expect(!decoded.ok && decoded.error.code).toBe('BAD_REQUEST');
  });
});

describe('decodeClientMessage: PING', () => {
  it('takes a token of 0..64 bytes and refuses a longer token or a missing frame', () => {
    expect(decodeClientMessage(encodePing(Buffer.alloc(0))).ok).toBe(true);
    expect(decodeClientMessage(encodePing(Buffer.alloc(64))).ok).toBe(true);
    expect(decodeClientMessage(encodePing(Buffer.alloc(65)))).toEqual(refusal('BAD_REQUEST'));
    expect(decodeClientMessage([CLIENT_HEADER, Buffer.from([ClientCommand.PING])])).toEqual(refusal('BAD_REQUEST'));
  });
});

describe('decodeBrokerToClient', () => {
  it('a REPLY or ERROR with a wrong frame count names the request, so the client can end it', () => {
    const reply = decodeBrokerToClient([CLIENT_HEADER, Buffer.from([ClientCommand.REPLY]), Buffer.from('req-1')]);
    expect(reply).toEqual(refusal('BAD_REQUEST', 'req-1'));
    expect(!reply.ok && reply.error.message).toBe('REPLY has 3 frames, expected 4');
    const error = encodeError('req-1', 'INTERNAL', 'x').slice(0, 4);
    expect(decodeBrokerToClient(error)).toEqual(refusal('BAD_REQUEST', 'req-1'));
    const noId = decodeBrokerToClient([
      CLIENT_HEADER,
      Buffer.from([ClientCommand.REPLY]),
      Buffer.alloc(0),
      Buffer.from('{}'),
    ]);
    expect(noId).toEqual(refusal('BAD_REQUEST'));
  });

  it('an ERROR with an unknown code is BAD_REQUEST naming the code and the request', () => {
    const frames = encodeError('req-1', 'INTERNAL', 'boom');
    frames[3] = Buffer.from('NOT_A_CODE');
    const decoded = decodeBrokerToClient(frames);
    expect(decoded).toEqual(refusal('BAD_REQUEST', 'req-1'));
    expect(!decoded.ok && decoded.error.message).toBe('ERROR carries an unknown code "NOT_A_CODE"');
  });

  it('an ERROR message frame over 1 KiB is BAD_REQUEST saying so', () => {
    const frames = encodeError('req-1', 'INTERNAL', 'boom');
    frames[4] = Buffer.alloc(Limits.MAX_ERROR_MESSAGE_BYTES + 1, 0x61);
    const decoded = decodeBrokerToClient(frames);
    expect(decoded).toEqual(refusal('BAD_REQUEST', 'req-1'));
    expect(!decoded.ok && decoded.error.message).toBe('ERROR message is 1025 bytes, over the limit of 1024');
  });

  it('refuses client-to-broker commands and messages of the worker sub-protocol', () => {
    expect(decodeBrokerToClient(request())).toEqual(refusal('BAD_REQUEST'));
    expect(decodeBrokerToClient(encodePing(Buffer.alloc(1)))).toEqual(refusal('BAD_REQUEST'));
    expect(
      decodeBrokerToClient([WORKER_HEADER, Buffer.from([ClientCommand.REPLY]), Buffer.from('a'), Buffer.from('{}')]),
    ).toEqual(refusal('BAD_REQUEST'));
    const otherVersion = encodeError('a', 'INTERNAL', 'x');
    otherVersion[0] = withVersion(CLIENT_HEADER, 2);
    expect(decodeBrokerToClient(otherVersion)).toEqual(refusal('UNSUPPORTED_VERSION'));
  });
});
