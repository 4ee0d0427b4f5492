/**
 * The short soak (the long one is `npm run soak -- --minutes 60`, by hand): 90 s of constant load on a
 * broker and two real workers; every process's RSS peak after warm-up grows less than 10% (scripts/soak.mjs
 * says why the peak).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, requireBuilt } from './support/cluster.js';
import { errorsText, RELIABILITY_DIR, recordRow } from './support/record.js';

interface SoakSummary {
  ok: boolean;
  minutes: number;
  warmupS: number;
  sent: number;
  results: number;
  errors: Record<string, number>;
  lost: number;
  duplicated: number;
  processes: Array<{
    process: string;
    warmRssMiB: number;
    endRssMiB: number;
    growth: number;
    warmFloorMiB: number;
    endFloorMiB: number;
  }>;
}

const SOAK_ARGS = ['--minutes', '1.5', '--warmup-s', '30'];

describe('soak (short)', () => {
  it('holds RSS peak growth under 10% after warm-up for 90 s of constant load', async () => {
    requireBuilt();
    const json = resolve(RELIABILITY_DIR, 'soak-summary.json.txt');
    // spawn, not spawnSync: the test process must stay responsive to vitest while the soak runs
    const child = spawn(process.execPath, [resolve(ROOT, 'scripts/soak.mjs'), ...SOAK_ARGS, '--json', json], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const status = await new Promise<number | null>((r) => child.once('exit', r));
    const run = { status, stdout: out, stderr: '' };
    const summary = JSON.parse(readFileSync(json, 'utf8')) as SoakSummary;
    recordRow('08-soak', {
      scenario: 'Soak, short (CI): constant load, RSS sampled',
      load: '2 raw clients x 2 in flight, broker + 2 real workers, 90 s (warm-up 30 s)',
      faults: 'none (time)',
      sent: summary.sent,
      answered: summary.results + Object.values(summary.errors).reduce((a, b) => a + b, 0),
      lost: summary.lost,
      duplicated: summary.duplicated,
      recoveryMs: null,
      notes: `RSS peak (floor): ${summary.processes.map((p) => `${p.process} ${p.warmRssMiB}->${p.endRssMiB} MiB (${(p.growth * 100).toFixed(1)}%; floor ${p.warmFloorMiB}->${p.endFloorMiB})`).join('; ')}; errors: ${errorsText(summary.errors)}`,
      outcome: summary.ok ? 'passed' : 'failed',
    });
    expect(run.status, run.stdout + run.stderr).toBe(0);
    expect(summary.ok).toBe(true);
    expect(summary.sent).toBeGreaterThan(50);
    for (const p of summary.processes) expect(p.growth).toBeLessThanOrEqual(0.1);
  });
});
