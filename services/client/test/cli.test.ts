/**
 * The built `yolomq` CLI, run as a process: usage errors, an unreachable broker, table and JSON output,
 * --annotate (checked pixel by pixel), status and bench. The broker is real; echo workers answer with
 * fixed detections (ECHO_DETECTIONS), so the expected boxes are known exactly.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startNode, stopAll } from '../../../test/helpers/processes.js';
import { type AnnotationLayout, layoutAnnotations, type Rect } from '../src/render/layout.js';
import {
  type BrokerPorts,
  brokerPorts,
  CLI_MAIN,
  SAMPLE_PHOTO,
  startBroker,
  startEcho,
  TEST_MODEL,
  WORKER_MAIN,
  waitForWorkers,
} from './cluster.js';

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runCli(args: string[], env: Record<string, string> = {}, timeoutMs = 60_000): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI_MAIN, ...args], {
      env: { ...process.env, LOG_LEVEL: 'warn', NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const WIDTH = 320;
const HEIGHT = 240;
const DETECTIONS = [
  { classId: 0, className: 'person', score: 0.91, box: { x1: 40.3, y1: 60.2, x2: 150.7, y2: 200.4 } },
  { classId: 5, className: 'bus', score: 0.47, box: { x1: 180, y1: 30, x2: 300, y2: 220 } },
];

/** A test picture: a gradient whose blue channel (128) never equals a box colour's. */
function gradientPixels(): Buffer {
  const raw = Buffer.alloc(WIDTH * HEIGHT * 3);
  for (let y = 0; y < HEIGHT; y++) {
    for (let x = 0; x < WIDTH; x++) {
      const i = (y * WIDTH + x) * 3;
      raw[i] = x % 256;
      raw[i + 1] = y;
      raw[i + 2] = 128;
    }
  }
  return raw;
}

const inside = (r: Rect, x: number, y: number) => x >= r.x && x < r.x + r.width && y >= r.y && y < r.y + r.height;

interface Pixels {
  data: Buffer;
  info: { width: number; height: number; channels: number };
}

/**
 * Counts, pixel by pixel, which changed between an image and its annotated copy: on the boxes' outlines
 * (lineWidth inside each box), on the labels, and everywhere else (box interiors included).
 */
function comparePixels(before: Pixels, after: Pixels, layout: AnnotationLayout) {
  const { width, height, channels } = before.info;
  const differs = (x: number, y: number) => {
    const i = (y * width + x) * channels;
    for (let c = 0; c < channels; c++) if (before.data[i + c] !== after.data[i + c]) return true;
    return false;
  };
  const counts = { outline: 0, outlineChanged: 0, label: 0, labelChanged: 0, untouched: 0, untouchedChanged: 0 };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const changed = differs(x, y);
      if (layout.labels.some((l) => inside(l.rect, x, y))) {
        counts.label++;
        if (changed) counts.labelChanged++;
        continue;
      }
      const onOutline = layout.boxes.some(({ rect, lineWidth }) => {
        const inner = {
          x: rect.x + lineWidth,
          y: rect.y + lineWidth,
          width: rect.width - 2 * lineWidth,
          height: rect.height - 2 * lineWidth,
        };
        return inside(rect, x, y) && !inside(inner, x, y);
      });
      if (onOutline) {
        counts.outline++;
        if (changed) counts.outlineChanged++;
      } else {
        counts.untouched++;
        if (changed) counts.untouchedChanged++;
      }
    }
  }
  return counts;
}

let dir: string;
let ports: BrokerPorts;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'yolomq-cli-'));
  await mkdir(join(dir, 'images/sub'), { recursive: true });
  const raw = sharp(gradientPixels(), { raw: { width: WIDTH, height: HEIGHT, channels: 3 } });
  await raw.clone().png().toFile(join(dir, 'images/one.png'));
  await raw.clone().jpeg().toFile(join(dir, 'images/sub/two.jpg'));
  await raw.clone().webp().toFile(join(dir, 'images/three.webp'));
  ports = await brokerPorts();
  await startBroker(ports);
  await startEcho(ports, {
    CREDIT: '8',
    ECHO_DELAY_MS: '5',
    WORKER_ID: 'echo-cli',
    ECHO_SIZE: `${WIDTH}x${HEIGHT}`,
    ECHO_DETECTIONS: JSON.stringify(DETECTIONS),
  });
});

