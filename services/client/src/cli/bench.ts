/**
 * `yolomq bench`: load against the broker, closed loop (C requests always in flight) or open loop (a
 * fixed arrival rate). In the open loop every request has an intended send time on a fixed schedule
 * from the start, and its latency is measured from that intended time, not from when it actually left:
 * if the client or the system falls behind, the waiting shows in the latency (no coordinated omission).
 */
import { writeFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { Limits } from '@yolomq/protocol';
import { readImage } from '../sdk/image-input.js';
import { type DetectRequestOptions, errorCodeOf, isYolomqError, type YolomqClient } from '../sdk/index.js';
import { BenchStats, type LatencySummary } from './bench-stats.js';
import { type CliContext, connectOrFail } from './context.js';
import { CliFailure, ExitCode, usageError } from './exit-codes.js';
import { expandInputs } from './inputs.js';
import { formatCounts, formatMs, formatRate, formatSeconds } from './output/format.js';
import { statusLine } from './output/progress.js';
import { styleFor } from './output/style.js';

export interface BenchCommandOptions {
  broker: string;
  images: string;
  concurrency: number;
  /** concurrency given explicitly (in the open loop it caps what is in flight) */
  concurrencyGiven: boolean;
  /** measured duration, ms */
  duration: number;
  /** warm-up before measuring, ms (run but not recorded) */
  warmup: number;
  /** open loop: requests per second */
  rate?: number;
  model?: string;
  conf?: number;
  iou?: number;
  classes?: Array<number | string>;
  maxDetections?: number;
  timeout: number;
  retries: number;
  connectTimeout: number;
  json: boolean;
  timeline?: string;
  progress: boolean;
}

/** The open loop's default cap on requests in flight: the broker's default per-client limit. */
const OPEN_LOOP_MAX_IN_FLIGHT = 1000;

interface LoadPlan {
  client: YolomqClient;
  images: Buffer[];
  request: DetectRequestOptions;
  /** performance.now() when measuring starts (after warm-up) and when sending stops */
  measureFrom: number;
  stopAt: number;
  stats: BenchStats;
  interrupt: AbortSignal;
}

/** One request: latency from `intendedAt` (closed loop: when it was sent; open loop: its schedule slot). */
async function issue(plan: LoadPlan, index: number, intendedAt: number): Promise<void> {
  const recorded = intendedAt >= plan.measureFrom;
  if (recorded) plan.stats.recordSent(performance.now());
  try {
    await plan.client.detect(plan.images[index % plan.images.length]!, plan.request);
    const now = performance.now();
    if (recorded) plan.stats.recordOk(now, now - intendedAt);
  } catch (err) {
    if (!isYolomqError(err)) throw err;
    if (recorded) plan.stats.recordError(performance.now(), errorCodeOf(err));
  }
}

async function closedLoop(plan: LoadPlan, concurrency: number): Promise<void> {
  let next = 0;
  const loop = async () => {
    while (!plan.interrupt.aborted && performance.now() < plan.stopAt) {
      await issue(plan, next++, performance.now());
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
}

async function openLoop(plan: LoadPlan, rate: number, maxInFlight: number, startAt: number): Promise<void> {
  const intervalMs = 1000 / rate;
  const inFlight = new Set<Promise<void>>();
  const backlog: number[] = [];
  let index = 0;
  const fire = (intendedAt: number) => {
    const p = issue(plan, index++, intendedAt).finally(() => {
      inFlight.delete(p);
      const waiting = backlog.shift();
      if (waiting !== undefined && !plan.interrupt.aborted) fire(waiting);
    });
    inFlight.add(p);
  };
  await new Promise<void>((resolve) => {
    let slot = 0;
    const tick = () => {
      const now = performance.now();
      // Send every slot whose time has come, even if the timer woke up late: the schedule, not the timer,
      // decides when requests were due.
      for (let due = startAt + slot * intervalMs; due <= now && due < plan.stopAt; due = startAt + slot * intervalMs) {
        slot++;
        if (inFlight.size < maxInFlight) fire(due);
        else backlog.push(due);
      }
      const nextDue = startAt + slot * intervalMs;
      if (plan.interrupt.aborted || nextDue >= plan.stopAt) resolve();
      else setTimeout(tick, Math.max(0, nextDue - performance.now()));
    };
    tick();
  });
  while (inFlight.size > 0) await Promise.race(inFlight);
}

interface BenchReport {
  mode: 'closed' | 'open';
  broker: string;
  images: number;
  concurrency: number;
  rate: number | null;
  durationMs: number;
  warmupMs: number;
  elapsedMs: number;
  sent: number;
  ok: number;
  failed: number;
  errors: Record<string, number>;
  throughput: number;
  latencyMs: LatencySummary;
  client: ReturnType<YolomqClient['stats']>;
  timeline?: string;
}

function renderReport(r: BenchReport, ctx: CliContext): string {
  const style = styleFor(ctx.stdout, ctx.env);
  const l = r.latencyMs;
  const loop =
    r.mode === 'closed'
      ? `closed loop, ${r.concurrency} in flight`
      : `open loop at ${r.rate} req/s (at most ${r.concurrency} in flight)`;
  const lines: Array<[string, string]> = [
    ['run', `${loop}, ${formatSeconds(r.durationMs / 1000)}, ${r.images} images, broker ${r.broker}`],
    [
      'requests',
      `${r.sent} sent, ${style.green(`${r.ok} ok`)}${r.failed > 0 ? `, ${style.red(`${r.failed} failed`)}` : ''}`,
    ],
    ['throughput', formatRate(r.throughput, 'req')],
    [
      'latency',
      l.count === 0
        ? '-'
        : `p50 ${formatMs(l.p50)}  p90 ${formatMs(l.p90)}  p99 ${formatMs(l.p99)}  max ${formatMs(l.max)}  (mean ${formatMs(l.mean)})`,
    ],
  ];
  if (r.failed > 0) lines.push(['errors', style.red(formatCounts(new Map(Object.entries(r.errors))))]);
  if (r.client.resends > 0) lines.push(['retries', `${r.client.resends} resends, ${r.client.reconnects} reconnects`]);
  if (r.timeline) lines.push(['timeline', r.timeline]);
  return `${style.bold('yolomq bench')}\n${lines.map(([k, v]) => `  ${k.padEnd(11)} ${v}`).join('\n')}\n`;
}

export async function runBench(opts: BenchCommandOptions, ctx: CliContext): Promise<ExitCode> {
  const { images: found, problems } = await expandInputs([opts.images]);
  if (problems.length > 0 || found.length === 0) throw usageError(`--images: ${problems.join('; ') || 'no images'}`);
  const images: Buffer[] = [];
  for (const image of found) {
    try {
      images.push(await readImage(image.path, Limits.DEFAULT_MAX_IMAGE_BYTES));
    } catch (err) {
      throw new CliFailure(`cannot use ${image.path}: ${(err as Error).message}`, ExitCode.USAGE);
    }
  }
  const client = await connectOrFail(opts.broker, {
    timeoutMs: opts.timeout,
    retries: opts.retries,
    connectTimeoutMs: opts.connectTimeout,
    logger: ctx.logger,
    curve: ctx.config.curve,
  });
  const onInterrupt = () => void client.close();
  ctx.interrupt.addEventListener('abort', onInterrupt, { once: true });

  const open = opts.rate !== undefined;
  const concurrency = open && !opts.concurrencyGiven ? OPEN_LOOP_MAX_IN_FLIGHT : opts.concurrency;
  const startAt = performance.now();
  const measureFrom = startAt + opts.warmup;
  const stats = new BenchStats(measureFrom);
  const plan: LoadPlan = {
    client,
    images,
    request: {
      model: opts.model,
      conf: opts.conf,
      iou: opts.iou,
      classes: opts.classes,
      maxDetections: opts.maxDetections,
    },
    measureFrom,
    stopAt: measureFrom + opts.duration,
    stats,
    interrupt: ctx.interrupt,
  };
  const total = formatSeconds((opts.warmup + opts.duration) / 1000);
  const live = opts.progress
    ? statusLine(ctx.stderr, () => {
        const now = performance.now();
        const phase = now < measureFrom ? 'warm-up' : 'measuring';
        return `${phase} ${formatSeconds((now - startAt) / 1000)}/${total}  sent ${stats.sent}  ok ${stats.ok}  failed ${stats.failed}  p99 ${formatMs(stats.p99())}`;
      })
    : undefined;
  try {
    if (open) await openLoop(plan, opts.rate!, concurrency, startAt);
    else await closedLoop(plan, concurrency);
  } finally {
    live?.stop();
    ctx.interrupt.removeEventListener('abort', onInterrupt);
    await client.close();
  }
  const elapsedMs = performance.now() - measureFrom;

  const report: BenchReport = {
    mode: open ? 'open' : 'closed',
    broker: opts.broker,
    images: images.length,
    concurrency,
    rate: opts.rate ?? null,
    durationMs: opts.duration,
    warmupMs: opts.warmup,
    elapsedMs: Math.round(elapsedMs),
    sent: stats.sent,
    ok: stats.ok,
    failed: stats.failed,
    errors: Object.fromEntries(stats.errors),
    throughput: elapsedMs > 0 ? Math.round((stats.ok * 1000 * 100) / elapsedMs) / 100 : 0,
    latencyMs: stats.latencySummary(),
    client: client.stats(),
  };
  if (opts.timeline !== undefined) {
    const lines = stats.timeline().map((p) => JSON.stringify(p));
    await writeFile(opts.timeline, lines.length > 0 ? `${lines.join('\n')}\n` : '');
    report.timeline = opts.timeline;
  }
  ctx.stdout.write(opts.json ? `${JSON.stringify(report)}\n` : renderReport(report, ctx));
  if (ctx.interrupt.aborted) return ExitCode.INTERRUPTED;
  if (stats.ok === 0 && stats.failed > 0 && stats.errors.size === 1 && stats.errors.has('TIMEOUT')) {
    return ExitCode.UNREACHABLE;
  }
  return stats.failed > 0 ? ExitCode.FAILED : ExitCode.OK;
}
