/**
 * Each scenario of the fault suite records one row of RELIABILITY.md here: a JSON file per scenario
 * under artifacts/reliability/ (git-ignored); scripts/reliability-report.mjs turns them into the table.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ROOT } from './cluster.js';

export interface ReliabilityRow {
  scenario: string;
  load: string;
  faults: string;
  sent: number;
  answered: number;
  lost: number;
  duplicated: number;
  /** measured recovery time in ms, or null where the scenario has none */
  recoveryMs: number | null;
  notes: string;
  /** passed | failed | skipped (with the reason in notes) */
  outcome?: 'passed' | 'failed' | 'skipped';
}

export const RELIABILITY_DIR = resolve(ROOT, 'artifacts/reliability');

export function recordRow(id: string, row: ReliabilityRow): void {
  mkdirSync(RELIABILITY_DIR, { recursive: true });
  const full = { outcome: 'passed', ...row, recordedAt: new Date().toISOString() };
  writeFileSync(resolve(RELIABILITY_DIR, `${id}.json`), `${JSON.stringify(full, null, 2)}\n`);
}

export function errorsText(errors: Record<string, number>): string {
  const parts = Object.entries(errors).map(([k, v]) => `${k} ${v}`);
  return parts.length === 0 ? 'no errors' : parts.join(', ');
}
