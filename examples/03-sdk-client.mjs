#!/usr/bin/env node
// A minimal client: send one image to a running yolomq cluster with the SDK and print what was found.
//   make run                      # or: docker compose up -d     (in another terminal)
//   node examples/03-sdk-client.mjs path/to/photo.jpg
// YOLOMQ_BROKER names the broker's frontend (tcp://127.0.0.1:5555).
import { connect } from '@yolomq/client';

const image = process.argv[2];
if (!image) {
  console.error('usage: node examples/03-sdk-client.mjs <image file>');
  process.exit(2);
}
const endpoint = process.env.YOLOMQ_BROKER || 'tcp://127.0.0.1:5555';

let client;
try {
  client = await connect(endpoint); // checks that the broker answers a PING
  const result = await client.detect(image, { conf: 0.25 });
  console.log(`${image}: ${result.width}x${result.height}, worker ${result.workerId}, ${result.timings.totalMs} ms`);
  for (const d of result.detections) {
    const { x1, y1, x2, y2 } = d.box;
    console.log(`  ${d.className.padEnd(14)} ${d.score.toFixed(2)}  [${[x1, y1, x2, y2].map(Math.round).join(', ')}]`);
  }
} catch (err) {
  // SDK errors carry a code (UNREACHABLE, DEADLINE_EXCEEDED, INVALID_IMAGE, ...) and a readable message
  console.error(`error: ${err.code ?? 'ERROR'}: ${err.message}`);
  process.exitCode = 1;
} finally {
  await client?.close();
}
