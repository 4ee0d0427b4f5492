#!/usr/bin/env node
// The same task as 01-thread-pair.mjs, moved to a separate process that talks over tcp.
//   node examples/02-process-tcp.mjs
// Only the transport and the socket types change: the parent binds a ROUTER on tcp://127.0.0.1 (a free
// port), spawns a child process running this file with the endpoint, and the child connects a DEALER.
// tcp works across machines, so the child could as well run elsewhere; ROUTER/DEALER (not PAIR) because
// over a network peers come and go and a ROUTER can serve many of them, like yolomq's broker backend.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Dealer, Router } from 'zeromq';
import { answer, encodeJob, JOBS, STOP } from './task.mjs';

async function parent() {
  const socket = new Router({ linger: 0 });
  await socket.bind('tcp://127.0.0.1:*');
  const endpoint = socket.lastEndpoint;
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), 'child', endpoint], { stdio: 'inherit' });
  const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));

  // a ROUTER learns a peer's routing id from its first message: the child says hello first
  const [peer, hello] = await socket.receive();
  console.log(`parent: child process ${hello} connected over ${endpoint}`);
  for (const [id, text] of JOBS.entries()) {
    await socket.send([peer, ...encodeJob(id, text)]);
  }
  console.log(`parent: sent ${JOBS.length} jobs`);
  for (let i = 0; i < JOBS.length; i++) {
    const [, id, result] = await socket.receive();
    console.log(`parent: job ${id} -> ${result}`);
  }
  await socket.send([peer, STOP]);
  console.log(`parent: child process exited with code ${await exited}`);
  socket.close();
}

async function childProcess(endpoint) {
  const socket = new Dealer({ linger: 1000 });
  socket.connect(endpoint);
  await socket.send(String(process.pid));
  let served = 0;
  for await (const frames of socket) {
    if (frames[0].toString() === STOP) break;
    await socket.send(answer(frames));
    served++;
  }
  console.log(`child: answered ${served} jobs, stopping`);
  socket.close();
}

if (process.argv[2] === 'child') await childProcess(process.argv[3]);
else await parent();
