/** Model-side pure code: float16 conversion, class names, ONNX metadata, input description. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  chooseClassNames,
  describeInput,
  float16Table,
  fromFloat16Bits,
  parseImgsz,
  parseNamesFile,
  parseNamesLiteral,
  readOnnxMetadata,
  toFloat16Bits,
} from '../src/model/index.js';
import { COCO80 } from '../src/yolo/coco.js';

const MODELS = resolve(__dirname, '../../../../shared/models');

describe('float16', () => {
  it('converts known values both ways', () => {
    const cases: Array<[number, number]> = [
      [0, 0x0000],
      [1, 0x3c00],
      [-2, 0xc000],
      [0.5, 0x3800],
      [65504, 0x7bff],
      [2 ** -24, 0x0001],
      [2 ** -14, 0x0400],
      [Number.POSITIVE_INFINITY, 0x7c00],
    ];
    for (const [value, bits] of cases) {
      expect(toFloat16Bits(value)).toBe(bits);
      expect(fromFloat16Bits(bits)).toBe(value);
    }
    expect(toFloat16Bits(1e6)).toBe(0x7c00);
    expect(toFloat16Bits(-0)).toBe(0x8000);
    expect(Number.isNaN(fromFloat16Bits(toFloat16Bits(Number.NaN)))).toBe(true);
  });

  it('rounds to nearest, ties to even', () => {
    // 1 + 2^-11 is halfway between 1 and the next half (1 + 2^-10): ties to even -> 1
    expect(toFloat16Bits(1 + 2 ** -11)).toBe(0x3c00);
    expect(toFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(toFloat16Bits(1 + 2 ** -11 + 2 ** -20)).toBe(0x3c01);
    expect(toFloat16Bits(65520)).toBe(0x7c00); // rounds up to infinity
    expect(toFloat16Bits(3 * 2 ** -26)).toBe(0x0001); // subnormal rounding
  });

  it('round-trips every finite float16 value', () => {
    const table = float16Table();
    for (let bits = 0; bits < 65536; bits++) {
      const exp = (bits >> 10) & 0x1f;
      if (exp === 0x1f) continue;
      expect(toFloat16Bits(table[bits]!)).toBe(bits);
    }
  });
});

describe('class names', () => {
  it('parses the Python dict Ultralytics writes, with either quote and escapes', () => {
    const r = parseNamesLiteral(`{0: 'person', 1: "it's", 2: 'a\\'b', 3: 'caf\\xe9'}`);
    expect(r).toEqual({ ok: true, names: ['person', "it's", "a'b", 'café'] });
  });

  it('parses JSON objects and lists', () => {
    expect(parseNamesLiteral('{"0": "a", "1": "b"}')).toEqual({ ok: true, names: ['a', 'b'] });
    expect(parseNamesLiteral('["a", "b"]')).toEqual({ ok: true, names: ['a', 'b'] });
  });

  it('refuses gaps and garbage', () => {
    expect(parseNamesLiteral("{0: 'a', 2: 'b'}").ok).toBe(false);
    expect(parseNamesLiteral("{0: 'a'").ok).toBe(false);
    expect(parseNamesLiteral('person').ok).toBe(false);
  });

  it('reads names files: one per line or a literal', () => {
    expect(parseNamesFile('cat\n\ndog\r\n')).toEqual({ ok: true, names: ['cat', 'dog'] });
    expect(parseNamesFile("{0: 'cat'}")).toEqual({ ok: true, names: ['cat'] });
    expect(parseNamesFile('  \n').ok).toBe(false);
  });

  it('chooses metadata, then the file, then COCO-80 for 80 classes, then class_<id>', () => {
    expect(chooseClassNames(2, ['a', 'b'], ['x', 'y'])).toEqual({ names: ['a', 'b'], source: 'metadata' });
    expect(chooseClassNames(3, undefined, ['x', 'y'])).toEqual({ names: ['x', 'y', 'class_2'], source: 'file' });
    expect(chooseClassNames(80, undefined, undefined)).toEqual({ names: [...COCO80], source: 'coco80' });
    expect(chooseClassNames(2, undefined, undefined)).toEqual({ names: ['class_0', 'class_1'], source: 'generated' });
  });
});

describe('ONNX metadata', () => {
  it('reads metadata_props from a real Ultralytics export', () => {
    const r = readOnnxMetadata(readFileSync(resolve(MODELS, 'yolov10n_int8.onnx')));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.metadata.end2end).toBe('True');
    expect(r.metadata.task).toBe('detect');
    expect(parseImgsz(r.metadata.imgsz)).toEqual({ width: 640, height: 640 });
    const names = parseNamesLiteral(r.metadata.names!);
    expect(names.ok && names.names).toEqual(COCO80);
  });

  it('reads a hand-made ModelProto and refuses a truncated one', () => {
    const entry = (k: string, v: string) => {
      const kb = Buffer.from(k);
      const vb = Buffer.from(v);
      const body = Buffer.concat([Buffer.from([0x0a, kb.length]), kb, Buffer.from([0x12, vb.length]), vb]);
      return Buffer.concat([Buffer.from([0x72, body.length]), body]); // field 14, wire type 2
    };
    const model = Buffer.concat([Buffer.from([0x08, 0x07]), entry('stride', '32'), entry('names', "{0: 'a'}")]);
    expect(readOnnxMetadata(model)).toEqual({ ok: true, metadata: { stride: '32', names: "{0: 'a'}" } });
    expect(readOnnxMetadata(model.subarray(0, model.length - 3)).ok).toBe(false);
    expect(readOnnxMetadata(Buffer.from('not a model at all')).ok).toBe(false);
  });
});

describe('input description', () => {
  const input = (shape: Array<number | string>, type = 'float32') => [{ name: 'images', isTensor: true, type, shape }];

  it('reads name, dtype and size from a static input', () => {
    expect(describeInput(input([1, 3, 416, 320], 'float16'), {})).toEqual({
      ok: true,
      value: { name: 'images', type: 'float16', width: 320, height: 416, dynamicBatch: false },
    });
  });

  it('tells a dynamic batch dimension from the batch 1, and refuses a fixed batch above 1', () => {
    expect(describeInput(input(['batch', 3, 640, 640]), {})).toMatchObject({ ok: true, value: { dynamicBatch: true } });
    expect(describeInput(input([-1, 3, 640, 640]), {})).toMatchObject({ ok: true, value: { dynamicBatch: true } });
    expect(describeInput(input([4, 3, 640, 640]), {}).ok).toBe(false);
  });

  it('takes a dynamic input size from the metadata imgsz', () => {
    expect(describeInput(input(['batch', 3, 'height', 'width']), { imgsz: '[1280, 1280]' })).toMatchObject({
      ok: true,
      value: { width: 1280, height: 1280 },
    });
    expect(describeInput(input(['batch', 3, 'height', 'width']), {}).ok).toBe(false);
  });

  it('refuses other dtypes and shapes', () => {
    expect(describeInput(input([1, 3, 640, 640], 'uint8'), {}).ok).toBe(false);
    expect(describeInput(input([1, 1, 640, 640]), {}).ok).toBe(false);
    expect(describeInput([...input([1, 3, 640, 640]), ...input([1])], {}).ok).toBe(false);
  });
});
