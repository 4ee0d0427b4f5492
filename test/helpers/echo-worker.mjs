#!/usr/bin/env node
// A stand-in worker for tests and benchmarks: speaks the worker protocol, and answers every job after
// ECHO_DELAY_MS with a synthetic result (no model). Configured by environment:
//   BROKER (tcp://127.0.0.1:5556)  MODEL (echo)  CREDIT (1)  ECHO_DELAY_MS (0)  WORKER_ID (echo-<pid>)
//   HEARTBEAT_MS (1000)  ECHO_FAIL_CODE (when set, answer every job with this error code)
//   ECHO_DETECTIONS (JSON array of detections to put in every result; default none)
//   ECHO_SIZE ("WIDTHxHEIGHT" reported as the image size; default 1x1)
// Prints "ready" on stdout once READY is sent. SIGTERM: DISCONNECT and exit 0.
import { hostname } from 'node:os';
import {
  DISCONNECT_MESSAGE,
  decodeBrokerToWorker,
  encodeReady,
  encodeWorkerError,
  encodeWorkerReply,
  HEARTBEAT_MESSAGE,
} from '@yolomq/protocol';
import { Dealer } from 'zeromq';

const env = process.env;
const broker = env.BROKER ?? 'tcp://127.0.0.1:5556';
const model = env.MODEL ?? 'echo';
const credit = Number(env.CREDIT ?? 1);
const delayMs = Number(env.ECHO_DELAY_MS ?? 0);
const heartbeatMs = Number(env.HEARTBEAT_MS ?? 1000);
const failCode = env.ECHO_FAIL_CODE;
const workerId = env.WORKER_ID ?? `echo-${process.pid}`;
const detections = env.ECHO_DETECTIONS ? JSON.parse(env.ECHO_DETECTIONS) : [];
const [width, height] = (env.ECHO_SIZE ?? '1x1').split('x').map(Number);

const socket = new Dealer({ routingId: workerId, linger: 0 });
socket.connect(broker);

// One send at a time on a zeromq.js socket: queue outgoing messages behind a single pump.
const outbox = [];
let pumping = false;
async function pump() {
  if (pumping) return;
  pumping = true;
  while (outbox.length > 0) {
    const msg = outbox.shift();
    try {
      await socket.send(msg);
    } catch {
      break;
    }
  }
  pumping = false;
}
function send(frames) {
  outbox.push(frames);
  void pump();
}

send(
  encodeReady(model, { workerId, credit, host: hostname(), pid: process.pid, version: 'echo', concurrency: credit }),
);
process.stdout.write('ready\n');
const heartbeat = setInterval(() => send(HEARTBEAT_MESSAGE), heartbeatMs);

function answer(job) {
  if (failCode) {
    send(encodeWorkerError(job.jobId, failCode, `echo worker configured to fail with ${failCode}`));
    return;
  }
  const result = {
    model,
    workerId,
    width,
    height,
    detections,
    timings: {
      queueMs: job.queuedMs,
      preprocessMs: 0,
      inferenceMs: delayMs,
      postprocessMs: 0,
      totalMs: job.queuedMs + delayMs,
    },
    echoBytes: job.image.length,
  };
  send(encodeWorkerReply(job.jobId, Buffer.from(JSON.stringify(result))));
}

async function shutdown() {
  clearInterval(heartbeat);
  send(DISCONNECT_MESSAGE);
  await new Promise((r) => setTimeout(r, 50));
  socket.close();
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

for await (const frames of socket) {
  const decoded = decodeBrokerToWorker(frames);
  if (!decoded.ok) continue;
  const msg = decoded.value;
  if (msg.command === 'REQUEST') {
    if (delayMs > 0) setTimeout(answer, delayMs, msg);
    else answer(msg);
  } else if (msg.command === 'DISCONNECT') {
    await shutdown();
  }
}
