#!/usr/bin/env node
// Soak: a broker and real workers under constant load for N minutes, sampling the RSS of every process.
// Fails (exit 1) when any process's RSS peak grew more than --max-growth (default 10%) after warm-up: the
// highest sample of the second half after warm-up against the highest of the first half. Under load RSS
// saws up and down by 20-30% every 5-30 s (external image buffers go only with a major GC, and freed
// memory is not always handed back to the system at once), so a point sample, a median of a few or the
// low envelope depends on where a window falls in that cycle: the floor read +18% once while the peaks
// stayed within 3%. The peak is what the process needs, and a leak raises it; the floor is printed too.
//
//   npm run build && npm run soak -- --minutes 60            (the long run, by hand)
//   npm run soak -- --minutes 1.5 --json artifacts/soak.json (the short run the fault suite does)
//
// Options: --minutes N (1.5)  --workers N (2)  --clients N (2)  --window N (requests in flight per client, 2)
//          --warmup-s N (20% of the run, at least 30)  --sample-ms N (500)  --max-growth F (0.10)
//          --echo (echo workers instead of the model)  --json PATH (write the summary there too)
// Env: YOLOMQ_TEST_MODEL (default ../shared/models/yolov8n_int8.onnx, relative to the repository root)
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { decodeBrokerToClient, encodeRequest } from '@yolomq/protocol';
import { Dealer } from 'zeromq';

const root = resolve(fileURLToPath(import.meta.url), '../..');
const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '1.5' },
    workers: { type: 'string', default: '2' },
    clients: { type: 'string', default: '2' },
    window: { type: 'string', default: '2' },
    'warmup-s': { type: 'string' },
    'sample-ms': { type: 'string', default: '500' },
    'max-growth': { type: 'string', default: '0.10' },
    echo: { type: 'boolean', default: false },
    json: { type: 'string' },
  },
});
const num = (name, min) => {
  const v = Number(args[name]);
  if (!Number.isFinite(v) || v < min) {
    process.stderr.write(`soak: --${name} must be a number >= ${min} (got ${args[name]})\n`);
    process.exit(2);
  }
  return v;
};
const minutes = num('minutes', 0.1);
const durationMs = minutes * 60_000;
const warmupMs = args['warmup-s'] !== undefined ? num('warmup-s', 0) * 1000 : Math.max(30_000, durationMs * 0.2);
const sampleMs = num('sample-ms', 100);
const maxGrowth = num('max-growth', 0);
const nWorkers = num('workers', 1);
const nClients = num('clients', 1);
const window = num('window', 1);
const model = resolve(root, process.env.YOLOMQ_TEST_MODEL ?? '../shared/models/yolov8n_int8.onnx');
const image = readFileSync(resolve(root, '../shared/images/bus.jpg'));

const children = [];
function start(script, env) {
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const onData = (d) => {
    out = (out + d.toString()).slice(-20_000);
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  children.push(child);
  return { child, output: () => out };
}
function stopAll() {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}
process.on('exit', stopAll);
process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));

async function freePort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function waitFor(check, ms, what) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check().catch(() => false)) return;
    await sleep(50);
  }
  throw new Error(`soak: timed out waiting for ${what}`);
}
function rss(pid) {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}
const percentile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s[Math.floor((s.length - 1) * p)];
};
const mib = (bytes) => +(bytes / 2 ** 20).toFixed(1);

const [fp, bp, hp] = [await freePort(), await freePort(), await freePort()];
const broker = start(resolve(root, 'services/broker/dist/main.js'), {
  YOLOMQ_FRONTEND_BIND: `tcp://127.0.0.1:${fp}`,
  YOLOMQ_BACKEND_BIND: `tcp://127.0.0.1:${bp}`,
  YOLOMQ_HTTP_HOST: '127.0.0.1',
  YOLOMQ_HTTP_PORT: String(hp),
  LOG_LEVEL: 'warn',
});
const http = `http://127.0.0.1:${hp}`;
await waitFor(async () => (await fetch(`${http}/healthz`)).ok, 15_000, 'the broker');
const workers = [];
for (let i = 0; i < nWorkers; i++) {
  workers.push(
    args.echo
      ? start(resolve(root, 'test/helpers/echo-worker.mjs'), {
          BROKER: `tcp://127.0.0.1:${bp}`,
          WORKER_ID: `soak-echo-${i}`,
          CREDIT: '2',
          ECHO_DELAY_MS: '20',
        })
      : start(resolve(root, 'services/worker/dist/main.js'), {
          YOLOMQ_BROKER_BACKEND: `tcp://127.0.0.1:${bp}`,
          YOLOMQ_MODEL: model,
          YOLOMQ_INFERENCE_THREADS: '1',
          YOLOMQ_INTRA_OP_THREADS: '1',
          YOLOMQ_WORKER_ID: `soak-w${i}`,
          LOG_LEVEL: 'warn',
        }),
  );
}
await waitFor(async () => (await (await fetch(`${http}/status`)).json()).workers.length >= nWorkers, 60_000, 'workers');

