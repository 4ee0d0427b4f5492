#!/usr/bin/env node
// A parent thread and an attached child thread that talk over an inproc PAIR socket and share nothing else.
//   node examples/01-thread-pair.mjs
// The parent binds inproc://work, starts the child (a worker_thread running this same file), sends it the
// jobs, prints each answer, then sends STOP and waits for the child to exit. Each side owns its socket;
// no object is shared; ZeroMQ copies every message between them (inproc needs both ends in one process).
import { isMainThread, Worker, workerData } from 'node:worker_threads';
import { Pair } from 'zeromq';
import { answer, encodeJob, JOBS, STOP } from './task.mjs';

const ENDPOINT = 'inproc://work';

async function parent() {
  const socket = new Pair({ linger: 0 });
  await socket.bind(ENDPOINT); // bind before the child connects
  const child = new Worker(new URL(import.meta.url), { workerData: { endpoint: ENDPOINT } });
  const exited = new Promise((resolve) => child.once('exit', resolve));

  for (const [id, text] of JOBS.entries()) {
    await socket.send(encodeJob(id, text));
  }
  console.log(`parent: sent ${JOBS.length} jobs over ${ENDPOINT}`);
  for (let i = 0; i < JOBS.length; i++) {
    const [id, result] = await socket.receive();
    console.log(`parent: job ${id} -> ${result}`);
  }
  await socket.send([STOP]);
  console.log(`parent: child thread exited with code ${await exited}`);
  socket.close();
}

async function childThread() {
  const socket = new Pair({ linger: 0 });
  socket.connect(workerData.endpoint);
  let served = 0;
  for await (const frames of socket) {
    if (frames[0].toString() === STOP) break;
    await socket.send(answer(frames));
    served++;
  }
  console.log(`child: answered ${served} jobs, stopping`);
  socket.close();
}

if (isMainThread) await parent();
else await childThread();
