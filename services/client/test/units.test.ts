/** Unit tests of the client's pure parts: option checks, backoff, durations, layout, bench statistics. */
import { describe, expect, it } from 'vitest';
import { BenchStats } from '../src/cli/bench-stats.js';
import { summarize } from '../src/cli/outcome.js';
import { parseClasses, parseDuration } from '../src/cli/parse.js';
import { layoutAnnotations } from '../src/render/layout.js';
import { classColor, textColorOn } from '../src/render/palette.js';
import { annotationSvg } from '../src/render/svg.js';
import { ClientError } from '../src/sdk/errors.js';
import { attemptWaitMs, backoffDelay, resolveClientOptions, splitRequestOptions } from '../src/sdk/options.js';
import { requestIdGenerator } from '../src/sdk/request-ids.js';

describe('client options', () => {
  it('fills in defaults', () => {
    const o = resolveClientOptions();
    expect(o).toMatchObject({ model: '', timeoutMs: 10_000, retries: 2, verify: true });
    expect([...o.retryOn]).toEqual(['SHUTTING_DOWN']);
  });

  it('refuses bad values with INVALID_ARGUMENT naming the field', () => {
    const bad = [{ timeoutMs: 0 }, { retries: -1 }, { retryOn: ['NOPE'] }, { colour: 'red' }];
    for (const options of bad) {
      let caught: unknown;
      try {
        resolveClientOptions(options as never);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(ClientError);
      expect((caught as ClientError).code).toBe('INVALID_ARGUMENT');
      expect((caught as ClientError).message).toMatch(/invalid client options: \w+/);
    }
  });

  it('sends the attempt timeout as the broker deadline and drops undefined options', () => {
    const split = splitRequestOptions({ conf: 0.5, iou: undefined, timeoutMs: 700 }, resolveClientOptions());
    expect(split).toEqual({ model: '', timeoutMs: 700, retries: 2, detect: { conf: 0.5, timeoutMs: 700 } });
  });

  it('waits a grace period past the deadline for the broker to say DEADLINE_EXCEEDED', () => {
    expect(attemptWaitMs(1000, undefined)).toBe(1600);
    expect(attemptWaitMs(1000, 0)).toBe(1000);
  });
});

describe('backoff', () => {
  it('doubles up to the ceiling, with half of it random', () => {
    expect(backoffDelay(0, 100, 1000, () => 0)).toBe(50);
    expect(backoffDelay(0, 100, 1000, () => 1)).toBe(100);
    expect(backoffDelay(3, 100, 1000, () => 1)).toBe(800);
    expect(backoffDelay(10, 100, 1000, () => 1)).toBe(1000);
    expect(backoffDelay(1000, 100, 1000, () => 0.5)).toBe(750);
  });
});

describe('request ids', () => {
  it('are unique within a client and differ between clients', () => {
    const a = requestIdGenerator();
    const b = requestIdGenerator();
    const ids = new Set(Array.from({ length: 10_000 }, () => a()));
    expect(ids.size).toBe(10_000);
    expect(b().split('-')[0]).not.toBe(a().split('-')[0]);
    for (const id of ids) expect(Buffer.byteLength(id)).toBeLessThanOrEqual(64);
  });
});

describe('durations and classes', () => {
  it('parses durations', () => {
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('10')).toBe(10_000);
    for (const bad of ['', 'soon', '-1s', '0s', '5 parsecs']) expect(() => parseDuration(bad)).toThrow(/duration/);
  });

  it('parses class lists into ids and names', () => {
    expect(parseClasses('person, car,0')).toEqual(['person', 'car', 0]);
    expect(() => parseClasses(' , ')).toThrow(/at least one/);
  });
});

