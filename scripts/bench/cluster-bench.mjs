#!/usr/bin/env node
// npm run bench [-- --quick] [-- --seconds 8 --warmup 2 --out BENCHMARKS.md --json --no-write --profile DIR]
//   (make bench, or make bench QUICK=1; a full run takes about 6 minutes, --quick about 3)
//
// The whole path against the hardware's ceiling, in one run on one machine (issue 8):
//   1. in process: one Detector, the cluster's intra-op threads, photo after photo: the latency of a
//      single inference (full detect: decode + letterbox + session.run + decode/NMS, and session.run
//      alone), and the per-stage medians (the profile: which stage to attack first);
//   2. the ceiling: services/worker/bench/ceiling.mjs, one process whose worker_threads call session.run
//      back to back on prepared tensors, with the same total threads as the cluster (one per core,
//      1 intra-op thread each); measured in rounds alternating with the cluster, the mean is the reference;
//   3. the cluster: the built broker + M = cores worker processes (1 inference thread x 1 intra-op
//      thread each: total threads = cores), loaded by the built CLI (`yolomq bench --json`): closed loop
//      at several concurrencies, open loop at 25/50/75% of the ceiling rate; throughput, p50/p99, the
//      CPU of every process (from /proc/<pid>/stat over the measured window) and its peak RSS (VmHWM);
//   4. variants at full load: prefetch off (YOLOMQ_PREFETCH=0: credit = K, the worker idles while the
//      next job crosses the network; also at c=1) and one worker with K = cores inference threads;
//   5. scaling: M = 1 .. cores workers (1 thread each), efficiency per added worker.
//   6. with --profile DIR: node --cpu-prof of the broker and every worker (and inference thread) at full
//      load; the biggest self times per profile go into the report (cpu-profile.mjs).
// Headline runs alternate (ceiling, cluster, prefetch 0, one worker with K = cores; and in-process
// inference with the c=1 runs) so that a neighbour's load hits all of them alike. The hand-written notes
// below the marker line in BENCHMARKS.md are kept when the file is rewritten.
// Dynamic batching has its own bench (npm run bench:batch, on a dynamic-batch copy of the model); the
// report points to it. Writes BENCHMARKS.md (or --out) and prints the same tables. Targets (2-core machine):
// cluster/ceiling >= 0.9, broker CPU < 5% of the total, low-load p50 within 1 ms of one in-process
// inference. A missed target prints MISS; only an error (a process that did not start, a failed
// request) exits non-zero. Model: YOLOMQ_TEST_MODEL (default ../shared/models/yolov8n_int8.onnx);
// photos: ../shared/images. Runs unchanged on a bigger machine (cores from availableParallelism()).
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, cpus as osCpus, totalmem } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const BROKER_MAIN = join(root, 'services/broker/dist/main.js');
const WORKER_MAIN = join(root, 'services/worker/dist/main.js');
const CLI_MAIN = join(root, 'services/client/dist/cli/main.js');
const CEILING = join(root, 'services/worker/bench/ceiling.mjs');

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    seconds: { type: 'string' },
    warmup: { type: 'string' },
    out: { type: 'string', default: join(root, 'BENCHMARKS.md') },
    json: { type: 'boolean', default: false },
    'no-write': { type: 'boolean', default: false },
    profile: { type: 'string' },
  },
});
const QUICK = args.quick;
const SECONDS = Number(args.seconds ?? (QUICK ? 4 : 8));
const WARMUP = Number(args.warmup ?? (QUICK ? 1 : 2));
const CORES = availableParallelism();
const model = resolve(root, process.env.YOLOMQ_TEST_MODEL ?? '../shared/models/yolov8n_int8.onnx');
const imagesDir = resolve(root, '../shared/images');
const photos = readdirSync(imagesDir)
  .filter((f) => /\.(jpe?g|png|webp)$/i.test(f))
  .sort()
  .map((f) => join(imagesDir, f));
if (photos.length === 0) throw new Error(`no photos in ${imagesDir}`);
const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

