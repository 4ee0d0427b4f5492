/**
 * The desired-workers PUB message (SPEC.md §11.10): round trip, every malformed form refused with a
 * BAD_REQUEST, and no input whatsoever makes the decoder throw.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DESIRED_TOPIC, decodeDesired, ErrorCode, encodeDesired } from '../src/index.js';

const SPEC = readFileSync(new URL('../SPEC.md', import.meta.url), 'utf8');
const b = (text: string) => Buffer.from(text, 'utf8');

describe('desired-workers messages', () => {
  it('round-trips a decision with its measurements', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 40 }),
        fc.nat(10_000),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        (model, desiredWorkers, ongoing) => {
          const decoded = decodeDesired(encodeDesired({ model, desiredWorkers, ongoing, reason: 'r' }));
          expect(decoded).toEqual({
            ok: true,
            value: { model, desiredWorkers, ongoing: Object.is(ongoing, -0) ? 0 : ongoing, reason: 'r' },
          });
        },
      ),
    );
  });

  it.each([
    ['two frames', [b(DESIRED_TOPIC), b('m')], /3 frames/],
    ['another topic', [b('yolomq.other'), b('m'), b('{"desiredWorkers":1}')], /topic/],
    ['an empty model', [b(DESIRED_TOPIC), b(''), b('{"desiredWorkers":1}')], /model name/],
    ['an oversized model', [b(DESIRED_TOPIC), b('m'.repeat(129)), b('{"desiredWorkers":1}')], /model name/],
    ['no JSON', [b(DESIRED_TOPIC), b('m'), b('not json')], /not JSON/],
    ['a JSON array', [b(DESIRED_TOPIC), b('m'), b('[1]')], /JSON object/],
    ['a negative count', [b(DESIRED_TOPIC), b('m'), b('{"desiredWorkers":-1}')], /whole number/],
    ['a fractional count', [b(DESIRED_TOPIC), b('m'), b('{"desiredWorkers":1.5}')], /whole number/],
    ['a count as text', [b(DESIRED_TOPIC), b('m'), b('{"desiredWorkers":"2"}')], /whole number/],
  ])('refuses %s with BAD_REQUEST', (_what, frames, message) => {
    const decoded = decodeDesired(frames);
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) {
      expect(decoded.error.code).toBe(ErrorCode.BAD_REQUEST);
      expect(decoded.error.message).toMatch(message);
    }
  });

  it('never throws on random frames', () => {
    const frame = fc.oneof(
      fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
      fc.constant(b(DESIRED_TOPIC)),
    );
    fc.assert(
      fc.property(fc.array(frame, { maxLength: 5 }), (frames) => {
        expect(typeof decodeDesired(frames).ok).toBe('boolean');
      }),
    );
  });

  it('is documented in SPEC.md with its topic', () => {
    expect(SPEC).toContain('### 11.10 Desired worker counts (PUB)');
    expect(SPEC).toContain(`\`${DESIRED_TOPIC}\``);
  });
});
