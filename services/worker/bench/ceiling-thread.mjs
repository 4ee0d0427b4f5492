// One thread of the bench's ceiling: its own session (through the worker's Detector, so the session
// options are the worker's), the tensor prepared once from a real photo, then session.run in a loop
// until told to stop. Reports how many runs it did. Bench-only: talks to its parent with postMessage.
import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { Detector } from '../dist/index.js';

const { model, intraOpThreads, image } = workerData;
const detector = await Detector.load({ modelPath: model, executionProvider: 'cpu', intraOpThreads, maxPixels: 1e9 });
await detector.detect(readFileSync(image), {}); // leaves a real letterboxed photo in the input tensor
let running = false;
let runs = 0;
parentPort.on('message', async (message) => {
  if (message === 'go') {
    running = true;
    runs = 0;
    while (running) {
      await detector.runOnly();
      runs++;
      await new Promise((resolve) => setImmediate(resolve)); // let 'stop' in
    }
    parentPort.postMessage({ runs });
  } else if (message === 'stop') running = false;
  else if (message === 'exit') {
    await detector.release();
    parentPort.close();
  }
});
parentPort.postMessage('ready');
