#!/usr/bin/env node
// A reference for the broker bench, not product code: the naive load-balancing broker one writes first
// with zeromq.js (the ZeroMQ guide's LRU broker): two `for await` loops, every send awaited, no
// deadlines, retries, fairness or metrics. It speaks just enough of the yolomq protocol to route echo
// workers' jobs. The bench runs it in the same process tree as the real broker, so the real broker's
// throughput can be read against it on a machine whose speed varies with what else runs on it.
// Env: YOLOMQ_FRONTEND_BIND, YOLOMQ_BACKEND_BIND. Prints "broker listening", then "worker <id>" per READY.
import {
  CLIENT_HEADER,
  ClientCommand,
  COMMAND_FRAMES,
  decodeClientMessage,
  decodeWorkerMessage,
  encodeTiming,
  WORKER_HEADER,
  WorkerCommand,
} from '@yolomq/protocol';
import { Router } from 'zeromq';

const frontend = new Router();
const backend = new Router();
await frontend.bind(process.env.YOLOMQ_FRONTEND_BIND);
await backend.bind(process.env.YOLOMQ_BACKEND_BIND);
process.stdout.write('broker listening\n');

const free = []; // one entry per free credit slot: a worker routing id
const waiting = []; // requests with no free slot: [clientId, requestIdFrame, optionsFrame, image]
const jobs = new Map(); // job id -> [clientId, requestIdFrame]
let seq = 0;
const REQUEST = COMMAND_FRAMES[WorkerCommand.REQUEST];
const REPLY = COMMAND_FRAMES[ClientCommand.REPLY];
const timing = encodeTiming(30_000, 0);

async function dispatch(worker, [client, requestId, options, image]) {
  const jobId = String(++seq);
  jobs.set(jobId, [client, requestId]);
  await backend.send([worker, WORKER_HEADER, REQUEST, Buffer.from(jobId), options, timing, image]);
}

async function workers() {
  for await (const [worker, ...frames] of backend) {
    const decoded = decodeWorkerMessage(frames);
    if (!decoded.ok) continue;
    const msg = decoded.value;
    if (msg.command === 'READY') {
      for (let i = 0; i < msg.info.credit; i++) free.push(worker);
      process.stdout.write(`worker ${msg.info.workerId}\n`);
    } else if (msg.command === 'REPLY') {
      const job = jobs.get(msg.jobId);
      jobs.delete(msg.jobId);
      if (job !== undefined) await frontend.send([job[0], CLIENT_HEADER, REPLY, job[1], msg.result]);
      free.push(worker);
    } else continue;
    while (free.length > 0 && waiting.length > 0) await dispatch(free.shift(), waiting.shift());
  }
}

async function clients() {
  for await (const [client, ...frames] of frontend) {
    const decoded = decodeClientMessage(frames);
    if (!decoded.ok || decoded.value.command !== 'REQUEST') continue;
    const r = decoded.value;
    const request = [client, r.requestIdFrame, r.optionsFrame, r.image];
    if (free.length > 0) await dispatch(free.shift(), request);
    else waiting.push(request);
  }
}

process.on('SIGTERM', () => process.exit(0));
await Promise.all([workers(), clients()]);
