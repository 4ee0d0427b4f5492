/** The OPTIONS frame: strict validation, each field's range, defaults as an empty frame. */
import { describe, expect, it } from 'vitest';
import { OPTION_BOUNDS, parseOptions, validateOptions } from '../src/index.js';

const parse = (json: string) => parseOptions(Buffer.from(json, 'utf8'));
const messageOf = (r: ReturnType<typeof parseOptions>) => (r.ok ? undefined : r.error.message);

describe('parseOptions', () => {
  it('accepts every field at its bounds', () => {
    const options = {
      conf: 0,
      iou: 1,
      classes: [0, OPTION_BOUNDS.classes.maxId, 'person', 'x'.repeat(64)],
      maxDetections: 10_000,
      timeoutMs: 3_600_000,
    };
    expect(parse(JSON.stringify(options))).toEqual({ ok: true, value: options });
    expect(parse('{"maxDetections":1,"timeoutMs":1,"classes":[]}').ok).toBe(true);
  });

  it('refuses an unknown key, naming it (typos never pass silently)', () => {
    expect(messageOf(parse('{"conf":0.5,"maxDetection":5}'))).toBe('unknown option "maxDetection"');
    expect(messageOf(parse('{"__proto__":{}}'))).toBe('unknown option "__proto__"');
  });

  it('refuses out-of-range or mistyped conf and iou', () => {
    for (const key of ['conf', 'iou']) {
      for (const value of [-0.01, 1.01, '"0.5"', 'true', 'null', '[]']) {
        const result = parse(`{"${key}":${value}}`);
        expect(result.ok ? 'ok' : result.error.code).toBe('BAD_REQUEST');
        expect(messageOf(result)).toBe(`option ${key} must be a number between 0 and 1`);
      }
    }
  });

  it('refuses non-integer or out-of-range maxDetections and timeoutMs', () => {
    const cases: Array<[string, unknown]> = [
      ['maxDetections', 0],
      ['maxDetections', 10_001],
      ['maxDetections', 2.5],
      ['timeoutMs', 0],
      ['timeoutMs', 3_600_001],
      ['timeoutMs', '100'],
    ];
    for (const [key, value] of cases) {
      const { min, max } = OPTION_BOUNDS[key as 'timeoutMs'];
      expect(messageOf(parse(JSON.stringify({ [key]: value })))).toBe(
        `option ${key} must be an integer from ${min} to ${max}`,
      );
    }
  });

  it('refuses bad class lists', () => {
    for (const classes of ['5', '[-1]', '[65536]', '[1.5]', '[""]', `["${'x'.repeat(65)}"]`, '[null]', '[[1]]']) {
      expect(parse(`{"classes":${classes}}`).ok).toBe(false);
    }
    expect(messageOf(parse(`{"classes":${JSON.stringify(Array(1001).fill(1))}}`))).toContain('at most 1000');
  });

  it('refuses a frame that is not a JSON object, or over 4 KiB', () => {
    for (const frame of ['nope', '[]', 'null', '3', '"conf"', '{"conf":0.5']) {
      expect(parse(frame).ok).toBe(false);
    }
    expect(messageOf(parse(' '.repeat(4097)))).toBe('options frame is over 4096 bytes');
    expect(parse(`${' '.repeat(4094)}{}`).ok).toBe(true);
  });

  it('treats an empty frame and an empty object as all defaults', () => {
    expect(parseOptions(Buffer.alloc(0))).toEqual({ ok: true, value: {} });
    expect(parse('{}')).toEqual({ ok: true, value: {} });
  });

  it('validateOptions checks already-parsed values the same way', () => {
    expect(validateOptions({ conf: 0.3 })).toEqual({ ok: true, value: { conf: 0.3 } });
    expect(validateOptions({ conf: Number.NaN }).ok).toBe(false);
    expect(validateOptions({ conf: Number.POSITIVE_INFINITY }).ok).toBe(false);
    expect(validateOptions(undefined).ok).toBe(false);
  });
});
