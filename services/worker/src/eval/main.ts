/**
 * npm run eval -- --images DIR --labels DIR [--model PATH]... [--broker tcp://HOST:5555 [--model-name NAME]]
 *
 * Prints mAP@0.5 and mAP@0.5:0.95 of each model on a YOLO-format labelled set, computed as
 * Ultralytics' validator does (conf 0.001, IoU 0.7, 300 detections, 101-point interpolated AP).
 * Without --broker the images go through the worker's own pipeline in this process (the same code an
 * inference thread runs); with --broker they go through a running broker and its workers.
 * Without --model, every .onnx file in ../shared/models is evaluated.
 */
import { readdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Detector } from '../inference/detector.js';
import type { ResizeMethod } from '../inference/preprocess.js';
import { BrokerClient } from './broker-client.js';
import { readDataset } from './dataset.js';
import { evaluate } from './evaluate.js';
import type { MapResult } from './map.js';

const USAGE =
  'usage: npm run eval -- --images DIR --labels DIR [--model PATH]... [--broker tcp://HOST:5555 [--model-name NAME]] [--resize opencv|linear|...] [--json]';

async function main(argv: string[]): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse(argv);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const v = args.values;
  if (v.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!v.images || !v.labels) {
    process.stderr.write(`--images and --labels are required\n${USAGE}\n`);
    return 2;
  }
  const dataset = await readDataset(resolve(v.images), resolve(v.labels));
  if (dataset.length === 0) {
    process.stderr.write(`no images in ${v.images}\n`);
    return 2;
  }
  const rows: Array<{ model: string; result: MapResult; seconds: number }> = [];
  if (v.broker) {
    const client = new BrokerClient(v.broker, v['model-name'] ?? '');
    try {
      const t0 = performance.now();
      const result = await evaluate(dataset, (image, options) => client.detect(image, options), 4);
      rows.push({
        model: `${v['model-name'] || '(default)'} via ${v.broker}`,
        result,
        seconds: (performance.now() - t0) / 1000,
      });
    } finally {
      client.close();
    }
  } else {
    const models = v.model?.length ? v.model.map((m) => resolve(m)) : await sharedModels();
    if (models.length === 0) {
      process.stderr.write(`no --model given and no .onnx file in ../shared/models\n${USAGE}\n`);
      return 2;
    }
    for (const model of models) {
      const detector = await Detector.load({
        modelPath: model,
        executionProvider: 'cpu',
        intraOpThreads: Math.max(1, availableParallelism()),
        maxPixels: 100_000_000,
        resize: (v.resize as ResizeMethod | undefined) ?? 'opencv',
      });
      const t0 = performance.now();
      const result = await evaluate(dataset, async (image, options) => {
        const r = await detector.detect(image, options);
        if (!r.ok) throw new Error(`${r.code}: ${r.message}`);
        return r;
      });
      rows.push({ model: basename(model), result, seconds: (performance.now() - t0) / 1000 });
      await detector.release();
    }
  }
  if (v.json) {
    process.stdout.write(
      `${JSON.stringify(rows.map(({ model, result }) => ({ model, ...result, perClass: undefined })))}\n`,
    );
    return 0;
  }
  const first = rows[0]!.result;
  process.stdout.write(
    `${first.images} images, ${first.labels} labels, ${first.perClass.length} classes (conf 0.001, IoU 0.7, max 300 detections)\n`,
  );
  process.stdout.write(`${'model'.padEnd(28)}  mAP@0.5  mAP@0.5:0.95  predictions  seconds\n`);
  for (const { model, result, seconds } of rows) {
    process.stdout.write(
      `${model.padEnd(28)}  ${result.map50.toFixed(4).padStart(7)}  ${result.map5095.toFixed(4).padStart(12)}  ${String(result.predictions).padStart(11)}  ${seconds.toFixed(1).padStart(7)}\n`,
    );
  }
  return 0;
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    options: {
      images: { type: 'string' },
      labels: { type: 'string' },
      model: { type: 'string', multiple: true },
      broker: { type: 'string' },
      'model-name': { type: 'string' },
      resize: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

async function sharedModels(): Promise<string[]> {
  const dir = resolve('../shared/models');
  const files = await readdir(dir).catch(() => [] as string[]);
  return files
    .filter((f) => f.endsWith('.onnx'))
    .sort()
    .map((f) => join(dir, f));
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: Error) => {
    process.stderr.write(`eval failed: ${error.message}\n`);
    process.exitCode = 1;
  },
);
