// `yolomq serve`: a whole cluster on one machine, in the foreground, with one merged readable log.
//   node scripts/serve.mjs [--workers M] [--processes] [--model PATH]       (npm run serve -- ...)
// Threads (the default): the broker and M workers are attached worker threads of one process, each
// with its own environment, logger and sockets, talking over tcp on loopback as separate machines
// would. --processes: the same units as child processes. Containers: docker compose. The service
// code is the same in all three forms. Configuration: the usual YOLOMQ_* variables (.env is read).
// Ctrl-C stops the broker first (it drains accepted requests), then the workers; a second Ctrl-C forces.
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startCluster } from './cluster.mjs';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const ENTRIES = {
  broker: resolve(ROOT, 'services/broker/dist/main.js'),
  worker: resolve(ROOT, 'services/worker/dist/main.js'),
  gateway: resolve(ROOT, 'services/gateway/dist/main.js'),
};

export const USAGE = `usage: yolomq serve [--workers M] [--processes] [--model PATH]
  --workers M    number of workers (default 2; 0 runs the broker alone)
  --processes    run the broker and workers as child processes instead of attached threads
  --model PATH   ONNX model for the workers (default: $YOLOMQ_MODEL, else the first that exists of
                 ../shared/models/yolov8n_int8.onnx and ./models/yolov8n.onnx)
Every other setting comes from the YOLOMQ_* environment variables (see .env.example).`;

/** Where the workers' model comes from: --model, YOLOMQ_MODEL, or the first default that exists. */
export function resolveModel(flag, env, root = ROOT) {
  if (flag) return { ok: true, path: resolve(flag) };
  if (env.YOLOMQ_MODEL) return { ok: true, path: resolve(env.YOLOMQ_MODEL) };
  const candidates = [resolve(root, '../shared/models/yolov8n_int8.onnx'), resolve(root, 'models/yolov8n.onnx')];
  const found = candidates.find((p) => existsSync(p));
  if (found) return { ok: true, path: found };
  return {
    ok: false,
    message: [
      'no model to serve: looked for',
      ...candidates.map((p) => `  ${p}`),
      'Run `make model` to download yolov8n.onnx into ./models, or point YOLOMQ_MODEL (or --model) at any',
      'YOLO ONNX file.',
    ].join('\n'),
  };
}

/** Parses the command line. Returns { ok, options } or { ok: false, message }. */
export function parseServeArgs(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        workers: { type: 'string', short: 'w' },
        processes: { type: 'boolean', default: false },
        threads: { type: 'boolean', default: false },
        model: { type: 'string', short: 'm' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (err) {
    return { ok: false, message: `${err.message}\n${USAGE}` };
  }
  const v = parsed.values;
  if (v.help) return { ok: true, help: true };
  const workersText = v.workers ?? '2';
  if (!/^\d+$/.test(workersText) || Number(workersText) > 64) {
    return { ok: false, message: `--workers must be a whole number from 0 to 64 (got ${workersText})\n${USAGE}` };
  }
  if (v.processes && v.threads) return { ok: false, message: `choose --processes or --threads, not both\n${USAGE}` };
  return {
    ok: true,
    options: { workers: Number(workersText), mode: v.processes ? 'processes' : 'threads', model: v.model },
  };
}

async function loadDotenv(env) {
  // same rule as the services: .env fills in what the environment does not set
  try {
    const dotenv = await import('dotenv');
    dotenv.config({ path: resolve(ROOT, '.env'), processEnv: env, quiet: true });
  } catch {
    // dotenv missing: the environment alone configures the cluster
  }
}

export async function main(argv, env = { ...process.env }) {
  const args = parseServeArgs(argv);
  if (!args.ok) {
    console.error(args.message);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  const { workers, mode, model } = args.options;
  await loadDotenv(env);
  const needed = workers > 0 ? ['broker', 'worker'] : ['broker'];
  const missing = needed.filter((s) => !existsSync(ENTRIES[s]));
  if (missing.length > 0) {
    console.error(
      `not built: ${missing.map((s) => ENTRIES[s]).join(', ')}\nRun \`npm run build\` (or make build) first.`,
    );
    return 1;
  }
  if (workers > 0) {
    const m = resolveModel(model, env);
    if (!m.ok) {
      console.error(m.message);
      return 1;
    }
    if (!existsSync(m.path)) {
      console.error(
        `model not found: ${m.path}\nRun \`make model\` or point YOLOMQ_MODEL (or --model) at a YOLO ONNX file.`,
      );
      return 1;
    }
    env.YOLOMQ_MODEL = m.path;
  }
  const color = Boolean(process.stdout.isTTY) && !env.NO_COLOR;
  const cluster = startCluster({
    mode,
    workers,
    env,
    entries: ENTRIES,
    print: (line) => process.stdout.write(`${line}\n`),
    color,
  });
  let firstSignalAt = 0;
  const onSignal = (signal) => {
    const now = Date.now();
    if (firstSignalAt === 0) {
      firstSignalAt = now;
      void cluster.stop();
    } else if (now - firstSignalAt > 500) {
      // a second Ctrl-C forces; the same signal twice within 500 ms is one event delivered twice
      // (to the process and to its process group, as `timeout` and some shells do)
      console.error(`${signal} again: forcing exit`);
      // threads cannot be torn down with their sockets open (zeromq.js aborts the process), so a
      // forced stop of the threads form ends the whole process at once; child processes are killed
      if (mode === 'threads') process.kill(process.pid, 'SIGKILL');
      void cluster.kill().then(() => process.exit(130));
    }
  };
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(s, onSignal);
  const status = await cluster.done;
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.off(s, onSignal);
  return status;
}
