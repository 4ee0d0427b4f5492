// What the worker benches share: the test model, the shared photos, and the worker's own defaults for
// this machine (threads from the CPU count, unless the environment sets them).
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseWorkerConfig } from '../dist/index.js';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const model = resolve(root, process.env.YOLOMQ_TEST_MODEL ?? '../shared/models/yolov8n_int8.onnx');
export const imagesDir = resolve(root, '../shared/images');

/** ../shared/images photos, by name. */
export function sharedPhotos() {
  const dir = imagesDir;
  return readdirSync(dir)
    .filter((f) => /\.(jpe?g|png|webp)$/i.test(f))
    .sort()
    .map((f) => ({ name: f, bytes: readFileSync(join(dir, f)) }));
}

/** The worker configuration for the test model, with these variables taken from the environment. */
export function workerDefaults(names) {
  const fromEnv = Object.fromEntries(names.filter((n) => process.env[n] !== undefined).map((n) => [n, process.env[n]]));
  const parsed = parseWorkerConfig({ YOLOMQ_MODEL: model, ...fromEnv });
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.config;
}

export const f = (x, d = 1) => x.toFixed(d);

/** Sends on a socket in order, one send in progress at a time (the zeromq.js rule), never blocking the caller. */
export function outbox(socket) {
  const queue = [];
  let sending = false;
  const pump = async () => {
    if (sending) return;
    sending = true;
    while (queue.length) await socket.send(queue.shift());
    sending = false;
  };
  return {
    send(frames) {
      queue.push(frames);
      void pump();
    },
    /** messages not yet handed to the socket */
    get pending() {
      return queue.length;
    },
  };
}
