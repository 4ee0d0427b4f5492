/** Where the shared test inputs are: YOLOMQ_TEST_MODEL (default ../shared/models/yolov8n_int8.onnx from the repo root). */
import { readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export const REPO_ROOT = resolve(__dirname, '../../..');
export const SHARED = resolve(REPO_ROOT, '../shared');
export const TEST_MODEL = resolve(REPO_ROOT, process.env.YOLOMQ_TEST_MODEL ?? '../shared/models/yolov8n_int8.onnx');
export const MODELS_DIR = dirname(TEST_MODEL);
export const IMAGES_DIR = join(SHARED, 'images');
export const COCO_DIR = join(SHARED, 'coco-val');
export const WORKER_MAIN = resolve(REPO_ROOT, 'services/worker/dist/main.js');
export const BROKER_MAIN = resolve(REPO_ROOT, 'services/broker/dist/main.js');

/** Every .onnx model beside the test model. */
export function sharedModels(): string[] {
  return readdirSync(MODELS_DIR)
    .filter((f) => f.endsWith('.onnx'))
    .sort()
    .map((f) => join(MODELS_DIR, f));
}