afterAll(async () => {
  await stopAll();
});

describe('usage errors exit 2 with a message', () => {
  it.each([
    [[], /Usage: yolomq/],
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['detect'], /missing required argument 'inputs'/],
    [['detect', 'x.png', '--conf', '2'], /--conf .*"2" must be a number between 0 and 1/],
    [['detect', 'x.png', '--concurrency', '0'], /"0" must be a whole number from 1/],
    [['detect', 'x.png', '--timeout', 'soon'], /"soon" is not a duration/],
    [['detect', 'x.png', '--broker', 'localhost'], /"localhost" is not a broker endpoint/],
    [['detect', 'missing.png', 'nothing/*.jpg'], /missing\.png \(no such file or folder\)[\s\S]*nothing\/\*\.jpg/],
    [['bench', '--duration', '1s'], /required option '-i, --images <dir>'/],
    [['status', '--http', 'ftp://x'], /must be an http/],
  ])('yolomq %j', async (args, message) => {
    const run = await runCli(args as string[]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe('');
  });

  it('a bad environment variable is named', async () => {
    const run = await runCli(['status'], { YOLOMQ_BROKER: 'nonsense' });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('YOLOMQ_BROKER="nonsense"');
  });

  it('--help lists the commands and the exit codes', async () => {
    const run = await runCli(['--help']);
    expect(run.code).toBe(0);
    for (const text of ['detect', 'bench', 'status', 'Exit codes:', '3  broker unreachable']) {
      expect(run.stdout).toContain(text);
    }
  });
});

describe('an unreachable broker exits 3 and names the endpoint', () => {
  it('detect', async () => {
    const endpoint = `tcp://127.0.0.1:${await freePort()}`;
    const run = await runCli(['detect', join(dir, 'images'), '--broker', endpoint, '--connect-timeout', '300ms']);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(`cannot reach the yolomq broker at ${endpoint}`);
    expect(run.stderr).toContain('300 ms');
  });

  it('status', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const run = await runCli(['status', '--http', url]);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(`${url}/status`);
  });
});

