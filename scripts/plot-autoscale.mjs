#!/usr/bin/env node
// Draws an autoscaling run as an SVG chart, by hand (no charting dependency): arrival rate and
// completions per second on top; queue depth, desired and actual workers below, on one time axis.
//
//   npm run plot -- --timeline bench-timeline.jsonl --status-samples status.jsonl --out chart.svg
//
// --timeline: `yolomq bench --timeline` JSON lines {t, sent, completed, errors, p99Ms} (t in seconds);
//   an optional `offset` field (seconds) shifts a line onto the status samples' clock (the demo script
//   writes it when it joins several bench phases into one file).
// --status-samples: JSON lines {t (seconds), arrivalRate, queued, inflight, desired, live}, as written
//   by scripts/autoscale-demo.mjs from the broker's /status.
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const W = 900;
const PANEL_H = 220;
const M = { left: 64, right: 140, top: 58, gap: 46, bottom: 44 };
const COLORS = {
  arrival: '#1f77b4',
  completed: '#9ecae1',
  queued: '#ff7f0e',
  desired: '#d62728',
  live: '#2ca02c',
  errors: '#000000',
};

/** Parses JSON lines; a bad line is an error naming the file and line. */
export function readJsonLines(text, name) {
  const out = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      out.push(JSON.parse(line));
    } catch {
      throw new Error(`${name}:${i + 1}: not a JSON line: ${line.slice(0, 80)}`);
    }
  });
  return out;
}

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;');
const fmt = (v) => (Math.abs(v) >= 100 || Number.isInteger(v) ? String(Math.round(v)) : v.toFixed(1));

