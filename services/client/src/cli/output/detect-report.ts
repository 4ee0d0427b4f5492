/** Human output of `yolomq detect`: a table per image and the closing summary (pure string building). */
import { relative } from 'node:path';
import type { ImageOutcome, RunSummary } from '../outcome.js';
import { formatCounts, formatMs, formatRate, formatSeconds, plural } from './format.js';
import type { Style } from './style.js';
import { renderTable } from './table.js';

const COLUMNS = [
  { header: '#', align: 'right' },
  { header: 'class' },
  { header: 'score', align: 'right' },
  { header: 'x1', align: 'right' },
  { header: 'y1', align: 'right' },
  { header: 'x2', align: 'right' },
  { header: 'y2', align: 'right' },
] as const;

/** Paths are shown relative to cwd (the folder the user typed them from). */
export function renderOutcome(outcome: ImageOutcome, style: Style, cwd: string): string {
  if (!outcome.ok) {
    return `${style.bold(outcome.image.name)}  ${style.red(`error ${outcome.code}`)}: ${outcome.message}\n\n`;
  }
  const r = outcome.result;
  const meta = [
    `${r.width}x${r.height}`,
    plural(r.detections.length, 'detection'),
    formatMs(r.latencyMs),
    `model ${r.model}`,
    `worker ${r.workerId}`,
    ...(r.attempts > 1 ? [`${r.attempts} attempts`] : []),
  ].join(', ');
  let text = `${style.bold(outcome.image.name)}  ${style.dim(meta)}\n`;
  if (r.detections.length > 0) {
    const rows = [...r.detections]
      .sort((a, b) => b.score - a.score)
      .map((d, i) => [
        String(i + 1),
        d.className || `class ${d.classId}`,
        d.score.toFixed(2),
        ...[d.box.x1, d.box.y1, d.box.x2, d.box.y2].map((v) => String(Math.round(v))),
      ]);
    text += `${renderTable(COLUMNS, rows, '  ')}\n`;
  }
  if (outcome.annotatedPath) text += style.dim(`  annotated -> ${relative(cwd, outcome.annotatedPath)}\n`);
  return `${text}\n`;
}

export function renderSummary(s: RunSummary, style: Style, annotateDir: string | undefined, cwd: string): string {
  const rows: Array<[string, string]> = [
    [
      'images',
      `${s.images} (${style.green(`${s.ok} ok`)}${s.failed > 0 ? `, ${style.red(`${s.failed} failed`)}` : ''})`,
    ],
    ['detections', s.detections === 0 ? '0' : `${s.detections}: ${formatCounts(s.perClass)}`],
  ];
  if (s.errors.size > 0) rows.push(['errors', style.red(formatCounts(s.errors))]);
  rows.push(['time', `${formatSeconds(s.elapsedMs / 1000)}, ${formatRate(s.imagesPerSecond, 'images')}`]);
  if (s.latencyMs) {
    const l = s.latencyMs;
    rows.push([
      'latency',
      `p50 ${formatMs(l.p50)}, p90 ${formatMs(l.p90)}, p99 ${formatMs(l.p99)}, max ${formatMs(l.max)}`,
    ]);
  }
  if (annotateDir !== undefined)
    rows.push(['annotated', `${plural(s.annotated, 'image')} in ${relative(cwd, annotateDir) || '.'}`]);
  return `${style.bold('Summary')}\n${rows.map(([k, v]) => `  ${k.padEnd(11)} ${v}`).join('\n')}\n`;
}