describe('annotation layout', () => {
  const detection = (classId: number, x1: number, y1: number, x2: number, y2: number) => ({
    classId,
    className: classId === 0 ? 'person' : 'car',
    score: 0.876,
    box: { x1, y1, x2, y2 },
  });

  it('puts boxes on whole pixels inside the image and the label above the box', () => {
    const layout = layoutAnnotations([detection(0, 50.4, 80.6, 120.2, 200.9)], 640, 480);
    expect(layout.boxes).toEqual([{ rect: { x: 50, y: 80, width: 71, height: 121 }, lineWidth: 2, color: '#042AFF' }]);
    const label = layout.labels[0]!;
    expect(label.text).toBe('person 0.88');
    expect(label.rect.y + label.rect.height).toBe(80);
    expect(label.rect.x).toBe(50);
  });

  it('moves the label inside the box at the top edge, and keeps it inside the image', () => {
    const layout = layoutAnnotations([detection(2, 600, 0, 640, 40), detection(1, -10, -5, 700, 500)], 640, 480);
    const [a, b] = layout.labels;
    expect(a!.rect.y).toBe(0);
    expect(a!.rect.x + a!.rect.width).toBeLessThanOrEqual(640);
    expect(layout.boxes[1]!.rect).toEqual({ x: 0, y: 0, width: 640, height: 480 });
    expect(b!.rect.x).toBe(0);
  });

  it('skips empty boxes and escapes label text in the SVG', () => {
    const layout = layoutAnnotations(
      [{ ...detection(0, 10, 10, 10, 50) }, { ...detection(0, 10, 10, 60, 60), className: '<b>&' }],
      100,
      100,
    );
    expect(layout.boxes).toHaveLength(1);
    const svg = annotationSvg(layout);
    expect(svg).toContain('&#60;b&#62;&#38;');
    expect(svg).not.toContain('<b>');
  });

  it('picks colours by class id and readable text on them', () => {
    expect(classColor(0)).toBe('#042AFF');
    expect(classColor(20)).toBe(classColor(0));
    expect(textColorOn('#042AFF')).toBe('#FFFFFF');
    expect(textColorOn('#F3F3F3')).toBe('#000000');
  });
});

describe('bench statistics', () => {
  it('reports percentiles from the HDR histogram and a per-second timeline', () => {
    const stats = new BenchStats(0);
    for (let i = 1; i <= 100; i++) {
      stats.recordSent(i * 10);
      stats.recordOk(i * 10 + 5, i);
    }
    stats.recordSent(1500);
    stats.recordError(1600, 'DEADLINE_EXCEEDED');
    const l = stats.latencySummary();
    expect(l.count).toBe(100);
    expect(l.p50).toBeCloseTo(50, 1);
    expect(l.p99).toBeCloseTo(99, 1);
    expect(l.max).toBeCloseTo(100, 1);
    expect(l.min).toBeCloseTo(1, 2);
    expect(stats.errors.get('DEADLINE_EXCEEDED')).toBe(1);
    const timeline = stats.timeline();
    expect(timeline.map((p) => p.t)).toEqual([0, 1]);
    expect(timeline[0]).toMatchObject({ sent: 99, completed: 99, errors: 0 });
    expect(timeline[0]!.p99Ms).toBeCloseTo(99, 1);
    expect(timeline[1]).toMatchObject({ sent: 2, completed: 2, errors: 1, p99Ms: 100 });
  });
});

describe('detect summary', () => {
  it('counts detections per class and errors per code', () => {
    const image = { path: '/x/a.png', name: 'a.png' };
    const result = {
      model: 'm',
      workerId: 'w',
      width: 10,
      height: 10,
      detections: [
        { classId: 0, className: 'person', score: 0.9, box: { x1: 0, y1: 0, x2: 1, y2: 1 } },
        { classId: 0, className: 'person', score: 0.8, box: { x1: 0, y1: 0, x2: 1, y2: 1 } },
        { classId: 2, className: 'car', score: 0.7, box: { x1: 0, y1: 0, x2: 1, y2: 1 } },
      ],
      timings: { queueMs: 0, preprocessMs: 0, inferenceMs: 0, postprocessMs: 0, totalMs: 0 },
      requestId: 'r',
      attempts: 1,
      latencyMs: 12,
    };
    const s = summarize(
      [
        { ok: true, image, result },
        { ok: false, image, code: 'INVALID_IMAGE', message: 'bad' },
      ],
      2000,
    );
    expect(s).toMatchObject({ images: 2, ok: 1, failed: 1, detections: 3, imagesPerSecond: 1 });
    expect(Object.fromEntries(s.perClass)).toEqual({ person: 2, car: 1 });
    expect(Object.fromEntries(s.errors)).toEqual({ INVALID_IMAGE: 1 });
    expect(s.latencyMs?.p50).toBe(12);
  });
});
