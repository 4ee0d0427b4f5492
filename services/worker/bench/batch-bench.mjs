#!/usr/bin/env node
// npm run bench:batch [-- --batch 4 --delay 2 --seconds 4 --rounds 2 --loads 16,2]
// (or node services/worker/bench/batch-bench.mjs after a build)
//
// Dynamic batching (YOLOMQ_BATCH_MAX) against batch 1. The test model is converted to a dynamic batch
// into a temp dir (services/worker/src/model/dynamic-batch.ts).
//   1. In process, one thread with the worker's intra-op threads: session.run per image at batch 1 and
//      at batch B (alternating, medians): what batching can gain at best on this machine.
//   2. At the same load: two worker processes load that same file, one with YOLOMQ_BATCH_MAX=1 and one
//      with --batch, with the same threads (the worker's defaults for this machine, or
//      YOLOMQ_INFERENCE_THREADS / _INTRA_OP_THREADS).
// A broker stand-in in this process keeps `load` requests in flight (closed loop: each answer sends
// the next request); requests beyond a worker's credit queue here, as in the broker, so latency is
// what a client sees: queue + worker. Each load runs both workers in alternating rounds, so a noisy
// neighbour hits both. Prints images/s, p50/p95 latency and the mean batch (images per session.run,
// from the inferenceMs the jobs of one batch share; about: two runs of the same rounded time count
// once) per worker, and the ratios batch B / batch 1.
// No target: on CPU the gain depends on the cores; the numbers are reported whatever they are.
// Model: YOLOMQ_TEST_MODEL (default ../shared/models/yolov8n_int8.onnx); photos: ../shared/images/*.jpg.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { decodeWorkerMessage, encodeJobRequest, encodeTiming, HEARTBEAT_MESSAGE, parseResult } from '@yolomq/protocol';
import ort from 'onnxruntime-node';
import { Router } from 'zeromq';
import { makeBatchDynamic } from '../dist/index.js';
import { f, model, outbox, root, sharedPhotos, workerDefaults } from './bench-setup.mjs';

const { values: args } = parseArgs({
  options: {
    batch: { type: 'string', default: '4' },
    delay: { type: 'string', default: '2' },
    seconds: { type: 'string', default: '4' },
    rounds: { type: 'string', default: '2' },
    loads: { type: 'string' },
  },
});
const B = Number(args.batch);
const SECONDS = Number(args.seconds);
const ROUNDS = Number(args.rounds);
const photos = sharedPhotos().map((p) => p.bytes);
const { inferenceThreads: K, intraOpThreads: T } = workerDefaults([
  'YOLOMQ_INFERENCE_THREADS',
  'YOLOMQ_INTRA_OP_THREADS',
]);
// full load: every thread of the batching worker holds a batch computing and the next one gathering
const LOADS = (args.loads ?? `${2 * K * B},${K}`).split(',').map(Number);

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s[Math.min(s.length - 1, Math.floor(q * s.length))];
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const dir = mkdtempSync(join(tmpdir(), 'yolomq-batch-bench-'));
const dynamicModel = join(dir, 'dynamic.onnx');
writeFileSync(dynamicModel, makeBatchDynamic(readFileSync(model)).bytes);

console.log(
  `yolomq batch bench: ${model.split('/').pop()} made dynamic, K=${K} inference threads x ${T} intra-op thread(s), ` +
    `batch 1 vs batch ${B} (delay ${args.delay} ms), ${availableParallelism()} CPUs`,
);

// ---- 1. session.run alone, one thread: ms per image at batch 1 and at batch B -------------------------
const session = await ort.InferenceSession.create(dynamicModel, {
  intraOpNumThreads: T,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
});
const input = session.inputMetadata[0];
const [, , H, W] = input.shape;
const feeds = (n) => {
  const size = n * 3 * H * W;
  const data = input.type === 'float16' ? new Uint16Array(size).fill(0x3729) : new Float32Array(size).fill(114 / 255);
  return { [input.name]: new ort.Tensor(input.type, data, [n, 3, H, W]) };
};
const one = feeds(1);
const many = feeds(B);
await session.run(one);
await session.run(many);
const perImage1 = [];
const perImageB = [];
for (let i = 0; i < 6; i++) {
  let t = performance.now();
  await session.run(one);
  perImage1.push(performance.now() - t);
  t = performance.now();
  await session.run(many);
  perImageB.push((performance.now() - t) / B);
}
await session.release();
const run1 = quantile(perImage1, 0.5);
const runB = quantile(perImageB, 0.5);
console.log(
  `session.run, one thread x ${T} intra-op (medians of 6): batch 1 ${f(run1)} ms/image, batch ${B} ${f(runB)} ms/image, ` +
    `ratio ${f(runB / run1, 3)}`,
);

// ---- 2. the broker stand-in and the two workers ---------------------------------------------------
const router = new Router({ linger: 0 });
await router.bind('tcp://127.0.0.1:0');
const { send } = outbox(router);