describe('detect', () => {
  it('prints a table per image and a summary', async () => {
    const run = await runCli(['detect', join(dir, 'images'), '--broker', ports.frontend]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    for (const name of ['one.png', 'sub/two.jpg', 'three.webp']) {
      expect(run.stdout).toMatch(new RegExp(`${name.replace('.', '\\.')}  ${WIDTH}x${HEIGHT}, 2 detections`));
    }
    expect(run.stdout).toMatch(/#\s+class\s+score\s+x1\s+y1\s+x2\s+y2/);
    expect(run.stdout).toMatch(/1\s+person\s+0\.91\s+40\s+60\s+151\s+200/);
    expect(run.stdout).toMatch(/2\s+bus\s+0\.47\s+180\s+30\s+300\s+220/);
    expect(run.stdout).toMatch(/Summary\n\s+images\s+3 \(3 ok\)\n\s+detections\s+6: bus 3, person 3/);
    expect(run.stdout).toMatch(/latency\s+p50 /);
  });

  it('--json prints one JSON object per image, then a summary', async () => {
    const run = await runCli([
      'detect',
      join(dir, 'images/*.png'),
      join(dir, 'images/sub/two.jpg'),
      '--json',
      '--broker',
      ports.frontend,
      '--classes',
      'person,bus',
      '--conf',
      '0.3',
    ]);
    expect(run.code).toBe(0);
    const lines = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(3);
    const results = lines.filter((l) => l.type === 'result');
    expect(results.map((r) => r.file).sort()).toEqual(['one.png', 'sub/two.jpg']);
    for (const r of results) {
      expect(r.detections).toEqual(DETECTIONS);
      expect(r).toMatchObject({ width: WIDTH, height: HEIGHT, workerId: 'echo-cli', attempts: 1 });
      expect(typeof r.requestId).toBe('string');
    }
    expect(lines[2]).toMatchObject({
      type: 'summary',
      images: 2,
      ok: 2,
      failed: 0,
      detections: 4,
      perClass: { person: 2, bus: 2 },
    });
  });

  it('reports a failed image with its code and exits 1', async () => {
    const run = await runCli([
      'detect',
      join(dir, 'images/one.png'),
      '--broker',
      ports.frontend,
      '--model',
      'no-such-model',
      '--json',
    ]);
    expect(run.code).toBe(1);
    const [error, summary] = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(error).toMatchObject({ type: 'error', file: 'one.png', code: 'UNKNOWN_MODEL' });
    expect(summary).toMatchObject({ type: 'summary', failed: 1, errors: { UNKNOWN_MODEL: 1 } });
  });

  it('--annotate writes each image, same size and format, changed exactly where boxes and labels are drawn', async () => {
    const out = join(dir, 'annotated');
    const run = await runCli(['detect', join(dir, 'images'), '--annotate', out, '--broker', ports.frontend]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/annotated\s+3 images in /);
    expect(readdirSync(out).sort()).toEqual(['one.png', 'sub', 'three.webp']);

    for (const [name, format] of [
      ['sub/two.jpg', 'jpeg'],
      ['three.webp', 'webp'],
      ['one.png', 'png'],
    ] as const) {
      const meta = await sharp(readFileSync(join(out, name))).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual([format, WIDTH, HEIGHT]);
    }

    // PNG is lossless: compare every pixel with the input.
    const before = await sharp(join(dir, 'images/one.png')).raw().toBuffer({ resolveWithObject: true });
    const after = await sharp(join(out, 'one.png')).raw().toBuffer({ resolveWithObject: true });
    expect(after.info.channels).toBe(before.info.channels);
    const layout = layoutAnnotations(DETECTIONS, WIDTH, HEIGHT);
    expect(layout.boxes).toHaveLength(2);
    const { outline, outlineChanged, label, labelChanged, untouched, untouchedChanged } = comparePixels(
      before,
      after,
      layout,
    );
    expect(outline).toBeGreaterThan(1000);
    expect(outlineChanged).toBe(outline); // every outline pixel is painted in the class colour
    expect(labelChanged / label).toBeGreaterThan(0.9); // label backgrounds (text pixels may blend)
    expect(untouched).toBeGreaterThan(WIDTH * HEIGHT * 0.8); // box interiors included
    expect(untouchedChanged).toBe(0);
  });
});

describe('--annotate with a real worker (YOLOv8n on a shared sample photo)', () => {
  it('draws the boxes the model found, and changes nothing else', async () => {
    const worker = startNode(WORKER_MAIN, {
      YOLOMQ_MODEL: TEST_MODEL,
      YOLOMQ_BROKER_BACKEND: ports.backend,
      YOLOMQ_INFERENCE_THREADS: '1',
      LOG_LEVEL: 'info',
    });
    await worker.waitFor('worker ready', 60_000);
    await waitForWorkers(ports, 2, worker.pid);
    // A lossless copy of the photo, made here (never committed), so every pixel can be compared.
    const input = join(dir, 'photo/bus.png');
    await mkdir(join(dir, 'photo'), { recursive: true });
    await sharp(SAMPLE_PHOTO).png().toFile(input);
    const out = join(dir, 'annotated-real');
    const run = await runCli(
      ['detect', input, '--model', 'yolov8n_int8', '--annotate', out, '--json', '--broker', ports.frontend],
      {},
      120_000,
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout.split('\n')[0]!);
    // What a COCO model finds in bus.jpg (see ../shared/images/EXPECTED.md): a bus and at least 3 persons.
    const names = result.detections.map((d: { className: string }) => d.className);
    expect(names).toContain('bus');
    expect(names.filter((n: string) => n === 'person').length).toBeGreaterThanOrEqual(3);

    const before = await sharp(input).raw().toBuffer({ resolveWithObject: true });
    const after = await sharp(join(out, 'bus.png')).raw().toBuffer({ resolveWithObject: true });
    expect([after.info.width, after.info.height, after.info.channels]).toEqual([
      before.info.width,
      before.info.height,
      before.info.channels,
    ]);
    const counts = comparePixels(before, after, layoutAnnotations(result.detections, result.width, result.height));
    // A photo's pixel can happen to have a box's exact colour; all but a handful must change.
    expect(counts.outlineChanged / counts.outline).toBeGreaterThan(0.99);
    expect(counts.labelChanged / counts.label).toBeGreaterThan(0.9);
    expect(counts.untouched).toBeGreaterThan(before.info.width * before.info.height * 0.5);
    expect(counts.untouchedChanged).toBe(0);
    expect(await worker.stop()).toBe(0);
  });
});

describe('status', () => {
  it('shows workers and queues as tables, or the JSON', async () => {
    const run = await runCli(['status', '--http', ports.http]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^status\s+serving/m);
    expect(run.stdout).toMatch(/workers \(1\)\n\s+worker\s+model\s+credit\s+in flight/);
    expect(run.stdout).toMatch(/echo-cli\s+echo\s+8\s+0/);
    // The model the real worker served stays known after it left (its queue waits for the next worker).
    expect(run.stdout).toMatch(/queues \(2\)\n\s+model\s+queued/);
    expect(run.stdout).toMatch(/^\s+echo\s+0\s+0\s+0\s+1\s+8\s+0$/m);
    expect(run.stdout).toMatch(/^\s+yolov8n_int8\s+0\s+0\s+0\s+0\s+0\s+0$/m);

    const json = await runCli(['status', '--http', ports.http, '--json']);
    expect(json.code).toBe(0);
    const status = JSON.parse(json.stdout);
    expect(status.workers.map((w: { workerId: string }) => w.workerId)).toEqual(['echo-cli']);
  });
});

describe('bench', () => {
  it('closed loop: prints throughput and percentiles', async () => {
    const run = await runCli(['bench', '--images', join(dir, 'images'), '-c', '4', '-d', '2s', '-b', ports.frontend]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/closed loop, 4 in flight, 2\.0s, 3 images/);
    expect(run.stdout).toMatch(/throughput\s+[\d.]+ req\/s/);
    expect(run.stdout).toMatch(/latency\s+p50 [\d.]+ ms\s+p90 [\d.]+ ms\s+p99 [\d.]+ ms\s+max [\d.]+ ms/);
  });

  it('open loop with --json and --timeline', async () => {
    const timeline = join(dir, 'timeline.jsonl');
    const run = await runCli([
      'bench',
      '--images',
      join(dir, 'images'),
      '--rate',
      '50',
      '-d',
      '2s',
      '--json',
      '--timeline',
      timeline,
      '-b',
      ports.frontend,
    ]);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({ mode: 'open', rate: 50, durationMs: 2000, failed: 0, errors: {} });
    // The schedule decides what is sent: 50/s for 2 s is 100 requests, whatever the latency.
    expect(report.sent).toBe(100);
    expect(report.ok).toBe(100);
    const l = report.latencyMs;
    expect(l.count).toBe(100);
    expect(l.p50).toBeGreaterThan(0);
    expect(l.p50).toBeLessThanOrEqual(l.p90);
    expect(l.p90).toBeLessThanOrEqual(l.p99);
    expect(l.p99).toBeLessThanOrEqual(l.max);
    const points = readFileSync(timeline, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(points.length).toBeGreaterThanOrEqual(2);
    expect(points.map((p) => p.t)).toEqual(points.map((_, i) => i));
    expect(points.reduce((sum, p) => sum + p.sent, 0)).toBe(100);
    expect(points.reduce((sum, p) => sum + p.completed, 0)).toBe(100);
    for (const p of points) expect(Object.keys(p).sort()).toEqual(['completed', 'errors', 'p99Ms', 'sent', 't']);
  });
});