const log = (...a) => process.stderr.write(`${a.join(' ')}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0
    ? Number.NaN
    : s.length % 2
      ? s[(s.length - 1) / 2]
      : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const f = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '-');
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

// ---- processes ----------------------------------------------------------------------------------
const children = new Set();
function startNode(script, env, argv = [], nodeArgs = []) {
  const child = spawn(process.execPath, [...nodeArgs, script, ...argv], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
    if (out.length > 1_000_000) out = out.slice(-500_000);
  });
  child.stderr.on('data', (d) => {
    out += d;
    if (out.length > 1_000_000) out = out.slice(-500_000);
  });
  const exited = once(child, 'exit').then(([code]) => code);
  const proc = {
    child,
    pid: child.pid,
    output: () => out,
    exited,
    async waitFor(re, ms = 60_000) {
      const t0 = Date.now();
      while (!re.test(out)) {
        if (child.exitCode !== null || child.signalCode !== null)
          throw new Error(`${basename(script)} exited before ${re}:\n${out.slice(-2000)}`);
        if (Date.now() - t0 > ms)
          throw new Error(`timed out waiting for ${re} from ${basename(script)}:\n${out.slice(-2000)}`);
        await sleep(50);
      }
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      children.delete(proc);
    },
  };
  children.add(proc);
  return proc;
}
const killAll = () => {
  for (const p of children) if (p.child.exitCode === null) p.child.kill('SIGKILL');
};
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM'])
  process.on(sig, () => {
    killAll();
    process.exit(130);
  });

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

/** CPU ticks (user + system) and RSS/peak RSS (kB) of a live process, or undefined once it is gone. */
function procStat(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime (fields 14, 15)
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    const hwm = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
    if (hwm === 0) return undefined; // a zombie: exited, not yet reaped
    // time its threads spent runnable but waiting for a CPU (ns; /proc/<pid>/task/*/schedstat field 2):
    // how much the machine's other tenants took from it
    // per thread, since threads come and go between samples
    const waitNs = new Map();
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      try {
        waitNs.set(task, Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[1]));
      } catch {}
    }
    return { ticks, rss, hwm, waitNs };
  } catch {
    return undefined;
  }
}

// ---- 1. one inference in process ----------------------------------------------------------------
async function startInProcess(intraOpThreads) {
  const { Detector } = await import(join(root, 'services/worker/dist/index.js'));
  const sharp = (await import('sharp')).default;
  sharp.concurrency(1); // as in an inference thread
  sharp.cache(false);
  const detector = await Detector.load({ modelPath: model, executionProvider: 'cpu', intraOpThreads, maxPixels: 1e9 });
  const bytes = photos.map((p) => readFileSync(p));
  const samples = { total: [], pre: [], inf: [], post: [], runOnly: [] };
  return {
    /** n passes over the photos (full detect, one at a time), then n bare session.run calls */
    async measure(n) {
      for (let i = 0; i < n; i++) {
        for (const b of bytes) {
          const t0 = performance.now();
          const r = await detector.detect(b, {});
          const t = performance.now() - t0;
          if (!r.ok) throw new Error(`in-process detect failed: ${r.code} ${r.message}`);
          samples.total.push(t);
          samples.pre.push(r.timings.preprocessMs);
          samples.inf.push(r.timings.inferenceMs);
          samples.post.push(r.timings.postprocessMs);
        }
      }
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        await detector.runOnly();
        samples.runOnly.push(performance.now() - t0);
      }
    },
    summary: () => ({
      detectP50: median(samples.total),
      runP50: median(samples.runOnly),
      preprocessP50: median(samples.pre),
      inferenceP50: median(samples.inf),
      postprocessP50: median(samples.post),
      count: samples.total.length,
    }),
    release: () => detector.release(),
  };
}

// ---- 2. the ceiling -----------------------------------------------------------------------------
async function startCeiling(threads, intraOp) {
  const proc = startNode(CEILING, {}, [model, String(threads), String(intraOp), photos[0]]);
  const lines = createInterface({ input: proc.child.stdout })[Symbol.asyncIterator]();
  const next = async () => (await lines.next()).value ?? '';
  if ((await next()) !== 'ready') throw new Error(`the ceiling process did not start:\n${proc.output()}`);
  return {
    proc,
    async measure(seconds) {
      const before = procStat(proc.pid);
      proc.child.stdin.write(`run ${seconds}\n`);
      const [, runs, , secs] = (await next()).split(' ');
      const after = procStat(proc.pid);
      return {
        rate: Number(runs) / Number(secs),
        cpu: (after.ticks - before.ticks) / CLK_TCK / Number(secs),
        rssMb: after.hwm / 1024,
      };
    },
    async close() {
      proc.child.stdin.write('exit\n');
      const t = setTimeout(() => proc.child.kill('SIGKILL'), 5000);
      await proc.exited;
      clearTimeout(t);
      children.delete(proc);
    },
  };
}

// ---- 3. the cluster -----------------------------------------------------------------------------
async function startCluster({ workers, threads, intraOp, prefetch, extraEnv = {}, profileDir }) {
  const prof = (name) => (profileDir ? ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, name)}`] : []);
  const [front, back, http] = [await freePort(), await freePort(), await freePort()];
  const broker = startNode(
    BROKER_MAIN,
    {
      YOLOMQ_FRONTEND_BIND: `tcp://127.0.0.1:${front}`,
      YOLOMQ_BACKEND_BIND: `tcp://127.0.0.1:${back}`,
      YOLOMQ_HTTP_HOST: '127.0.0.1',
      YOLOMQ_HTTP_PORT: String(http),
      LOG_LEVEL: 'warn',
    },
    [],
    prof('broker'),
  );
  // no wait here: the workers' DEALERs connect whenever the broker binds; /status below says when all are in
  const ws = [];
  for (let i = 0; i < workers; i++) {
    ws.push(
      startNode(
        WORKER_MAIN,
        {
          YOLOMQ_BROKER_BACKEND: `tcp://127.0.0.1:${back}`,
          YOLOMQ_MODEL: model,
          YOLOMQ_INFERENCE_THREADS: String(threads),
          YOLOMQ_INTRA_OP_THREADS: String(intraOp),
          ...(prefetch === undefined ? {} : { YOLOMQ_PREFETCH: String(prefetch) }),
          YOLOMQ_WORKER_ID: `bench-w${i + 1}`,
          LOG_LEVEL: 'warn',
          ...extraEnv,
        },
        [],
        prof(`worker${i + 1}`),
      ),
    );
  }
  // ready when the broker lists every worker as live
  const t0 = Date.now();
  for (;;) {
    if (broker.child.exitCode !== null) throw new Error(`the broker exited:\n${broker.output()}`);
    for (const w of ws) if (w.child.exitCode !== null) throw new Error(`a worker exited:\n${w.output()}`);
    try {
      const res = await fetch(`http://127.0.0.1:${http}/status`);
      const status = await res.json();
      const live = (status.workers ?? []).filter((w) => w.accepting !== false).length;
      if (live >= workers) break;
    } catch {}
    if (Date.now() - t0 > 90_000) throw new Error(`workers did not register in 90 s:\n${ws[0].output()}`);
    await sleep(100);
  }
  return {
    broker,
    workers: ws,
    frontend: `tcp://127.0.0.1:${front}`,
    credit: workers * (threads + (prefetch ?? threads)),
    async close() {
      await Promise.all(ws.map((w) => w.stop()));
      await broker.stop();
    },
  };
}