/** "Nice" tick step for a range (1, 2, 5 x 10^k). */
function niceStep(max, ticks = 5) {
  const raw = max / ticks;
  const p = 10 ** Math.floor(Math.log10(raw || 1));
  const m = raw / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

/** A panel: axes with ticks, and series drawn as polylines (step: as steps). */
function panel({ y0, title, yLabel, tMax, yMax, series }) {
  const x = (t) => M.left + (t / tMax) * (W - M.left - M.right);
  const y = (v) => y0 + PANEL_H - (v / yMax) * PANEL_H;
  const parts = [`<text x="${M.left}" y="${y0 - 10}" class="title">${esc(title)}</text>`];
  const ys = niceStep(yMax);
  for (let v = 0; v <= yMax + 1e-9; v += ys) {
    parts.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${y(v)}" y2="${y(v)}" class="grid"/>`);
    parts.push(`<text x="${M.left - 6}" y="${y(v) + 4}" text-anchor="end">${fmt(v)}</text>`);
  }
  const xs = niceStep(tMax, 10);
  for (let t = 0; t <= tMax + 1e-9; t += xs) {
    parts.push(`<line x1="${x(t)}" x2="${x(t)}" y1="${y0 + PANEL_H}" y2="${y0 + PANEL_H + 4}" class="axis"/>`);
    parts.push(`<text x="${x(t)}" y="${y0 + PANEL_H + 17}" text-anchor="middle">${fmt(t)}</text>`);
  }
  parts.push(
    `<rect x="${M.left}" y="${y0}" width="${W - M.left - M.right}" height="${PANEL_H}" class="frame"/>`,
    `<text transform="translate(${M.left - 44},${y0 + PANEL_H / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`,
  );
  series.forEach((s, i) => {
    const pts = [];
    s.points.forEach(([t, v], j) => {
      if (s.step && j > 0) pts.push(`${x(t).toFixed(1)},${y(s.points[j - 1][1]).toFixed(1)}`);
      pts.push(`${x(t).toFixed(1)},${y(v).toFixed(1)}`);
    });
    if (pts.length > 0) {
      const dash = s.dash ? ` stroke-dasharray="${s.dash}"` : '';
      parts.push(`<polyline points="${pts.join(' ')}" stroke="${s.color}" stroke-width="${s.width ?? 2}"${dash}/>`);
    }
    const ly = y0 + 14 + i * 18;
    parts.push(
      `<line x1="${W - M.right + 12}" x2="${W - M.right + 32}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.color}" stroke-width="3"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`,
      `<text x="${W - M.right + 38}" y="${ly}">${esc(s.name)}</text>`,
    );
  });
  return parts.join('\n');
}

/** The chart as an SVG document. */
export function renderChart(timeline, samples, title = 'yolomq autoscaling') {
  if (samples.length === 0) throw new Error('no status samples to draw');
  const bench = timeline.map((p) => ({ ...p, t: p.t + (p.offset ?? 0) }));
  const tMax = Math.max(1, ...samples.map((s) => s.t), ...bench.map((p) => p.t + 1));
  const arrival = samples.map((s) => [s.t, s.arrivalRate ?? 0]);
  // a bench second [t, t+1) is drawn at its middle
  const completed = bench.map((p) => [p.t + 0.5, p.completed - (p.errors ?? 0)]);
  const rateMax = Math.max(1, ...arrival.map((p) => p[1]), ...completed.map((p) => p[1])) * 1.1;
  const queued = samples.map((s) => [s.t, s.queued]);
  const desired = samples.filter((s) => s.desired !== null && s.desired !== undefined).map((s) => [s.t, s.desired]);
  const live = samples.map((s) => [s.t, s.live]);
  const countMax = Math.max(4, ...queued.map((p) => p[1]), ...desired.map((p) => p[1]), ...live.map((p) => p[1])) * 1.1;
  const errors = bench.reduce((n, p) => n + (p.errors ?? 0), 0);
  const sent = bench.reduce((n, p) => n + (p.sent ?? 0), 0);
  const H = M.top + 2 * PANEL_H + M.gap + M.bottom;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12" role="img">`,
    `<title>${esc(title)}: arrival rate, queue depth, desired and actual workers over time</title>`,
    '<style>.grid{stroke:#e5e5e5}.axis{stroke:#333}.frame{fill:none;stroke:#333}.title{font-weight:bold;font-size:13px}polyline{fill:none;stroke-linejoin:round}</style>',
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" class="title">${esc(title)} — ${sent} requests sent, ${errors} failed</text>`,
    panel({
      y0: M.top,
      title: 'Load',
      yLabel: 'requests / s',
      tMax,
      yMax: rateMax,
      series: [
        { name: 'arrival rate', color: COLORS.arrival, points: arrival },
        { name: 'completed / s', color: COLORS.completed, points: completed, dash: '5,3' },
      ],
    }),
    panel({
      y0: M.top + PANEL_H + M.gap,
      title: 'Queue and workers',
      yLabel: 'count',
      tMax,
      yMax: countMax,
      series: [
        { name: 'queue depth', color: COLORS.queued, points: queued, width: 1.5 },
        { name: 'desired workers', color: COLORS.desired, points: desired, step: true, width: 2.5, dash: '6,3' },
        { name: 'actual workers', color: COLORS.live, points: live, step: true, width: 2.5 },
      ],
    }),
    `<text x="${M.left + (W - M.left - M.right) / 2}" y="${H - 8}" text-anchor="middle">time (s)</text>`,
    '</svg>',
    '',
  ].join('\n');
}

function main() {
  const { values } = parseArgs({
    options: {
      timeline: { type: 'string' },
      'status-samples': { type: 'string' },
      out: { type: 'string' },
      title: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || !values['status-samples'] || !values.out) {
    process.stderr.write(
      'usage: npm run plot -- --status-samples status.jsonl [--timeline bench.jsonl] --out chart.svg [--title TEXT]\n',
    );
    process.exit(values.help ? 0 : 2);
  }
  try {
    const read = (file) => readJsonLines(readFileSync(file, 'utf8'), file);
    const samples = read(values['status-samples']);
    const timeline = values.timeline ? read(values.timeline) : [];
    writeFileSync(values.out, renderChart(timeline, samples, values.title));
    process.stdout.write(`wrote ${values.out} (${samples.length} status samples, ${timeline.length} bench seconds)\n`);
  } catch (error) {
    process.stderr.write(`plot failed: ${error.message}\n`);
    process.exit(1);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) main();
