#!/usr/bin/env node
// Writes RELIABILITY.md from the rows the fault suite recorded in artifacts/reliability/*.json.
// Run by the fault suite's global teardown (npm run test:faults); can be run alone: node scripts/reliability-report.mjs
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../..');
const dir = resolve(root, 'artifacts/reliability');
const rows = existsSync(dir)
  ? readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => JSON.parse(readFileSync(resolve(dir, f), 'utf8')))
  : [];

const cell = (v) =>
  String(v ?? '')
    .replaceAll('|', '\\|')
    .replaceAll('\n', ' ');
const num = (v) => (v === null || v === undefined ? 'n/a' : String(v));
const lines = [
  '# Reliability',
  '',
  'What yolomq does under faults, measured by its fault suite. This file is generated: do not edit it by hand.',
  '',
  'Regenerate it with `npm run test:faults` (builds, runs every scenario in `test/faults/*.fault.ts` with',
  '`vitest.faults.config.ts`, then runs `node scripts/reliability-report.mjs`, which turns the rows each',
  'scenario recorded in `artifacts/reliability/` into this table). One scenario alone:',
  '`npx vitest run -c vitest.faults.config.ts test/faults/<name>.fault.ts`.',
  '',
  'Lost = requests sent and never answered; duplicated = request ids answered more than once. Both are',
  'counted by raw ZeroMQ Dealer clients that never retry (an SDK retry could hide a duplicate), except where',
  "a row says it uses the SDK. Recovery = the time the row's notes define, measured by the suite.",
  '',
  '| Scenario | Outcome | Load held | Faults injected | Sent | Answered | Lost | Duplicated | Recovery (ms) | Notes |',
  '|---|---|---|---|---:|---:|---:|---:|---:|---|',
];
for (const r of rows) {
  lines.push(
    `| ${cell(r.scenario)} | ${cell(r.outcome)} | ${cell(r.load)} | ${cell(r.faults)} | ${num(r.sent)} | ${num(r.answered)} | ${num(r.lost)} | ${num(r.duplicated)} | ${num(r.recoveryMs)} | ${cell(r.notes)} |`,
  );
}
if (rows.length === 0) lines.push('| (no scenario recorded yet: run npm run test:faults) | | | | | | | | | |');
const when = rows.map((r) => r.recordedAt).sort();
lines.push(
  '',
  when.length > 0 ? `Rows recorded between ${when[0]} and ${when.at(-1)}.` : '',
  '',
  '## Long soak',
  '',
  'The suite runs a 90-second soak. The long one is run by hand: `npm run build && npm run soak -- --minutes 60`',
  "(samples the RSS of the broker and each worker every 500 ms and fails when a process's RSS peak grew more",
  'than 10% from the first half after warm-up to the second; scripts/soak.mjs says why the peak).',
  '',
);
const out = resolve(root, 'RELIABILITY.md');
writeFileSync(out, lines.join('\n'));
process.stdout.write(`RELIABILITY.md written (${rows.length} scenarios)\n`);
