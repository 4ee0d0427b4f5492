/** scripts/plot-autoscale.mjs: the chart's SVG from bench timeline lines and /status samples; bad input is a clear error. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without type declarations
import { readJsonLines, renderChart } from '../../scripts/plot-autoscale.mjs';

const PLOT = resolve(fileURLToPath(import.meta.url), '../../../scripts/plot-autoscale.mjs');
const samples = [
  { t: 0, arrivalRate: 0, queued: 0, inflight: 0, desired: 1, live: 1 },
  { t: 5, arrivalRate: 8, queued: 6, inflight: 2, desired: 3, live: 1 },
  { t: 10, arrivalRate: 8, queued: 0, inflight: 6, desired: 3, live: 3 },
  { t: 20, arrivalRate: 0, queued: 0, inflight: 0, desired: 1, live: 1 },
];
const timeline = [
  { t: 0, sent: 4, completed: 4, errors: 0, p99Ms: 300, offset: 5 },
  { t: 1, sent: 8, completed: 7, errors: 1, p99Ms: 500, offset: 5 },
];

describe('plot-autoscale', () => {
  it('draws the four series on one time axis, with the totals in the title', () => {
    const svg: string = renderChart(timeline, samples, 'run');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('<title>run: arrival rate');
    for (const name of ['arrival rate', 'completed / s', 'queue depth', 'desired workers', 'actual workers']) {
      expect(svg).toContain(`>${name}</text>`);
    }
    expect(svg).toContain('12 requests sent, 1 failed');
    expect(svg.match(/<polyline /g)).toHaveLength(5);
    // the desired count is drawn as steps: 4 samples -> 4 points plus 3 step corners
    const desired = svg.split('\n').find((l) => l.includes('stroke="#d62728" stroke-width="2.5"'))!;
    expect(desired.match(/points="([^"]*)"/)![1]!.split(' ')).toHaveLength(7);
  });

  it('refuses an empty run and names the bad line of a file', () => {
    expect(() => renderChart([], [])).toThrow(/no status samples/);
    expect(() => readJsonLines('{"t":0}\nnot json\n', 'status.jsonl')).toThrow(/status.jsonl:2: not a JSON line/);
  });

  it('as a command: writes the SVG, and exits 2 with usage when arguments are missing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'yolomq-plot-'));
    writeFileSync(join(dir, 's.jsonl'), samples.map((s) => JSON.stringify(s)).join('\n'));
    writeFileSync(join(dir, 't.jsonl'), timeline.map((s) => JSON.stringify(s)).join('\n'));
    const ok = spawnSync(process.execPath, [
      PLOT,
      '--status-samples',
      join(dir, 's.jsonl'),
      '--timeline',
      join(dir, 't.jsonl'),
      '--out',
      join(dir, 'c.svg'),
    ]);
    expect(ok.status).toBe(0);
    expect(readFileSync(join(dir, 'c.svg'), 'utf8')).toContain('actual workers');
    const usage = spawnSync(process.execPath, [PLOT, '--out', join(dir, 'x.svg')]);
    expect(usage.status).toBe(2);
    expect(usage.stderr.toString()).toContain('usage: npm run plot');
  });
});
