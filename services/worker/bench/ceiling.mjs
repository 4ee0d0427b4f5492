// The bench's ceiling process: K worker_threads each running session.run on an already-prepared tensor,
// K x intra-op threads in total, exactly as many as the worker under test uses. Driven over stdin/stdout:
// prints "ready", then for each "run SECONDS" line prints "runs N seconds S".
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { Worker } from 'node:worker_threads';

const [model, threads, intraOpThreads, image] = [
  process.argv[2],
  Number(process.argv[3]),
  Number(process.argv[4]),
  process.argv[5],
];
const workers = [];
for (let i = 0; i < threads; i++) {
  const w = new Worker(new URL('./ceiling-thread.mjs', import.meta.url), {
    workerData: { model, intraOpThreads, image },
  });
  workers.push(w);
}
await Promise.all(workers.map((w) => once(w, 'message')));
process.stdout.write('ready\n');
for await (const line of createInterface({ input: process.stdin })) {
  const [cmd, arg] = line.trim().split(/\s+/);
  if (cmd === 'run') {
    const done = workers.map((w) => once(w, 'message'));
    const t0 = performance.now();
    for (const w of workers) w.postMessage('go');
    await new Promise((r) => setTimeout(r, Number(arg) * 1000));
    for (const w of workers) w.postMessage('stop');
    const counts = await Promise.all(done);
    const seconds = (performance.now() - t0) / 1000;
    process.stdout.write(`runs ${counts.reduce((s, [m]) => s + m.runs, 0)} seconds ${seconds}\n`);
  } else if (cmd === 'exit') break;
}
for (const w of workers) w.postMessage('exit');
await Promise.all(workers.map((w) => once(w, 'exit')));