/** One `yolomq bench` run against the cluster, with the CPU of every process over its measured window. */
async function load(cluster, { concurrency, rate, seconds = SECONDS, warmup = WARMUP }) {
  const argv = [
    'bench',
    '--broker',
    cluster.frontend,
    '--images',
    imagesDir,
    '--duration',
    `${seconds}s`,
    '--warmup',
    `${warmup}s`,
    '--json',
    '--no-progress',
  ];
  if (concurrency !== undefined) argv.push('--concurrency', String(concurrency));
  if (rate !== undefined) argv.push('--rate', String(Math.round(rate * 100) / 100));
  const client = startNode(CLI_MAIN, {}, argv);
  const pids = {
    broker: cluster.broker.pid,
    client: client.pid,
    ...Object.fromEntries(cluster.workers.map((w, i) => [`worker${i + 1}`, w.pid])),
  };
  const samples = [];
  const sample = () => {
    const s = { t: performance.now(), stats: {} };
    for (const [name, pid] of Object.entries(pids)) s.stats[name] = procStat(pid);
    if (s.stats.client) samples.push(s);
  };
  sample();
  const timer = setInterval(sample, 200);
  const code = await client.exited;
  const end = performance.now();
  clearInterval(timer);
  children.delete(client);
  const text = client.output();
  const jsonLine = text
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{') && l.includes('"throughput"'));
  if (!jsonLine) throw new Error(`yolomq bench printed no report (exit ${code}):\n${text.slice(-2000)}`);
  const report = JSON.parse(jsonLine);
  // the measured window: its last elapsedMs before the client closed (closing takes a few ms)
  const from = end - report.elapsedMs - 20;
  const first = samples.find((s) => s.t >= from) ?? samples[0];
  const last = samples[samples.length - 1];
  const dt = (last.t - first.t) / 1000;
  const cpu = {};
  const rssMb = {};
  let workerWait = 0;
  for (const name of Object.keys(pids)) {
    const a = first.stats[name];
    const b = last.stats[name];
    cpu[name] = a && b && dt > 0 ? (b.ticks - a.ticks) / CLK_TCK / dt : Number.NaN;
    if (name.startsWith('worker') && a && b && dt > 0) {
      for (const [task, ns] of b.waitNs) workerWait += (ns - (a.waitNs.get(task) ?? 0)) / 1e9 / dt;
    }
    rssMb[name] = b ? b.hwm / 1024 : Number.NaN;
  }
  const workerCpu = Object.entries(cpu)
    .filter(([n]) => n.startsWith('worker'))
    .reduce((s, [, v]) => s + v, 0);
  const totalCpu = cpu.broker + cpu.client + workerCpu;
  return {
    mode: report.mode,
    concurrency: report.concurrency,
    rate: report.rate,
    throughput: report.throughput,
    ok: report.ok,
    failed: report.failed,
    errors: report.errors,
    p50: report.latencyMs.p50,
    p99: report.latencyMs.p99,
    cpu,
    workerCpu,
    totalCpu,
    brokerShare: cpu.broker / totalCpu,
    workerWait,
    rssMb,
  };
}

// ---- the run ------------------------------------------------------------------------------------
const started = new Date();
const startedAt = performance.now();
const loadBefore = loadavg();
const misses = [];
const failures = [];
const checkFailures = (label, r) => {
  if (r.failed > 0) failures.push(`${label}: ${r.failed} failed ${JSON.stringify(r.errors)}`);
  return r;
};
const ROUNDS = QUICK ? 2 : 3;
const FULL_C = 4 * CORES; // full load: every worker's credit (K + prefetch) filled, and a queue in the broker
log(
  `cluster bench: ${basename(model)}, ${CORES} cores, ${SECONDS}s per run (+${WARMUP}s warm-up)${QUICK ? ', quick' : ''}`,
);
log(`load average before: ${loadBefore}`);

log('1. one inference in process (1 intra-op thread): loading');
const inProc = await startInProcess(1);
await inProc.measure(2); // warm-up, not kept
const inProcWarm = inProc.summary().count;

log(`2. ceiling: ${CORES} threads x 1 intra-op thread; cluster: broker + ${CORES} workers x 1 thread`);
const ceiling = await startCeiling(CORES, 1);
const main = await startCluster({ workers: CORES, threads: 1, intraOp: 1 });
// the variants, started now and idle until their turn: prefetch off (YOLOMQ_PREFETCH=0) and one worker
// process with K = cores inference threads
const noPrefetchCluster = await startCluster({ workers: CORES, threads: 1, intraOp: 1, prefetch: 0 });
const oneWorkerCluster = await startCluster({ workers: 1, threads: CORES, intraOp: 1 });
// the headline: ceiling, cluster and variants alternate, so a noisy neighbour hits all of them about equally
const ceilingRuns = [];
const fullRuns = [];
const noPrefetchRuns = [];
const oneWorkerRuns = [];
for (let round = 1; round <= ROUNDS; round++) {
  log(`   round ${round}/${ROUNDS}: ceiling, cluster, prefetch 0, one worker; ${FULL_C} in flight`);
  ceilingRuns.push(await ceiling.measure(SECONDS));
  fullRuns.push(checkFailures(`closed c=${FULL_C} round ${round}`, await load(main, { concurrency: FULL_C })));
  noPrefetchRuns.push(
    checkFailures(`prefetch 0 round ${round}`, await load(noPrefetchCluster, { concurrency: FULL_C })),
  );
  oneWorkerRuns.push(checkFailures(`one worker round ${round}`, await load(oneWorkerCluster, { concurrency: FULL_C })));
}
await oneWorkerCluster.close();
const ceilingRate = ceilingRuns.reduce((s, r) => s + r.rate, 0) / ceilingRuns.length;
const clusterRate = fullRuns.reduce((s, r) => s + r.throughput, 0) / fullRuns.length;
const mean = (key) => fullRuns.reduce((s, r) => s + key(r), 0) / fullRuns.length;
const fullBrokerShare = mean((r) => r.brokerShare);

log('3. low load: one in-process inference and the cluster at 1 in flight, alternating');
const lowRuns = [];
for (let round = 1; round <= ROUNDS; round++) {
  await inProc.measure(QUICK ? 5 : 10);
  lowRuns.push(checkFailures(`closed c=1 round ${round}`, await load(main, { concurrency: 1 })));
}
await inProc.release();
const single = inProc.summary();
single.count -= inProcWarm;
const closed = [];
for (const c of [2, 4, 8].filter((c) => c < FULL_C)) {
  log(`   closed loop, ${c} in flight`);
  closed.push(checkFailures(`closed c=${c}`, await load(main, { concurrency: c })));
}
const open = [];
for (const share of QUICK ? [0.5] : [0.25, 0.5, 0.75]) {
  log(`   open loop, ${share * 100}% of the ceiling (${f(share * ceilingRate)} req/s)`);
  const r = checkFailures(`open ${share}`, await load(main, { rate: share * ceilingRate }));
  r.share = share;
  open.push(r);
}
await main.close();

log('4. prefetch off at 1 in flight');
const noPrefetchLow = checkFailures('prefetch 0 c=1', await load(noPrefetchCluster, { concurrency: 1 }));
await noPrefetchCluster.close();
const meanOf = (runs, key) => runs.reduce((s, r) => s + key(r), 0) / runs.length;
const noPrefetch = {
  ...noPrefetchRuns[0],
  throughput: meanOf(noPrefetchRuns, (r) => r.throughput),
  p50: meanOf(noPrefetchRuns, (r) => r.p50),
  workerWait: meanOf(noPrefetchRuns, (r) => r.workerWait),
};
const ceilingAfter = await ceiling.measure(SECONDS);

log(`5. scaling: M = 1 .. ${CORES} workers, each against a ceiling of M threads measured just before`);
const scaling = [];
for (let m = 1; m <= CORES; m++) {
  const ref = m === CORES ? ceiling : await startCeiling(m, 1);
  const refRun = await ref.measure(SECONDS);
  if (ref !== ceiling) await ref.close();
  const r = checkFailures(`scaling m=${m}`, await loadOnce(m));
  scaling.push({ m, r, ceiling: refRun.rate });
}
async function loadOnce(m) {
  const c = await startCluster({ workers: m, threads: 1, intraOp: 1 });
  try {
    return await load(c, { concurrency: 4 * m });
  } finally {
    await c.close();
  }
}
await ceiling.close();

// ---- 6. optional: where the time goes, node --cpu-prof of the broker and the workers at full load --
let profiles;
if (args.profile) {
  const dir = resolve(args.profile);
  log(`6. --cpu-prof of broker and workers at ${FULL_C} in flight, into ${dir}`);
  const c = await startCluster({ workers: CORES, threads: 1, intraOp: 1, profileDir: dir });
  const r = checkFailures('profile run', await load(c, { concurrency: FULL_C }));
  await c.close(); // SIGTERM: each process (and each inference thread) writes its profile as it exits
  const { summarizeProfile } = await import('./cpu-profile.mjs');
  profiles = { run: r, processes: [] };
  for (const name of readdirSync(dir).sort()) {
    for (const file of readdirSync(join(dir, name)).filter((x) => x.endsWith('.cpuprofile'))) {
      profiles.processes.push({ name, file: join(name, file), ...summarizeProfile(join(dir, name, file)) });
    }
  }
}
const loadAfter = loadavg();

// ---- results ------------------------------------------------------------------------------------
const headline = clusterRate / ceilingRate;
const stageBound = single.inferenceP50 / (single.preprocessP50 + single.inferenceP50 + single.postprocessP50);
// the c=1 p50 over the rounds: the median of the rounds' p50s
const low = { ...lowRuns[0], p50: median(lowRuns.map((r) => r.p50)) };
const lowGap = low.p50 - single.detectP50;
const check = (ok, label) => {
  if (!ok) misses.push(label);
  return ok ? 'PASS' : 'MISS';
};
const targets = [
  [
    `cluster throughput / ceiling (c=${FULL_C}, ${ROUNDS} alternating rounds)`,
    `${f(clusterRate)} / ${f(ceilingRate)} = **${f(headline, 2)}**`,
    '>= 0.90',
    check(headline >= 0.9, 'throughput ratio'),
  ],
  [
    'the same, against the stage bound (see below)',
    `${f(headline, 2)} / ${f(stageBound, 2)} = ${f(headline / stageBound, 2)}`,
    '',
    '',
  ],
  [
    'broker CPU share at that load',
    `**${f(100 * fullBrokerShare)}%** of the cluster's CPU (${f(100 * mean((r) => r.cpu.broker))}% of one core)`,
    '< 5%',
    check(fullBrokerShare < 0.05, 'broker CPU share'),
  ],
  [
    `low-load p50 (c=1) minus one in-process inference p50 (${ROUNDS} alternating rounds)`,
    `${f(low.p50, 2)} - ${f(single.detectP50, 2)} = **${f(lowGap, 2)} ms**`,
    '<= 1 ms',
    check(lowGap <= 1, 'low-load latency'),
  ],
];
const table = (head, rows) =>
  [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join(
    '\n',
  );
const rssCell = (r) =>
  `${f(r.rssMb.broker, 0)} / ${Object.entries(r.rssMb)
    .filter(([n]) => n.startsWith('worker'))
    .map(([, v]) => f(v, 0))
    .join(', ')} / ${f(r.rssMb.client, 0)}`;
const loadHead = [
  'load',
  'req/s',
  'x ceiling',
  'p50 ms',
  'p99 ms',
  'broker CPU %',
  'workers CPU %',
  'client CPU %',
  'broker share %',
  'workers waiting for a CPU %',
  'peak RSS MB broker / workers / client',
];
const loadRow = (label, r) => [
  label,
  f(r.throughput),
  f(r.throughput / ceilingRate, 2),
  f(r.p50, 1),
  f(r.p99, 1),
  f(100 * r.cpu.broker),
  f(100 * r.workerCpu),
  f(100 * r.cpu.client),
  f(100 * r.brokerShare),
  f(100 * r.workerWait),
  rssCell(r),
];
const cpuModel = osCpus()[0]?.model ?? 'unknown CPU';
const elapsed = (performance.now() - startedAt) / 1000;
const prefetchGain = clusterRate / noPrefetch.throughput - 1;
const notesMarker = '<!-- notes: kept by the bench script; everything below is written by hand -->';
let notes = `${notesMarker}\n`;
try {
  const previous = readFileSync(args.out, 'utf8');
  const at = previous.indexOf(notesMarker);
  if (at >= 0) notes = previous.slice(at);
} catch {}
const md = `# yolomq benchmarks

Written by \`npm run bench${QUICK ? ' -- --quick' : ''}\` (scripts/bench/cluster-bench.mjs) on ${started.toISOString()}.
Machine: ${CORES} cores (${cpuModel}), ${f(totalmem() / 2 ** 30, 0)} GiB; Node ${process.version}. Model \`${basename(model)}\`, photos \`${relative(root, imagesDir)}\` (${photos.length}).
Load average (1/5/15 min) before: ${loadBefore}; after: ${loadAfter}. The machine is shared with other work, so every
ratio is against a reference measured in this same run, and the "workers waiting for a CPU" column (run-queue time of
the worker processes' threads, /proc/<pid>/task/*/schedstat) shows how much the neighbours took.
${SECONDS} s measured per run after ${WARMUP} s of warm-up; the whole run took ${f(elapsed, 0)} s.

## Headline

${table(['target', 'measured', 'goal', ''], targets)}

The ceiling: one process, ${CORES} worker_threads x 1 intra-op thread, each calling \`session.run\` back to back on a
prepared tensor (services/worker/bench/ceiling.mjs): ${ceilingRuns.map((r) => f(r.rate)).join(', ')} inferences/s in the
alternating rounds (mean ${f(ceilingRate)}; ${f(ceilingAfter.rate)} later in the run), ${f(100 * ceilingRuns[0].cpu)}% CPU, peak RSS ${f(ceilingAfter.rssMb, 0)} MB.
The cluster: the built broker + ${CORES} worker processes (services/worker/dist/main.js, YOLOMQ_INFERENCE_THREADS=1,
YOLOMQ_INTRA_OP_THREADS=1, default prefetch), loaded by \`yolomq bench\` (services/client/dist/cli/main.js) over loopback
TCP: ${fullRuns.map((r) => f(r.throughput)).join(', ')} req/s in the rounds. CPU % is of one core over the measured window,
from /proc/<pid>/stat; the broker's share is of all cluster processes (broker + workers + client). Peak RSS is VmHWM.

One inference in process (1 intra-op thread, in this bench's own process, ${single.count} detections alternating with the
c=1 runs): full detect p50 ${f(single.detectP50, 2)} ms
(decode + letterbox ${f(single.preprocessP50, 2)}, session.run ${f(single.inferenceP50, 2)}, output decoding + NMS
${f(single.postprocessP50, 2)} ms); \`session.run\` alone on a prepared tensor p50 ${f(single.runP50, 2)} ms.

What bounds the headline: the ceiling runs only \`session.run\`; the cluster must also decode and letterbox every photo and
decode its output, on the same cores. With every core busy the cluster can reach at most inference / (preprocess +
inference + postprocess) of the ceiling = ${f(single.inferenceP50, 1)} / ${f(single.preprocessP50 + single.inferenceP50 + single.postprocessP50, 1)} = **${f(stageBound, 2)}** on these photos (in-process
stage medians above), before the broker, the sockets and the client take anything.

## Closed loop (requests always in flight)

${table(loadHead, [
  ...lowRuns.map((r, i) => loadRow(`c=1 (round ${i + 1})`, r)),
  ...closed.map((r) => loadRow(`c=${r.concurrency}`, r)),
  ...fullRuns.map((r, i) => loadRow(`c=${FULL_C} (round ${i + 1})`, r)),
])}

## Open loop (fixed arrival rate; latency from the scheduled send time)

${table(
  loadHead,
  open.map((r) => loadRow(`${f(r.rate, 1)} req/s (${r.share * 100}% of ceiling)`, r)),
)}

## Pipelining (prefetch credit)

Each worker takes K + prefetch jobs (default prefetch = K): the next image is already in the worker, decoding, while
\`session.run\` computes. With YOLOMQ_PREFETCH=0 the worker holds only what it computes.

${table(
  [
    'configuration',
    `req/s at c=${FULL_C}`,
    'x ceiling',
    `p50 ms at c=${FULL_C}`,
    'p50 ms at c=1',
    'workers waiting for a CPU %',
  ],
  [
    [
      'prefetch = K (default; mean of the rounds)',
      f(clusterRate),
      f(headline, 2),
      f(
        mean((r) => r.p50),
        1,
      ),
      f(low.p50, 1),
      f(100 * mean((r) => r.workerWait)),
    ],
    [
      'prefetch = 0 (mean of the rounds)',
      f(noPrefetch.throughput),
      f(noPrefetch.throughput / ceilingRate, 2),
      f(noPrefetch.p50, 1),
      f(noPrefetchLow.p50, 1),
      f(100 * noPrefetch.workerWait),
    ],
  ],
)}

Gain from prefetch at full load: ${f(100 * prefetchGain)}% (both alternate in the same rounds; per round: default
${fullRuns.map((r) => f(r.throughput)).join(', ')}, prefetch 0 ${noPrefetchRuns.map((r) => f(r.throughput)).join(', ')} req/s).

## Process layout (the same ${CORES} inference threads)

${table(loadHead, [
  ...fullRuns.map((r, i) => loadRow(`${CORES} workers x 1 thread, c=${FULL_C}, round ${i + 1}`, r)),
  ...oneWorkerRuns.map((r, i) => loadRow(`1 worker x ${CORES} threads, c=${FULL_C}, round ${i + 1}`, r)),
])}

## Scaling (M workers x 1 inference thread, closed loop at 4 x M in flight)

Each M is measured against a ceiling process with M threads run just before it.

${table(
  [
    'M',
    'req/s',
    'ceiling (M threads)',
    'x ceiling',
    'efficiency vs M x (M=1)',
    'gain of the added worker',
    'p50 ms',
    'broker CPU %',
    'workers CPU %',
    'workers waiting for a CPU %',
  ],
  scaling.map(({ m, r, ceiling: c }, i) => [
    m,
    f(r.throughput),
    f(c),
    f(r.throughput / c, 2),
    f(r.throughput / (m * scaling[0].r.throughput), 2),
    i === 0 ? '-' : `${f(r.throughput - scaling[i - 1].r.throughput)} req/s`,
    f(r.p50, 1),
    f(100 * r.cpu.broker),
    f(100 * r.workerCpu),
    f(100 * r.workerWait),
  ]),
)}

On a machine with more cores the same script runs M = 1 .. cores unchanged.

${
  profiles
    ? `## Profile (node --cpu-prof, ${CORES} workers at c=${FULL_C}: ${f(profiles.run.throughput)} req/s during the profiled run)

Self time per function, each profile's biggest ${profiles.processes[0]?.top.length ?? 0}; one profile per process and per inference
thread (in the worker, \`session.run\` shows as the native call under \`run\`, libvips decoding runs on the libuv pool
and is not sampled).

${profiles.processes
  .map(
    (p) =>
      `### ${p.name}: ${p.file} (${f(p.totalMs / 1000, 1)} s sampled)\n\n${table(
        ['function', 'where', 'self ms', 'share %'],
        p.top.map((t) => [`\u0060${t.fn}\u0060`, t.where, f(t.selfMs, 0), f(100 * t.share)]),
      )}`,
  )
  .join('\n\n')}

`
    : ''
}## Dynamic batching

Measured by \`npm run bench:batch\` (services/worker/bench/batch-bench.mjs), not here: \`${basename(model)}\` has a static
batch dimension of 1, so that bench runs a dynamic-batch copy of it (scripts/dynamic-batch-model.mjs) at batch 1 and
batch B under the same load. Its latest numbers are in the notes below (item 7).
${failures.length ? `\n## Failures\n\n${failures.map((x) => `- ${x}`).join('\n')}\n` : ''}
${notes}`;

process.stdout.write(
  args.json
    ? `${JSON.stringify({ ceilingRuns, ceilingAfter, fullRuns, single, lowRuns, closed, open, noPrefetchRuns, noPrefetchLow, oneWorkerRuns, scaling, headline, misses, failures })}\n`
    : `${md}\n`,
);
if (!args['no-write']) {
  writeFileSync(args.out, md);
  log(`wrote ${args.out}`);
}
if (misses.length) log(`MISS: ${misses.join(', ')}`);
process.exitCode = failures.length > 0 ? 1 : 0;
