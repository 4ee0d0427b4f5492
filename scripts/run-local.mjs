#!/usr/bin/env node
// `make run`: the embedded default a newcomer can run on any machine with Node and no Docker: a broker
// and workers in the foreground with one merged, readable log; Ctrl-C stops it cleanly.
// It is `yolomq serve` (scripts/serve.mjs) with the Makefile's knobs: WORKERS (2) and MODE (threads |
// processes); extra arguments pass through, e.g. `node scripts/run-local.mjs --model other.onnx`.
import { main } from './serve/cli.mjs';

const mode = process.env.MODE || 'threads';
if (mode !== 'threads' && mode !== 'processes') {
  console.error(`MODE must be threads or processes (got ${mode})`);
  process.exit(2);
}
const args = ['--workers', process.env.WORKERS || '2', `--${mode}`, ...process.argv.slice(2)];
process.exitCode = await main(args);
