/** Examples of the worker sub-protocol's refusals and of the TIMING frame's clamping. */
import { describe, expect, it } from 'vitest';
import {
  CLIENT_HEADER,
  DISCONNECT_MESSAGE,
  decodeBrokerToWorker,
  decodeWorkerMessage,
  encodeJobRequest,
  encodeReady,
  encodeTiming,
  encodeWorkerError,
  encodeWorkerReply,
  HEARTBEAT_MESSAGE,
  Limits,
  WORKER_HEADER,
  WorkerCommand,
  type WorkerInfo,
} from '../src/index.js';

const INFO: WorkerInfo = { workerId: 'w-1', credit: 2, host: 'h', pid: 42, version: '0.1.0', concurrency: 1 };
const refusal = (code: string, id?: string) =>
  id === undefined
    ? { ok: false, error: { code, message: expect.any(String) } }
    : { ok: false, error: { code, message: expect.any(String) }, id };
const ready = (info: unknown, model = 'yolov8n_int8') => [
  WORKER_HEADER,
  Buffer.from([WorkerCommand.READY]),
  Buffer.from(model),
  Buffer.from(JSON.stringify(info)),
];
const messageOf = (decoded: { ok: boolean; error?: { message: string } }) => decoded.error?.message;

describe('decodeWorkerMessage', () => {
  it('a worker at another version gets UNSUPPORTED_VERSION, with no id to answer', () => {
    for (const version of [0, 2]) {
      const frames = encodeReady('m', INFO);
      frames[0] = Buffer.concat([WORKER_HEADER.subarray(0, 4), Buffer.from([version])]);
      expect(decodeWorkerMessage(frames)).toEqual(refusal('UNSUPPORTED_VERSION'));
    }
  });

  it('a client header on the worker socket is BAD_REQUEST', () => {
    const frames = encodeReady('m', INFO);
    frames[0] = CLIENT_HEADER;
    expect(decodeWorkerMessage(frames)).toEqual(refusal('BAD_REQUEST'));
  });

  it('READY: checks the model, the frame count and every info field', () => {
    expect(decodeWorkerMessage(ready(INFO)).ok).toBe(true);
    const { concurrency: _, ...withoutConcurrency } = INFO;
    expect(decodeWorkerMessage(ready(withoutConcurrency))).toEqual({
      ok: true,
      value: { command: 'READY', model: 'yolov8n_int8', info: withoutConcurrency },
    });
    expect(messageOf(decodeWorkerMessage(ready(INFO, '')))).toBe('READY must name a model');
    expect(decodeWorkerMessage(ready(INFO, 'm'.repeat(Limits.MAX_MODEL_NAME_BYTES + 1)))).toEqual(
      refusal('BAD_REQUEST'),
    );
    expect(messageOf(decodeWorkerMessage(ready(INFO).slice(0, 3)))).toBe('READY has 3 frames, expected 4');
    const cases: Array<[unknown, string]> = [
      [{ ...INFO, credit: 0 }, 'credit must be an integer from 1 to 1024'],
      [{ ...INFO, credit: 1025 }, 'credit must be an integer from 1 to 1024'],
      [{ ...INFO, credit: 1.5 }, 'credit must be an integer from 1 to 1024'],
      [{ ...INFO, credit: '2' }, 'credit must be an integer from 1 to 1024'],
      [{ ...INFO, workerId: '' }, 'workerId must be a string of 1..64 bytes'],
      [{ ...INFO, workerId: 'é'.repeat(33) }, 'workerId must be a string of 1..64 bytes'],
      [{ ...INFO, host: 7 }, 'host and info.version must be strings'],
      [{ ...INFO, pid: -1 }, 'pid must be a non-negative integer'],
      [{ ...INFO, concurrency: 0 }, 'concurrency must be a positive integer'],
      [[1, 2], 'workerId must be a string'],
      [null, 'READY info must be a JSON object'],
    ];
    for (const [info, message] of cases) {
      const decoded = decodeWorkerMessage(ready(info));
      expect(decoded).toEqual(refusal('BAD_REQUEST'));
      expect(messageOf(decoded)).toContain(message);
    }
    const notJson = ready(INFO);
    notJson[3] = Buffer.from('{workerId');
    expect(messageOf(decodeWorkerMessage(notJson))).toBe('READY info is not valid JSON');
    const huge = ready({ ...INFO, host: 'h'.repeat(5000) });
    expect(messageOf(decodeWorkerMessage(huge))).toContain('at most 4096 bytes');
  });

  it('READY: host and version are shortened to 256 and 64 characters', () => {
    const decoded = decodeWorkerMessage(ready({ ...INFO, host: 'h'.repeat(300), version: 'v'.repeat(100) }));
    expect(decoded.ok && decoded.value.command === 'READY' && decoded.value.info).toMatchObject({
      host: 'h'.repeat(256),
      version: 'v'.repeat(64),
    });
  });

  it('REPLY and ERROR with a wrong frame count name the job, so the broker can fail it', () => {
    const reply = [...encodeWorkerReply('j', Buffer.from('{}')), Buffer.alloc(1)];
    expect(decodeWorkerMessage(reply)).toEqual(refusal('BAD_REQUEST', 'j'));
    expect(messageOf(decodeWorkerMessage(reply))).toBe('REPLY has 5 frames, expected 4');
    const error = encodeWorkerError('j', 'INTERNAL', 'x').slice(0, 4);
    expect(decodeWorkerMessage(error)).toEqual(refusal('BAD_REQUEST', 'j'));
  });

  it('REPLY: needs a job id and a result of at most 1 MiB', () => {
    expect(decodeWorkerMessage(encodeWorkerReply('', Buffer.from('{}')))).toEqual(refusal('BAD_REQUEST'));
    expect(decodeWorkerMessage(encodeWorkerReply('j', Buffer.alloc(Limits.MAX_RESULT_BYTES + 1)))).toEqual(
      refusal('BAD_REQUEST', 'j'),
    );
    expect(decodeWorkerMessage(encodeWorkerReply('j', Buffer.alloc(Limits.MAX_RESULT_BYTES))).ok).toBe(true);
  });

  it('ERROR: an unknown code or an over-long message is BAD_REQUEST naming the job', () => {
    const unknown = encodeWorkerError('j', 'INTERNAL', 'x');
    unknown[3] = Buffer.from('OOPS');
    expect(decodeWorkerMessage(unknown)).toEqual(refusal('BAD_REQUEST', 'j'));
    expect(messageOf(decodeWorkerMessage(unknown))).toBe('ERROR carries an unknown code "OOPS"');
    const long = encodeWorkerError('j', 'INTERNAL', 'x');
    long[4] = Buffer.alloc(Limits.MAX_ERROR_MESSAGE_BYTES + 1, 0x61);
    expect(decodeWorkerMessage(long)).toEqual(refusal('BAD_REQUEST', 'j'));
  });

  it('HEARTBEAT and DISCONNECT take no extra frames', () => {
    expect(decodeWorkerMessage([...HEARTBEAT_MESSAGE, Buffer.alloc(0)])).toEqual(refusal('BAD_REQUEST'));
    expect(decodeWorkerMessage([...DISCONNECT_MESSAGE, Buffer.alloc(0)])).toEqual(refusal('BAD_REQUEST'));
  });

  it('a broker-to-worker REQUEST, or an unknown command, is BAD_REQUEST on the broker side', () => {
    const job = encodeJobRequest('j', Buffer.alloc(0), encodeTiming(1, 0), Buffer.from('x'));
    expect(decodeWorkerMessage(job)).toEqual(refusal('BAD_REQUEST'));
    for (const command of [0x00, 0x07, 0xff]) {
      const decoded = decodeWorkerMessage([WORKER_HEADER, Buffer.from([command])]);
      expect(messageOf(decoded)).toBe(`unknown worker command 0x${command.toString(16).padStart(2, '0')}`);
    }
  });
});

