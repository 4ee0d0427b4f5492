/** Header checks and UTF-8-safe truncation of error messages. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkHeader, clampUtf8 } from '../src/frames.js';
import {
  CLIENT_HEADER,
  decodeBrokerToClient,
  encodeError,
  encodeWorkerError,
  Limits,
  WORKER_HEADER,
} from '../src/index.js';
import * as arb from './arbitraries.js';

describe('headers', () => {
  it('are the ASCII signature and version byte 1', () => {
    expect(CLIENT_HEADER.toString('hex')).toBe('594d514301');
    expect(WORKER_HEADER.toString('hex')).toBe('594d515701');
  });

  it('checkHeader tells another version from another protocol', () => {
    expect(checkHeader(CLIENT_HEADER, 'YMQC')).toBeUndefined();
    expect(checkHeader(Buffer.from('YMQC\x02', 'latin1'), 'YMQC')?.code).toBe('UNSUPPORTED_VERSION');
    expect(checkHeader(WORKER_HEADER, 'YMQC')?.code).toBe('BAD_REQUEST');
    expect(checkHeader(undefined, 'YMQC')?.code).toBe('BAD_REQUEST');
  });
});

describe('error message truncation', () => {
  it('cuts at a UTF-8 character boundary, never inside a character', () => {
    // 'é' is 2 bytes, '€' 3, '😀' 4: a 1024-byte cut lands inside the character in each case.
    const cases: Array<[string, number]> = [
      [`a${'é'.repeat(600)}`, 1023],
      [`${'€'.repeat(400)}`, 1023],
      [`ab${'😀'.repeat(300)}`, 1022],
    ];
    for (const [message, expectedBytes] of cases) {
      for (const frames of [encodeError('r', 'INTERNAL', message), encodeWorkerError('r', 'INTERNAL', message)]) {
        const frame = frames[4]!;
        expect(frame.length).toBe(expectedBytes);
        const decoded = frame.toString('utf8');
        expect(decoded).not.toContain('\ufffd');
        expect(message.startsWith(decoded)).toBe(true);
      }
    }
  });

  it('keeps a message of exactly 1024 bytes whole', () => {
    const message = 'x'.repeat(Limits.MAX_ERROR_MESSAGE_BYTES);
    const decoded = decodeBrokerToClient(encodeError('r', 'INTERNAL', message));
    expect(decoded.ok && decoded.value.command === 'ERROR' && decoded.value.message).toBe(message);
  });

  it('property: the longest whole-character prefix that fits', () => {
    fc.assert(
      fc.property(arb.text(0, 400), fc.integer({ min: 0, max: 1100 }), (message, maxBytes) => {
        const out = clampUtf8(message, maxBytes);
        const kept = out.toString('utf8');
        expect(out.length).toBeLessThanOrEqual(maxBytes);
        expect(message.startsWith(kept)).toBe(true);
        expect(Buffer.from(kept, 'utf8').equals(out)).toBe(true);
        const next = [...message.slice(kept.length)][0];
        if (next !== undefined) expect(out.length + Buffer.byteLength(next)).toBeGreaterThan(maxBytes);
      }),
    );
  });

  it('a truncated message still decodes on the other side', () => {
    const decoded = decodeBrokerToClient(encodeError('r', 'WORKER_FAILED', '😀'.repeat(1000)));
    expect(decoded.ok && decoded.value.command === 'ERROR' && decoded.value.message).toBe('😀'.repeat(256));
  });
});
