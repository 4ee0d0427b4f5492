/**
 * Keeps SPEC.md honest: its command tables, error-code table, option table and worked examples are
 * checked against the codec, so the document cannot drift from the code unnoticed.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ClientCommand,
  decodeClientMessage,
  ErrorCode,
  encodeError,
  encodeJobRequest,
  encodeOptions,
  encodeRequest,
  encodeTiming,
  parseOptions,
  parseResult,
  WorkerCommand,
} from '../src/index.js';

const SPEC = readFileSync(new URL('../SPEC.md', import.meta.url), 'utf8');

/** The text of the section that starts with this heading, up to the next heading of the same or higher level. */
function section(heading: string): string {
  const start = SPEC.indexOf(`\n${heading}`);
  expect(start, `SPEC.md has a heading "${heading}"`).toBeGreaterThan(0);
  const level = heading.split(' ')[0]!;
  const rest = SPEC.slice(start + heading.length + 1);
  const next = rest.search(new RegExp(`\\n#{1,${level.length}} `));
  return next < 0 ? rest : rest.slice(0, next);
}

/** The fenced block that follows an `<!-- example: name -->` marker. */
function example(name: string): string {
  const marker = SPEC.indexOf(`<!-- example: ${name} -->`);
  expect(marker, `SPEC.md has the example "${name}"`).toBeGreaterThan(0);
  const open = SPEC.indexOf('```', marker);
  const body = SPEC.indexOf('\n', open) + 1;
  return SPEC.slice(body, SPEC.indexOf('```', body));
}

/** The frames of a "frame N  hex hex ..." listing. */
function framesOf(listing: string): Buffer[] {
  return [...listing.matchAll(/^frame (\d+) +((?:[0-9a-f]{2} )*[0-9a-f]{2})/gm)].map((m, i) => {
    expect(Number(m[1])).toBe(i);
    return Buffer.from(m[2]!.replaceAll(' ', ''), 'hex');
  });
}

const hex = (frames: Buffer[]) => frames.map((f) => f.toString('hex'));
const IMAGE = Buffer.from([0xff, 0xd8, 0xff, 0xd9]);

describe('SPEC.md agrees with the codec', () => {
  it('lists exactly the client commands, with their codes', () => {
    const rows = [...section('### 5.1 Commands').matchAll(/^\| 0x([0-9a-f]{2}) +\| (\w+) /gm)];
    expect(Object.fromEntries(rows.map((m) => [m[2], Number.parseInt(m[1]!, 16)]))).toEqual(ClientCommand);
  });

  it('lists exactly the worker commands, with their codes', () => {
    const rows = [...section('### 6.1 Commands').matchAll(/^\| 0x([0-9a-f]{2}) +\| (\w+) /gm)];
    expect(Object.fromEntries(rows.map((m) => [m[2], Number.parseInt(m[1]!, 16)]))).toEqual(WorkerCommand);
  });

  it('lists exactly the error codes', () => {
    const codes = [...section('## 9. Error codes').matchAll(/^\| `([A-Z_]+)` +\|/gm)].map((m) => m[1]);
    expect(codes.sort()).toEqual(Object.values(ErrorCode).sort());
  });

  it('lists exactly the options the validator accepts, and its example options are valid', () => {
    const text = section('## 7. Options');
    const keys = [...text.matchAll(/^\| `(\w+)` +\|/gm)].map((m) => m[1]!);
    expect(keys.sort()).toEqual(['classes', 'conf', 'iou', 'maxDetections', 'timeoutMs']);
    for (const key of keys) expect(parseOptions(Buffer.from(`{"${key}":{}}`)).ok).toBe(false);
    const sample = /Example: `(\{.*\})`/.exec(text)?.[1];
    expect(sample).toBeDefined();
    expect(parseOptions(Buffer.from(sample!)).ok).toBe(true);
  });

  it('its result example is a valid result', () => {
    expect(parseResult(Buffer.from(example('result'))).ok).toBe(true);
  });

  it('its client REQUEST example is what encodeRequest builds', () => {
    const frames = encodeRequest('r1', 'yolov8n_int8', { conf: 0.5 }, IMAGE);
    expect(hex(framesOf(example('client REQUEST')))).toEqual(hex(frames));
  });

  it('its ZMTP bytes are the REQUEST frames with short-frame flags and lengths', () => {
    const frames = encodeRequest('r1', 'yolov8n_int8', { conf: 0.5 }, IMAGE);
    const wire = frames.map((f, i) => Buffer.concat([Buffer.from([i < frames.length - 1 ? 1 : 0, f.length]), f]));
    const listed = example('client REQUEST on the wire')
      .trim()
      .split('\n')
      .map((line) => line.replaceAll(' ', ''));
    expect(listed).toEqual(hex(wire));
  });

  it('its worker REQUEST example is what encodeJobRequest builds', () => {
    const frames = encodeJobRequest('j1', encodeOptions({ conf: 0.5 }), encodeTiming(29998, 2), IMAGE);
    expect(hex(framesOf(example('worker REQUEST')))).toEqual(hex(frames));
  });

  it('its ERROR example is the answer to that REQUEST with an empty image', () => {
    const decoded = decodeClientMessage(encodeRequest('r1', 'yolov8n_int8', { conf: 0.5 }, Buffer.alloc(0)));
    expect(decoded.ok).toBe(false);
    if (decoded.ok) return;
    const answer = encodeError(decoded.id!, decoded.error.code, decoded.error.message);
    expect(hex(framesOf(example('client ERROR')))).toEqual(hex(answer));
  });
});
