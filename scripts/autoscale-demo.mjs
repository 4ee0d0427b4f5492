#!/usr/bin/env node
// An autoscaling run end to end, recorded and drawn: starts a broker with the process actuator
// (YOLOMQ_SCALER=process, min 1, max 3), drives it with `yolomq bench` on synthetic images (light load,
// then heavy load, then nothing), samples /status every 250 ms, and draws the run with
// scripts/plot-autoscale.mjs. Needs `npm run build` and a model (YOLOMQ_MODEL, default
// ../shared/models/yolov8n_int8.onnx).
//
//   node scripts/autoscale-demo.mjs [--out out/autoscale] [--svg docs/autoscale.svg]
//
// Writes into --out: status.jsonl (the samples), timeline.jsonl (the bench phases' --timeline lines,
// each with the phase's offset in seconds), broker.log, summary.json; and the chart to --svg.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { renderChart } from './plot-autoscale.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    out: { type: 'string', default: join(root, 'out/autoscale') },
    svg: { type: 'string' },
    'light-s': { type: 'string', default: '8' },
    'heavy-s': { type: 'string', default: '25' },
    'heavy-concurrency': { type: 'string', default: '8' },
  },
});
const out = resolve(values.out);
const svg = resolve(values.svg ?? join(out, 'autoscale.svg'));
const modelPath = resolve(root, process.env.YOLOMQ_MODEL ?? '../shared/models/yolov8n_int8.onnx');
if (!existsSync(modelPath)) {
  process.stderr.write(`no model at ${modelPath}: set YOLOMQ_MODEL or run make model\n`);
  process.exit(2);
}
const POLICY = { min: 1, max: 3, target: 2, upscaleDelayMs: 2000, downscaleDelayMs: 10_000 };
mkdirSync(out, { recursive: true });

async function freePort() {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  server.close();
  return port;
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// synthetic load: generated pictures (coloured boxes on a gradient), nothing from ../shared
const images = join(out, 'synthetic');
mkdirSync(images, { recursive: true });
for (let i = 0; i < 4; i++) {
  const boxes = Array.from(
    { length: 6 },
    (_, j) =>
      `<rect x="${(j * 97 + i * 31) % 560}" y="${(j * 61 + i * 47) % 400}" width="${60 + j * 9}" height="${50 + i * 11}" fill="hsl(${(i * 90 + j * 40) % 360},70%,50%)"/>`,
  ).join('');
  const overlay = Buffer.from(`<svg width="640" height="480">${boxes}</svg>`);
  await sharp({ create: { width: 640, height: 480, channels: 3, background: { r: 40 * i, g: 120, b: 200 - 40 * i } } })
    .composite([{ input: overlay }])
    .jpeg({ quality: 85 })
    .toFile(join(images, `synthetic-${i}.jpg`));
}

const [f, b, h, p] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
const frontend = `tcp://127.0.0.1:${f}`;
const http = `http://127.0.0.1:${h}`;
const children = new Set();
const brokerLog = createWriteStream(join(out, 'broker.log'));
const broker = spawn(process.execPath, [join(root, 'services/broker/dist/main.js')], {
  env: {
    ...process.env,
    YOLOMQ_FRONTEND_BIND: frontend,
    YOLOMQ_BACKEND_BIND: `tcp://127.0.0.1:${b}`,
    YOLOMQ_HTTP_HOST: '127.0.0.1',
    YOLOMQ_HTTP_PORT: String(h),
    YOLOMQ_SCALER: 'process',
    YOLOMQ_SCALER_MIN: String(POLICY.min),
    YOLOMQ_SCALER_MAX: String(POLICY.max),
    YOLOMQ_SCALER_TARGET: String(POLICY.target),
    YOLOMQ_SCALER_UPSCALE_DELAY_MS: String(POLICY.upscaleDelayMs),
    YOLOMQ_SCALER_DOWNSCALE_DELAY_MS: String(POLICY.downscaleDelayMs),
    YOLOMQ_SCALER_INTERVAL_MS: '250',
    YOLOMQ_SCALER_PUB_BIND: `tcp://127.0.0.1:${p}`,
    YOLOMQ_DEFAULT_MODEL: basename(modelPath, '.onnx'),
    YOLOMQ_MODEL: modelPath,
    YOLOMQ_INFERENCE_THREADS: '1',
    YOLOMQ_INTRA_OP_THREADS: '1',
    YOLOMQ_PREFETCH: '1',
  },
  stdio: ['ignore', 'pipe', 'pipe'],
});
children.add(broker);
broker.stdout.pipe(brokerLog);
broker.stderr.pipe(brokerLog);
const stopAll = async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  await Promise.all([...children].map((c) => (c.exitCode === null ? once(c, 'exit') : undefined)));
};
process.once('SIGINT', () => stopAll().then(() => process.exit(130)));