// Load: raw clients, each keeping `window` requests in flight; every answer is counted per request id.
let sent = 0;
let results = 0;
let duplicated = 0;
const errors = {};
const pending = new Set();
let running = true;
const clients = [];
for (let c = 0; c < nClients; c++) {
  const socket = new Dealer({ linger: 0 });
  socket.connect(`tcp://127.0.0.1:${fp}`);
  let seq = 0;
  let inflight = 0;
  const answered = new Set();
  let chain = Promise.resolve();
  const sendOne = () => {
    const id = `soak-${c}-${++seq}`;
    pending.add(id);
    inflight++;
    sent++;
    chain = chain.then(() => socket.send(encodeRequest(id, '', { timeoutMs: 30_000 }, image)).catch(() => {}));
  };
  const loop = (async () => {
    for (let i = 0; i < window; i++) sendOne();
    for await (const frames of socket) {
      const d = decodeBrokerToClient(frames);
      if (!d.ok || d.value.command === 'PONG') continue;
      const id = d.value.requestId;
      if (answered.has(id)) {
        duplicated++;
        continue;
      }
      answered.add(id);
      pending.delete(id);
      inflight--;
      if (d.value.command === 'REPLY') results++;
      else errors[d.value.code] = (errors[d.value.code] ?? 0) + 1;
      if (running) sendOne();
      else if (inflight === 0) break;
    }
  })().catch(() => {});
  clients.push({ socket, loop, inflight: () => inflight });
}

const procs = [
  { name: 'broker', pid: broker.child.pid },
  ...workers.map((w, i) => ({ name: args.echo ? `echo-worker-${i}` : `worker-${i}`, pid: w.child.pid })),
];
const samples = procs.map(() => []);
const t0 = Date.now();
process.stdout.write(
  `soak: ${minutes} min, ${nWorkers} ${args.echo ? 'echo' : 'real'} workers, ${nClients} clients x ${window} in flight; warm-up ${Math.round(warmupMs / 1000)} s\n`,
);
let lastPrint = 0;
while (Date.now() - t0 < durationMs) {
  await sleep(sampleMs);
  const t = Date.now() - t0;
  const line = procs.map((p, i) => {
    const r = rss(p.pid);
    if (r !== undefined) samples[i].push({ t, rss: r });
    return `${p.name} ${r === undefined ? 'gone' : `${mib(r)} MiB`}`;
  });
  // a progress line every 5 s or so; every sample counts in the report
  if (t - lastPrint >= 5000) {
    lastPrint = t;
    process.stdout.write(`  t=${(t / 1000).toFixed(0)}s sent ${sent} results ${results} | ${line.join(' | ')}\n`);
  }
}
running = false;
await Promise.race([Promise.all(clients.map((c) => c.loop)), sleep(35_000)]);
for (const c of clients) c.socket.close();

const report = procs.map((p, i) => {
  const after = samples[i].filter((s) => s.t >= warmupMs).map((s) => s.rss);
  const k = Math.max(1, Math.floor(after.length / 2));
  const [first, last] = [after.slice(0, k), after.slice(-k)];
  const [base, end] = [Math.max(...first), Math.max(...last)];
  return {
    process: p.name,
    warmRssMiB: mib(base),
    endRssMiB: mib(end),
    growth: +((end - base) / base).toFixed(4),
    // the low envelope (10th percentile), for reference
    warmFloorMiB: mib(percentile(first, 0.1)),
    endFloorMiB: mib(percentile(last, 0.1)),
    samples: after.length,
  };
});
const lost = pending.size;
const tooFewSamples = report.some((r) => r.samples < 12);
const ok = !tooFewSamples && report.every((r) => r.growth <= maxGrowth) && lost === 0 && duplicated === 0;
const summary = {
  ok,
  minutes,
  warmupS: Math.round(warmupMs / 1000),
  maxGrowth,
  sent,
  results,
  errors,
  lost,
  duplicated,
  processes: report,
};
process.stdout.write(`${JSON.stringify(summary)}\n`);
for (const r of report) {
  process.stdout.write(
    `soak: ${r.process} RSS peak ${r.warmRssMiB} MiB after warm-up -> ${r.endRssMiB} MiB at the end (${(r.growth * 100).toFixed(1)}%, limit ${(maxGrowth * 100).toFixed(0)}%); floor ${r.warmFloorMiB} -> ${r.endFloorMiB} MiB\n`,
  );
}
if (tooFewSamples) process.stdout.write('soak: too few samples after warm-up: run longer or sample faster\n');
process.stdout.write(
  `soak: ${ok ? 'PASSED' : 'FAILED'} (sent ${sent}, results ${results}, lost ${lost}, duplicated ${duplicated})\n`,
);
if (args.json) {
  mkdirSync(dirname(resolve(args.json)), { recursive: true });
  writeFileSync(resolve(args.json), `${JSON.stringify(summary, null, 2)}\n`);
}
stopAll();
process.exit(ok ? 0 : 1);
