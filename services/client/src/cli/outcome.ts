/** What happened to one image of `yolomq detect`, and the run's summary over all of them (pure). */
import type { DetectResult } from '../sdk/index.js';
import type { InputImage } from './inputs.js';

export type ImageOutcome =
  | { ok: true; image: InputImage; result: DetectResult; annotatedPath?: string }
  | { ok: false; image: InputImage; code: string; message: string };

export interface RunSummary {
  images: number;
  ok: number;
  failed: number;
  detections: number;
  /** detections per class name */
  perClass: Map<string, number>;
  /** failures per error code */
  errors: Map<string, number>;
  annotated: number;
  elapsedMs: number;
  imagesPerSecond: number;
  /** client-side latency of successful requests, in ms */
  latencyMs: { p50: number; p90: number; p99: number; max: number } | undefined;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function summarize(outcomes: readonly ImageOutcome[], elapsedMs: number): RunSummary {
  const perClass = new Map<string, number>();
  const errors = new Map<string, number>();
  const latencies: number[] = [];
  let detections = 0;
  let annotated = 0;
  for (const o of outcomes) {
    if (o.ok) {
      latencies.push(o.result.latencyMs);
      if (o.annotatedPath) annotated++;
      for (const d of o.result.detections) {
        detections++;
        const name = d.className || `class ${d.classId}`;
        perClass.set(name, (perClass.get(name) ?? 0) + 1);
      }
    } else {
      errors.set(o.code, (errors.get(o.code) ?? 0) + 1);
    }
  }
  latencies.sort((a, b) => a - b);
  const ok = latencies.length;
  return {
    images: outcomes.length,
    ok,
    failed: outcomes.length - ok,
    detections,
    perClass,
    errors,
    annotated,
    elapsedMs,
    imagesPerSecond: elapsedMs > 0 ? (outcomes.length * 1000) / elapsedMs : 0,
    latencyMs:
      ok === 0
        ? undefined
        : {
            p50: percentile(latencies, 50),
            p90: percentile(latencies, 90),
            p99: percentile(latencies, 99),
            max: latencies[ok - 1]!,
          },
  };
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/** The summary as a JSON-ready object (the last line of `--json` output). */
export function summaryJson(s: RunSummary): Record<string, unknown> {
  return {
    type: 'summary',
    images: s.images,
    ok: s.ok,
    failed: s.failed,
    detections: s.detections,
    perClass: Object.fromEntries(s.perClass),
    errors: Object.fromEntries(s.errors),
    annotated: s.annotated,
    elapsedMs: round2(s.elapsedMs),
    imagesPerSecond: round2(s.imagesPerSecond),
    latencyMs: s.latencyMs && {
      p50: round2(s.latencyMs.p50),
      p90: round2(s.latencyMs.p90),
      p99: round2(s.latencyMs.p99),
      max: round2(s.latencyMs.max),
    },
  };
}
