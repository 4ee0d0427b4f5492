/**
 * Fault-suite global setup/teardown: before, rows of an earlier run are kept (a single scenario can be
 * re-run alone); after, RELIABILITY.md is regenerated from every recorded row.
 */
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../../../..');

export default function setup(): () => void {
  return () => {
    execFileSync(process.execPath, [resolve(root, 'scripts/reliability-report.mjs')], { stdio: 'inherit' });
  };
}
