/**
 * Decoding and letterboxing with sharp: sizes, orientation, colour spaces, the OpenCV-style resize,
 * and every bad input getting its error code.
 */
import { ErrorCode } from '@yolomq/protocol';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { Preprocessor } from '../src/inference/preprocess.js';
import { resizeLinearIntoTensor } from '../src/inference/resize-linear.js';
import { fromFloat16Bits } from '../src/model/float16.js';

const INPUT = { name: 'images', type: 'float32' as const, width: 64, height: 64 };

function solid(width: number, height: number, rgb: [number, number, number]) {
  return sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } });
}

/** The tensor value at (x, y) of channel c. */
function at(t: Float32Array | Uint16Array, c: number, x: number, y: number, w = 64, h = 64): number {
  const v = t[c * w * h + y * w + x]!;
  return t instanceof Uint16Array ? fromFloat16Bits(v) : v;
}

describe('Preprocessor', () => {
  const pre = new Preprocessor(INPUT, { maxPixels: 10_000_000 });

  it('letterboxes a landscape image: image centred, grey padding, RGB planes /255', async () => {
    const png = await solid(128, 64, [255, 0, 51]).png().toBuffer();
    const r = await pre.prepare(png);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect([r.geometry.resizedWidth, r.geometry.resizedHeight, r.geometry.padTop]).toEqual([64, 32, 16]);
    expect(at(pre.tensor, 0, 10, 5)).toBeCloseTo(114 / 255, 6); // padding
    expect([at(pre.tensor, 0, 10, 30), at(pre.tensor, 1, 10, 30), at(pre.tensor, 2, 10, 30)]).toEqual([
      1,
      0,
      Math.fround(51 / 255),
    ]);
    expect(at(pre.tensor, 2, 63, 63)).toBeCloseTo(114 / 255, 6);
  });

  it('letterboxes odd portrait sizes', async () => {
    const jpeg = await solid(33, 101, [0, 255, 0]).jpeg({ quality: 100 }).toBuffer();
    const r = await pre.prepare(jpeg);
    expect(r.ok && [r.geometry.sourceWidth, r.geometry.sourceHeight]).toEqual([33, 101]);
    expect(r.ok && [r.geometry.resizedWidth, r.geometry.padLeft, r.geometry.padRight]).toEqual([21, 21, 22]);
    expect(at(pre.tensor, 1, 32, 32)).toBeGreaterThan(0.95);
    expect(at(pre.tensor, 1, 5, 32)).toBeCloseTo(114 / 255, 6);
  });

  it('applies the EXIF orientation before letterboxing', async () => {
    // 80x40 stored, orientation 6 (rotate 90 clockwise to display): displayed as 40x80;
    // the left half red, the right half blue, so after rotation red is on top.
    const left = await solid(40, 40, [255, 0, 0]).png().toBuffer();
    const stored = await solid(80, 40, [0, 0, 255])
      .composite([{ input: left, left: 0, top: 0 }])
      .jpeg({ quality: 100 })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    expect((await sharp(stored).metadata()).orientation).toBe(6);
    const r = await pre.prepare(stored);
    expect(r.ok && [r.geometry.sourceWidth, r.geometry.sourceHeight]).toEqual([40, 80]);
    expect(at(pre.tensor, 0, 32, 8)).toBeGreaterThan(0.9); // top: red
    expect(at(pre.tensor, 2, 32, 56)).toBeGreaterThan(0.9); // bottom: blue
  });

  it('converts greyscale, CMYK, 16-bit and alpha images to 8-bit RGB', async () => {
    const grey = await solid(64, 64, [200, 200, 200]).toColourspace('b-w').png().toBuffer();
    expect((await sharp(grey).metadata()).channels).toBe(1);
    const cmyk = await solid(64, 64, [255, 0, 0]).toColourspace('cmyk').jpeg().toBuffer();
    expect((await sharp(cmyk).metadata()).space).toBe('cmyk');
    const deep = await solid(64, 64, [0, 0, 255]).toColourspace('rgb16').png().toBuffer();
    const alpha = await sharp({
      create: { width: 64, height: 64, channels: 4, background: { r: 0, g: 255, b: 0, alpha: 0 } },
    })
      .png()
      .toBuffer();
    const webp = await solid(64, 64, [0, 255, 0]).webp({ lossless: true }).toBuffer();
    for (const [image, rgb] of [
      [grey, [200, 200, 200]],
      [cmyk, [255, 0, 0]],
      [deep, [0, 0, 255]],
      [alpha, [0, 255, 0]], // alpha dropped, not composited (as cv2.imread does)
      [webp, [0, 255, 0]],
    ] as const) {
      const r = await pre.prepare(image);
      expect(r.ok).toBe(true);
      for (let c = 0; c < 3; c++) expect(Math.abs(at(pre.tensor, c, 32, 32) * 255 - rgb[c]!)).toBeLessThan(30);
    }
  });

  it('writes float16 tensors as half-precision bits', async () => {
    const half = new Preprocessor({ ...INPUT, type: 'float16' }, { maxPixels: 10_000_000 });
    expect(half.tensor).toBeInstanceOf(Uint16Array);
    const r = await half.prepare(await solid(64, 32, [255, 0, 0]).png().toBuffer());
    expect(r.ok).toBe(true);
    expect(at(half.tensor, 0, 5, 32)).toBe(1);
    expect(at(half.tensor, 0, 5, 2)).toBeCloseTo(114 / 255, 3);
  });

  it('answers INVALID_IMAGE for empty, non-image and corrupt input', async () => {
    const noise = Buffer.from(Array.from({ length: 128 * 128 * 3 }, (_, i) => (i * 7919) % 251));
    const jpeg = await sharp(noise, { raw: { width: 128, height: 128, channels: 3 } })
      .jpeg()
      .toBuffer();
    const corrupt = Buffer.from(jpeg);
    corrupt.fill(0xff, jpeg.length / 2, jpeg.length / 2 + 400); // markers in the entropy-coded data
    const badHeader = Buffer.concat([jpeg.subarray(0, 20), Buffer.alloc(500, 0x13)]);
    for (const bad of [
      Buffer.alloc(0),
      Buffer.from('hello, this is not an image\n'),
      jpeg.subarray(0, jpeg.length / 2),
      corrupt,
      badHeader,
    ]) {
      const r = await pre.prepare(bad);
      expect(r.ok).toBe(false);
      expect(!r.ok && r.code).toBe(ErrorCode.INVALID_IMAGE);
      expect(!r.ok && r.message.length).toBeGreaterThan(10);
    }
  });

  it('answers IMAGE_TOO_LARGE from the header, before decoding', async () => {
    const small = new Preprocessor(INPUT, { maxPixels: 100 * 100 });
    const png = await solid(101, 100, [0, 0, 0]).png().toBuffer();
    const r = await small.prepare(png);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.code).toBe(ErrorCode.IMAGE_TOO_LARGE);
    expect(!r.ok && r.message).toContain('10100 pixels');
    expect((await small.prepare(await solid(100, 100, [0, 0, 0]).png().toBuffer())).ok).toBe(true);
  });
});