describe('decodeBrokerToWorker', () => {
  const job = (timing: Buffer = encodeTiming(500, 20), options = Buffer.alloc(0)) =>
    encodeJobRequest('job-1', options, timing, Buffer.from([1, 2, 3]));

  it('REQUEST: the TIMING frame must be 8 bytes', () => {
    for (const timing of [Buffer.alloc(0), Buffer.alloc(7), Buffer.alloc(9)]) {
      const decoded = decodeBrokerToWorker(job(timing));
      expect(decoded).toEqual(refusal('BAD_REQUEST', 'job-1'));
      expect(messageOf(decoded)).toBe('REQUEST timing frame must be 8 bytes');
    }
  });

  it('REQUEST: an empty image is INVALID_IMAGE naming the job', () => {
    const frames = encodeJobRequest('job-1', Buffer.alloc(0), encodeTiming(1, 0), Buffer.alloc(0));
    expect(decodeBrokerToWorker(frames)).toEqual(refusal('INVALID_IMAGE', 'job-1'));
  });

  it('REQUEST: bad options or a wrong frame count name the job; an unreadable job id names nothing', () => {
    expect(decodeBrokerToWorker(job(undefined, Buffer.from('{"nope":1}')))).toEqual(refusal('BAD_REQUEST', 'job-1'));
    const short = decodeBrokerToWorker(job().slice(0, 5));
    expect(short).toEqual(refusal('BAD_REQUEST', 'job-1'));
    expect(messageOf(short)).toBe('REQUEST has 5 frames, expected 6');
    const noId = job();
    noId[2] = Buffer.alloc(65, 0x6a);
    expect(decodeBrokerToWorker(noId)).toEqual(refusal('BAD_REQUEST'));
  });

  it('a worker at version 1 refuses a broker at another version', () => {
    const frames = job();
    frames[0] = Buffer.from('YMQW\x02', 'latin1');
    expect(decodeBrokerToWorker(frames)).toEqual(refusal('UNSUPPORTED_VERSION'));
  });

  it('refuses worker-to-broker commands', () => {
    expect(decodeBrokerToWorker(encodeReady('m', INFO))).toEqual(refusal('BAD_REQUEST'));
    expect(decodeBrokerToWorker(encodeWorkerReply('j', Buffer.from('{}')))).toEqual(refusal('BAD_REQUEST'));
  });
});

describe('encodeTiming', () => {
  it('rounds, and clamps to 0..2^32-1 (negative, NaN and huge values never throw)', () => {
    const read = (f: Buffer) => [f.readUInt32BE(0), f.readUInt32BE(4)];
    expect(read(encodeTiming(12.4, 12.6))).toEqual([12, 13]);
    expect(read(encodeTiming(-5, -0.2))).toEqual([0, 0]);
    expect(read(encodeTiming(2 ** 40, Number.POSITIVE_INFINITY))).toEqual([0xffffffff, 0xffffffff]);
    expect(read(encodeTiming(Number.NaN, Number.NaN))).toEqual([0, 0]);
  });
});
