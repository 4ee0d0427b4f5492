#!/usr/bin/env node
// node scripts/dynamic-batch-model.mjs IN.onnx OUT.onnx   (after npm run build)
//
// Writes a copy of a static-batch (batch 1) YOLO ONNX model whose batch dimension is dynamic, for the
// worker's batching (YOLOMQ_BATCH_MAX): graph input/output dim 0 becomes "batch", and Reshapes of
// activations whose constant target starts with the batch 1 get 0 there (copy the input's batch).
// Works on the protobuf bytes (services/worker/src/model/dynamic-batch.ts); no ONNX tooling needed.
// Checked on the shared yolov8n_int8 and yolov5n_fp16 exports: batches of 4 give each image's batch-1
// detections (exactly for fp16; for int8 within what DynamicQuantizeLinear's one scale per batch
// changes). End-to-end YOLOv10 exports are refused: their top-k gathers boxes across the batch.
// Exit status: 0 written; 1 with a message otherwise. The output must not go into the repository.
import { readFile, writeFile } from 'node:fs/promises';
import { makeBatchDynamic } from '../services/worker/dist/index.js';

const [input, output] = process.argv.slice(2);
if (input === undefined || output === undefined) {
  console.error('usage: node scripts/dynamic-batch-model.mjs IN.onnx OUT.onnx');
  process.exit(1);
}
try {
  const { bytes, reshapes } = makeBatchDynamic(await readFile(input));
  await writeFile(output, bytes);
  console.log(`${output}: dynamic batch, ${reshapes} Reshape targets copy the batch`);
} catch (error) {
  console.error(`${input}: ${error.message}`);
  process.exit(1);
}