/**
 * resizeLinearIntoTensor from sw x sh to dw x dh with no padding and an identity table, read back as
 * HWC bytes.
 */
function resizeLinearRgb(src: Uint8Array, sw: number, sh: number, dst: Uint8Array, dw: number, dh: number): void {
  const plane = dw * dh;
  const tensor = new Float32Array(3 * plane);
  const identity = Float32Array.from({ length: 256 }, (_, v) => v);
  const g = {
    sourceWidth: sw,
    sourceHeight: sh,
    inputWidth: dw,
    inputHeight: dh,
    scale: dw / sw,
    resizedWidth: dw,
    resizedHeight: dh,
    padLeft: 0,
    padTop: 0,
    padRight: 0,
    padBottom: 0,
  };
  resizeLinearIntoTensor(src, sw, sh, tensor, identity, g);
  for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) dst[i * 3 + c] = tensor[c * plane + i]!;
}

describe('OpenCV INTER_LINEAR resize', () => {
  it('keeps a constant image constant', () => {
    const src = new Uint8Array(7 * 5 * 3).fill(77);
    const dst = new Uint8Array(4 * 3 * 3);
    resizeLinearRgb(src, 7, 5, dst, 4, 3);
    expect(new Set(dst)).toEqual(new Set([77]));
  });

  it('averages 2x2 blocks when halving (as cv2 does)', () => {
    const src = new Uint8Array(
      [10, 0, 0, 20, 0, 0, 30, 0, 0, 41, 0, 0].flatMap((v, i) => (i % 3 === 0 ? [v, v, v] : [])),
    );
    // 2x2 image: 10 20 / 30 41 -> 1x1 = round(25.25)
    const dst = new Uint8Array(3);
    resizeLinearRgb(src, 2, 2, dst, 1, 1);
    expect(dst[0]).toBe(25);
  });

  it('halves by the rounded mean of 2x2 blocks, as the general taps do', () => {
    // 2x2 image: 10 20 / 30 41 -> round(25.25); 10 20 / 30 42 -> 25.5 rounds up, as cv2's (sum + 2) >> 2
    const pixel = (values: number[]) => new Uint8Array(values.flatMap((v) => [v, v, v]));
    const dst = new Uint8Array(3);
    resizeLinearRgb(pixel([10, 20, 30, 41]), 2, 2, dst, 1, 1);
    expect(dst[0]).toBe(25);
    resizeLinearRgb(pixel([10, 20, 30, 42]), 2, 2, dst, 1, 1);
    expect(dst[0]).toBe(26);
    // the halving shortcut (42x30 -> 21x15) on noise against the general formula written out
    const sw = 42;
    const sh = 30;
    const noise = Uint8Array.from({ length: sw * sh * 3 }, (_, i) => (i * 7919 + 13) % 256);
    const halved = new Uint8Array(21 * 15 * 3);
    resizeLinearRgb(noise, sw, sh, halved, 21, 15);
    const generalTaps = new Uint8Array(21 * 15 * 3);
    const general = (x: number, y: number, c: number) => {
      // weights 1024/1024 on both axes
      const at = (xx: number, yy: number) => noise[(yy * sw + xx) * 3 + c]!;
      const top = (at(2 * x, 2 * y) + at(2 * x + 1, 2 * y)) * 1024;
      const bottom = (at(2 * x, 2 * y + 1) + at(2 * x + 1, 2 * y + 1)) * 1024;
      return (((1024 * (top >> 4)) >> 16) + ((1024 * (bottom >> 4)) >> 16) + 2) >> 2;
    };
    for (let y = 0; y < 15; y++)
      for (let x = 0; x < 21; x++) for (let c = 0; c < 3; c++) generalTaps[(y * 21 + x) * 3 + c] = general(x, y, c);
    expect(halved).toEqual(generalTaps);
  });

  it('interpolates with half-pixel centres and clamps at the edges when enlarging', () => {
    // 1-D row 0, 100 -> 4 pixels: cv2 gives 0, 25, 75, 100
    const src = new Uint8Array([0, 0, 0, 100, 100, 100]);
    const dst = new Uint8Array(12);
    resizeLinearRgb(src, 2, 1, dst, 4, 1);
    expect([dst[0], dst[3], dst[6], dst[9]]).toEqual([0, 25, 75, 100]);
  });
});