const t0 = Date.now();
const secs = () => (Date.now() - t0) / 1000;
const samples = [];
let sampling = true;
const sampler = (async () => {
  while (sampling) {
    try {
      const doc = await (await fetch(`${http}/status`)).json();
      const q = doc.queues.find((x) => x.model === doc.defaultModel);
      if (q !== undefined) {
        samples.push({
          t: Math.round(secs() * 1000) / 1000,
          arrivalRate: q.arrivalRate ?? 0,
          queued: q.queued,
          inflight: q.inflight,
          desired: q.desiredWorkers ?? null,
          live: q.liveWorkers,
          littleWorkers: q.littleWorkers ?? null,
          activeClients: q.activeClients ?? null,
        });
      }
    } catch {
      // not listening yet
    }
    await sleep(250);
  }
})();
const until = async (what, ok, timeoutMs) => {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const s = samples.at(-1);
    if (s !== undefined && ok(s)) return s;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
};

const timeline = [];
const phases = [];
async function bench(name, concurrency, seconds) {
  const file = join(out, `bench-${name}.jsonl`);
  const offset = secs();
  phases.push({ name, concurrency, seconds, at: offset });
  const child = spawn(
    process.execPath,
    [
      join(root, 'services/client/dist/cli/main.js'),
      'bench',
      '--broker',
      frontend,
      '--images',
      images,
      '--concurrency',
      String(concurrency),
      '--duration',
      `${seconds}s`,
      '--timeout',
      '120s',
      '--timeline',
      file,
      '--json',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  children.add(child);
  let report = '';
  child.stdout.on('data', (d) => {
    report += d;
  });
  const [code] = await once(child, 'exit');
  children.delete(child);
  const parsed = JSON.parse(report);
  // the bench's t = 0 is when it began measuring (after start-up and connecting): its exit less its elapsed time
  const measuredFrom = Math.max(offset, secs() - parsed.elapsedMs / 1000);
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() !== '') {
      timeline.push({ ...JSON.parse(line), offset: Math.round(measuredFrom * 1000) / 1000, phase: name });
    }
  }
  process.stdout.write(`${name}: ${parsed.ok} ok, ${parsed.failed} failed (bench exit ${code})\n`);
  return parsed;
}

let summary;
try {
  await until('the first worker (min 1)', (s) => s.live >= 1, 120_000);
  const light = await bench('light', 1, Number(values['light-s']));
  const heavy = await bench('heavy', Number(values['heavy-concurrency']), Number(values['heavy-s']));
  const stoppedAt = secs();
  await until('back to min', (s) => s.t > stoppedAt && s.live === POLICY.min && s.desired === POLICY.min, 120_000);
  await sleep(3000);
  const maxLive = Math.max(...samples.map((s) => s.live));
  const heavyAt = phases[1].at;
  const reachedMax = samples.find((s) => s.t >= heavyAt && s.live === maxLive);
  const dropped = samples.find((s) => s.t > stoppedAt && s.desired !== null && s.desired < maxLive);
  const backToMin = samples.find((s) => s.t > stoppedAt && s.live === POLICY.min);
  summary = {
    policy: POLICY,
    requests: { ok: light.ok + heavy.ok, failed: light.failed + heavy.failed },
    heavyStartedAtS: heavyAt,
    maxLiveWorkers: maxLive,
    reachedMaxAfterS: reachedMax ? Math.round((reachedMax.t - heavyAt) * 10) / 10 : null,
    loadStoppedAtS: Math.round(stoppedAt * 10) / 10,
    desiredDroppedAfterS: dropped ? Math.round((dropped.t - stoppedAt) * 10) / 10 : null,
    backToMinAfterS: backToMin ? Math.round((backToMin.t - stoppedAt) * 10) / 10 : null,
    throughput: { light: light.throughput, heavy: heavy.throughput },
  };
} finally {
  sampling = false;
  await sampler;
  await stopAll();
  brokerLog.end();
}
writeFileSync(join(out, 'status.jsonl'), `${samples.map((s) => JSON.stringify(s)).join('\n')}\n`);
writeFileSync(join(out, 'timeline.jsonl'), `${timeline.map((s) => JSON.stringify(s)).join('\n')}\n`);
writeFileSync(join(out, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
const title = `yolomq autoscaling (process actuator, min ${POLICY.min} max ${POLICY.max} target ${POLICY.target}, up ${POLICY.upscaleDelayMs / 1000} s, down ${POLICY.downscaleDelayMs / 1000} s)`;
writeFileSync(svg, renderChart(timeline, samples, title));
process.stdout.write(`${JSON.stringify(summary, null, 2)}\nwrote ${svg}\n`);
process.exit(summary.requests.failed === 0 ? 0 : 1);