/** per worker id: its credit, jobs in flight, requests waiting for credit, and the measurements */
const workers = new Map();
let seq = 0;
const dispatch = (w) => {
  while (w.inflight.size < w.credit && w.waiting.length > 0) {
    const request = w.waiting.shift();
    w.inflight.set(request.id, request);
    send([w.routingId, ...encodeJobRequest(request.id, Buffer.alloc(0), encodeTiming(600_000, 0), request.image)]);
  }
};
const request = (w) => {
  const id = `r${++seq}`;
  w.waiting.push({ id, image: photos[seq % photos.length], createdAt: performance.now() });
  dispatch(w);
};
void (async () => {
  for await (const [id, ...frames] of router) {
    const msg = decodeWorkerMessage(frames);
    if (!msg.ok) continue;
    const m = msg.value;
    if (m.command === 'READY') {
      const w = workers.get(m.info.workerId);
      w.routingId = id;
      w.credit = m.info.credit;
      w.ready();
    } else if (m.command === 'REPLY' || m.command === 'ERROR') {
      const w = [...workers.values()].find((x) => x.inflight.has(m.jobId));
      if (w === undefined) continue;
      const r = w.inflight.get(m.jobId);
      w.inflight.delete(m.jobId);
      if (m.command === 'ERROR') w.errors++;
      else if (w.measuring) {
        w.latencies.push(performance.now() - r.createdAt);
        // the jobs of one batch report the same inferenceMs (one session.run): distinct values ~ runs
        const result = parseResult(m.result);
        if (result.ok) w.runs.add(result.value.timings.inferenceMs);
      }
      if (w.feeding) request(w);
      dispatch(w);
    }
  }
})();
const heartbeat = setInterval(() => {
  for (const w of workers.values()) if (w.routingId) send([w.routingId, ...HEARTBEAT_MESSAGE]);
}, 500);

function startWorker(name, batchMax) {
  const w = {
    name,
    batchMax,
    credit: 0,
    inflight: new Map(),
    waiting: [],
    latencies: [],
    runs: new Set(),
    errors: 0,
    feeding: false,
    measuring: false,
  };
  const ready = new Promise((r) => {
    w.ready = r;
  });
  workers.set(name, w);
  w.process = spawn(process.execPath, [join(root, 'services/worker/dist/main.js')], {
    env: {
      ...process.env,
      YOLOMQ_BROKER_BACKEND: router.lastEndpoint,
      YOLOMQ_MODEL: dynamicModel,
      YOLOMQ_WORKER_ID: name,
      YOLOMQ_BATCH_MAX: String(batchMax),
      YOLOMQ_BATCH_DELAY_MS: args.delay,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return ready.then(() => w);
}
const single = await startWorker('batch-1', 1);
const batched = await startWorker(`batch-${B}`, B);
process.on('exit', () => {
  for (const w of workers.values()) w.process.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** Keeps `load` requests in flight on w for SECONDS after a second of warm-up; returns images/s and latencies. */
async function measure(w, load) {
  w.feeding = true;
  for (let i = 0; i < load; i++) request(w);
  await sleep(1000);
  w.latencies = [];
  w.runs = new Set();
  w.measuring = true;
  const t0 = performance.now();
  await sleep(SECONDS * 1000);
  w.measuring = false;
  const seconds = (performance.now() - t0) / 1000;
  const latencies = w.latencies;
  w.feeding = false;
  while (w.inflight.size > 0 || w.waiting.length > 0) await sleep(20);
  return { rate: latencies.length / seconds, latencies, runs: w.runs.size };
}

const results = [];
for (const load of LOADS) {
  const acc = new Map([
    [single, { images: 0, seconds: 0, latencies: [], runs: 0 }],
    [batched, { images: 0, seconds: 0, latencies: [], runs: 0 }],
  ]);
  for (let round = 0; round < ROUNDS; round++) {
    // alternate which goes first, so neither always follows the other's tail
    for (const w of round % 2 === 0 ? [single, batched] : [batched, single]) {
      const r = await measure(w, load);
      const a = acc.get(w);
      a.images += r.latencies.length;
      a.seconds += r.latencies.length / r.rate;
      a.latencies.push(...r.latencies);
      a.runs += r.runs;
      console.log(
        `  load ${load}, round ${round + 1}: ${w.name} ${f(r.rate, 2)} images/s, p50 ${f(quantile(r.latencies, 0.5))} ms`,
      );
    }
  }
  const row = (w) => {
    const a = acc.get(w);
    return {
      rate: a.images / a.seconds,
      p50: quantile(a.latencies, 0.5),
      p95: quantile(a.latencies, 0.95),
      batch: a.images / a.runs,
    };
  };
  results.push({ load, single: row(single), batched: row(batched) });
}

clearInterval(heartbeat);
for (const w of workers.values()) w.process.kill('SIGTERM');
await Promise.all([...workers.values()].map((w) => Promise.race([once(w.process, 'exit'), sleep(10_000)])));
router.close();
const errors = single.errors + batched.errors;
if (errors > 0) throw new Error(`${errors} jobs failed during the run`);

console.log(
  `\nbatch ${B} vs batch 1, same load (requests in flight), ${ROUNDS} alternating rounds of ${SECONDS} s each:`,
);
const widths = [6, 10, 7, 10, 9, 9, 10, 10, 10];
const line = (cells) => cells.map((c, i) => String(c).padStart(widths[i])).join('  ');
console.log(
  line(['load', 'worker', 'credit', 'images/s', 'p50 ms', 'p95 ms', 'mean batch', `tput ${B}/1`, `p50 ${B}/1`]),
);
for (const r of results) {
  const { single: a, batched: b } = r;
  console.log(line([r.load, 'batch 1', single.credit, f(a.rate, 2), f(a.p50), f(a.p95), f(a.batch, 2)]));
  console.log(
    line([
      '',
      `batch ${B}`,
      batched.credit,
      f(b.rate, 2),
      f(b.p50),
      f(b.p95),
      f(b.batch, 2),
      `${f(b.rate / a.rate, 3)}x`,
      `${f(b.p50 / a.p50, 3)}x`,
    ]),
  );
}
process.exit(0);
