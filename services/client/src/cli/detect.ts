/** `yolomq detect`: detection over files, folders and globs, with tables or JSON lines, and annotation. */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Limits } from '@yolomq/protocol';
import { AnnotateError, annotateImage } from '../render/index.js';
import { readImage } from '../sdk/image-input.js';
import { type DetectRequestOptions, errorCodeOf, isYolomqError } from '../sdk/index.js';
import { type CliContext, connectOrFail } from './context.js';
import { CliFailure, ExitCode, usageError } from './exit-codes.js';
import { expandInputs, type InputImage } from './inputs.js';
import { type ImageOutcome, summarize, summaryJson } from './outcome.js';
import { renderOutcome, renderSummary } from './output/detect-report.js';
import { progressLine } from './output/progress.js';
import { styleFor } from './output/style.js';

export interface DetectCommandOptions {
  broker: string;
  model?: string;
  conf?: number;
  iou?: number;
  classes?: Array<number | string>;
  maxDetections?: number;
  concurrency: number;
  /** per-attempt timeout, ms */
  timeout: number;
  retries: number;
  connectTimeout: number;
  json: boolean;
  annotate?: string;
  progress: boolean;
}

/** The code of an image whose detection worked but whose annotated copy could not be made or written. */
const ANNOTATE_FAILED = 'ANNOTATE_FAILED';

async function annotateTo(dir: string, image: InputImage, bytes: Buffer, outcome: ImageOutcome): Promise<ImageOutcome> {
  if (!outcome.ok) return outcome;
  const target = join(dir, image.name);
  try {
    const annotated = await annotateImage(bytes, outcome.result);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, annotated.data);
    return { ...outcome, annotatedPath: target };
  } catch (err) {
    const reason = err instanceof AnnotateError ? err.message : String((err as Error).message ?? err);
    return { ok: false, image, code: ANNOTATE_FAILED, message: `cannot write ${target}: ${reason}` };
  }
}

function jsonLine(outcome: ImageOutcome): string {
  if (!outcome.ok) {
    return `${JSON.stringify({ type: 'error', file: outcome.image.name, path: outcome.image.path, code: outcome.code, message: outcome.message })}\n`;
  }
  const { annotatedPath } = outcome;
  return `${JSON.stringify({
    type: 'result',
    file: outcome.image.name,
    path: outcome.image.path,
    ...outcome.result,
    ...(annotatedPath ? { annotated: annotatedPath } : {}),
  })}\n`;
}

export async function runDetect(args: string[], opts: DetectCommandOptions, ctx: CliContext): Promise<ExitCode> {
  const { images, problems } = await expandInputs(args);
  if (problems.length > 0) throw usageError(`cannot use these inputs:\n  ${problems.join('\n  ')}`);
  if (images.length === 0) throw usageError('no images given: name image files, folders or globs');
  const annotateDir = opts.annotate === undefined ? undefined : resolve(opts.annotate);
  if (annotateDir !== undefined) {
    await mkdir(annotateDir, { recursive: true }).catch((err: Error) => {
      throw new CliFailure(`cannot create the --annotate folder ${annotateDir}: ${err.message}`, ExitCode.USAGE);
    });
  }

  const client = await connectOrFail(opts.broker, {
    timeoutMs: opts.timeout,
    retries: opts.retries,
    connectTimeoutMs: opts.connectTimeout,
    logger: ctx.logger,
    curve: ctx.config.curve,
  });
  const style = styleFor(ctx.stdout, ctx.env);
  const progress = opts.progress && images.length > 1 ? progressLine(ctx.stderr, images.length, 'images') : undefined;
  const print = (text: string) => (progress ? progress.print(ctx.stdout, text) : ctx.stdout.write(text));
  const request: DetectRequestOptions = {
    model: opts.model,
    conf: opts.conf,
    iou: opts.iou,
    classes: opts.classes,
    maxDetections: opts.maxDetections,
  };
  const onInterrupt = () => void client.close();
  ctx.interrupt.addEventListener('abort', onInterrupt, { once: true });

  const outcomes: ImageOutcome[] = [];
  const startedAt = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < images.length && !ctx.interrupt.aborted) {
      const image = images[next++]!;
      let outcome: ImageOutcome;
      let bytes: Buffer | undefined;
      try {
        bytes = await readImage(image.path, Limits.DEFAULT_MAX_IMAGE_BYTES);
        outcome = { ok: true, image, result: await client.detect(bytes, request) };
      } catch (err) {
        if (!isYolomqError(err)) throw err;
        outcome = { ok: false, image, code: errorCodeOf(err), message: err.message };
      }
      if (annotateDir !== undefined && bytes !== undefined)
        outcome = await annotateTo(annotateDir, image, bytes, outcome);
      outcomes.push(outcome);
      progress?.tick(!outcome.ok);
      print(opts.json ? jsonLine(outcome) : renderOutcome(outcome, style, process.cwd()));
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(opts.concurrency, images.length) }, worker));
  } finally {
    progress?.stop();
    ctx.interrupt.removeEventListener('abort', onInterrupt);
    await client.close();
  }

  const summary = summarize(outcomes, performance.now() - startedAt);
  ctx.stdout.write(
    opts.json ? `${JSON.stringify(summaryJson(summary))}\n` : renderSummary(summary, style, annotateDir, process.cwd()),
  );
  if (ctx.interrupt.aborted) return ExitCode.INTERRUPTED;
  if (summary.failed === 0) return ExitCode.OK;
  // No answer at all, to any image: the broker went away after the connect check.
  if (summary.ok === 0 && summary.errors.size === 1 && summary.errors.has('TIMEOUT')) return ExitCode.UNREACHABLE;
  return ExitCode.FAILED;
}