describe('the letterbox matches OpenCV INTER_LINEAR on real photos', () => {
  it.each(['bus.jpg', 'zidane.jpg'])(
    '%s: every pixel within one grey level of bilinear interpolation with half-pixel centres',
    async (name) => {
      // an independent reference in floating point (cv2's fixed-point weights differ by at most a level);
      // zidane.jpg is exactly twice the letterboxed size, bus.jpg is shrunk by 0.59 and carries an ICC
      // profile, left unapplied as cv2.imread does
      const { readFileSync } = await import('node:fs');
      const { join } = await import('node:path');
      const { IMAGES_DIR } = await import('./paths.js');
      const bytes = readFileSync(join(IMAGES_DIR, name));
      const pre = new Preprocessor({ name: 'images', type: 'float32', width: 640, height: 640 }, { maxPixels: 1e8 });
      const r = await pre.prepare(bytes);
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      const g = r.geometry;
      const { data, info } = await sharp(bytes)
        .rotate()
        .removeAlpha()
        .keepIccProfile()
        .raw()
        .toBuffer({ resolveWithObject: true });
      expect([info.width, info.height]).toEqual([g.sourceWidth, g.sourceHeight]);
      const tap = (d: number, src: number, dst: number) => {
        const f = Math.min(Math.max((d + 0.5) * (src / dst) - 0.5, 0), src - 1);
        const i = Math.min(Math.floor(f), src - 2);
        return [i, f - i] as const;
      };
      let worst = 0;
      for (let y = 0; y < g.resizedHeight; y++) {
        const [sy, fy] = tap(y, info.height, g.resizedHeight);
        for (let x = 0; x < g.resizedWidth; x++) {
          const [sx, fx] = tap(x, info.width, g.resizedWidth);
          for (let c = 0; c < 3; c++) {
            const px = (xx: number, yy: number) => data[(yy * info.width + xx) * 3 + c]!;
            const topRow = px(sx, sy) * (1 - fx) + px(sx + 1, sy) * fx;
            const bottomRow = px(sx, sy + 1) * (1 - fx) + px(sx + 1, sy + 1) * fx;
            const ref = topRow * (1 - fy) + bottomRow * fy;
            const got = Math.round(at(pre.tensor, c, x + g.padLeft, y + g.padTop, 640, 640) * 255);
            worst = Math.max(worst, Math.abs(got - ref));
          }
        }
      }
      expect(worst).toBeLessThan(1.5);
    },
  );

  it('leaves an embedded ICC profile unapplied: the stored pixel values reach the tensor', async () => {
    // a 640x640 PNG (no resize, lossless) converted to and tagged with Display P3 by sharp
    const raw = Buffer.alloc(640 * 640 * 3);
    for (let i = 0; i < raw.length; i++) raw[i] = (i * 37) % 251;
    const png = await sharp(raw, { raw: { width: 640, height: 640, channels: 3 } })
      .withIccProfile('p3')
      .png()
      .toBuffer();
    expect((await sharp(png).metadata()).icc).toBeDefined();
    const stored = await sharp(png).keepIccProfile().raw().toBuffer();
    const managed = await sharp(png).raw().toBuffer(); // sharp's default: converted back to sRGB
    expect(stored.equals(managed)).toBe(false);
    const pre = new Preprocessor({ name: 'images', type: 'float32', width: 640, height: 640 }, { maxPixels: 1e8 });
    const r = await pre.prepare(png);
    expect(r.ok).toBe(true);
    let worst = 0;
    for (let y = 0; y < 640; y++) {
      for (let x = 0; x < 640; x++) {
        for (let c = 0; c < 3; c++) {
          const got = Math.round(at(pre.tensor, c, x, y, 640, 640) * 255);
          worst = Math.max(worst, Math.abs(got - stored[(y * 640 + x) * 3 + c]!));
        }
      }
    }
    expect(worst).toBe(0);
  });
});
