/**
 * The dashboard in a real headless Chromium (Debian's, driven by playwright-core): it shows the running
 * workers and updates when one is added; a photo uploaded or dropped on the page comes back with its
 * boxes drawn and the detection table filled. Screenshots go to artifacts/gateway/ (ignored by git).
 *
 * Without Chromium this file fails when CI is set, and is skipped with a loud warning otherwise.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type Started, startNode, stopAll } from '../../../test/helpers/processes.js';
import { type GatewayHandle, startGateway } from '../src/gateway.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const SHARED = resolve(ROOT, '..', 'shared');
const BROKER_MAIN = `${ROOT}/services/broker/dist/main.js`;
const WORKER_MAIN = `${ROOT}/services/worker/dist/main.js`;
const ECHO_WORKER = `${ROOT}/test/helpers/echo-worker.mjs`;
const MODEL_PATH = resolve(ROOT, process.env.YOLOMQ_TEST_MODEL ?? '../shared/models/yolov8n_int8.onnx');
const BUS = join(SHARED, 'images/bus.jpg');
const ZIDANE = join(SHARED, 'images/zidane.jpg');
const ARTIFACTS = join(ROOT, 'artifacts/gateway');
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];
/** Stand-in boxes for bus.jpg (810x1080) while no real worker can run: a bus and three persons. */
const BUS_DETECTIONS = [
  { classId: 5, className: 'bus', score: 0.87, box: { x1: 22, y1: 231, x2: 805, y2: 756 } },
  { classId: 0, className: 'person', score: 0.86, box: { x1: 48, y1: 398, x2: 245, y2: 902 } },
  { classId: 0, className: 'person', score: 0.85, box: { x1: 669, y1: 392, x2: 809, y2: 877 } },
  { classId: 0, className: 'person', score: 0.82, box: { x1: 221, y1: 405, x2: 344, y2: 857 } },
];

/** A real worker when the worker service is built and the model is here; the echo worker otherwise. */
const REAL_WORKER = existsSync(WORKER_MAIN) && existsSync(MODEL_PATH);

let gateway: GatewayHandle;
let brokerHttp: string;
let backend: string;
let context: BrowserContext | undefined;
let userDataDir: string | undefined;
let page: Page;
const requestedUrls: string[] = [];

async function workersAtBroker(): Promise<Array<{ workerId: string; model: string }>> {
  return ((await (await fetch(`${brokerHttp}/status`)).json()) as { workers: [] }).workers;
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function launchBrowser(): Promise<BrowserContext | undefined> {
  try {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} does not exist (apt-get install -y chromium)`);
    userDataDir = mkdtempSync(join(tmpdir(), 'yolomq-chromium-'));
    return await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1440, height: 1000 },
      timeout: 60_000,
    });
  } catch (err) {
    if (process.env.CI) throw new Error(`CI is set and Chromium cannot be launched: ${String(err)}`);
    console.warn(
      `\n${'!'.repeat(100)}\n!! SKIPPING the dashboard browser tests: Chromium cannot be launched here.\n!! ${String(err)}\n${'!'.repeat(100)}\n`,
    );
    return undefined;
  }
}

function startPhotoWorker(): Started {
  if (REAL_WORKER) {
    return startNode(WORKER_MAIN, {
      YOLOMQ_BROKER_BACKEND: backend,
      YOLOMQ_MODEL: MODEL_PATH,
      YOLOMQ_WORKER_ID: 'photo-worker',
      YOLOMQ_INFERENCE_THREADS: '1',
      LOG_LEVEL: 'info',
    });
  }
  return startNode(ECHO_WORKER, {
    BROKER: backend,
    MODEL: 'yolov8n_int8',
    WORKER_ID: 'photo-worker',
    ECHO_DETECTIONS: JSON.stringify(BUS_DETECTIONS),
    ECHO_SIZE: '810x1080',
  });
}

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  context = await launchBrowser();
  if (context === undefined) return;
  const [fe, be, http] = await Promise.all([freePort(), freePort(), freePort()]);
  backend = `tcp://127.0.0.1:${be}`;
  brokerHttp = `http://127.0.0.1:${http}`;
  const broker = startNode(BROKER_MAIN, {
    YOLOMQ_FRONTEND_BIND: `tcp://127.0.0.1:${fe}`,
    YOLOMQ_BACKEND_BIND: backend,
    YOLOMQ_HTTP_HOST: '127.0.0.1',
    YOLOMQ_HTTP_PORT: String(http),
    LOG_LEVEL: 'info',
  });
  await broker.waitFor('listening');
  startPhotoWorker();
  await until(async () => (await workersAtBroker()).some((w) => w.workerId === 'photo-worker'), 'the photo worker');
  gateway = await startGateway(
    {
      host: '127.0.0.1',
      port: 0,
      broker: `tcp://127.0.0.1:${fe}`,
      brokerHttp,
      maxBodyBytes: 32 * 1024 * 1024,
      requestTimeoutMs: 30_000,
      maxInflight: 16,
      statusIntervalMs: 300,
      logLevel: 'silent',
    },
    pino({ level: 'silent' }),
  );
  page = context.pages()[0] ?? (await context.newPage());
  page.on('request', (request) => requestedUrls.push(request.url()));
  console.info(`browser test: photo worker is ${REAL_WORKER ? 'the real worker' : 'an echo worker (fixed boxes)'}`);
}, 120_000);

afterAll(async () => {
  await context?.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  await gateway?.close();
  await stopAll();
});

describe('dashboard in headless Chromium', () => {
  it('shows the running workers and updates when one is added', async (ctx) => {
    if (context === undefined) return ctx.skip();
    await page.goto(gateway.url);
    const rows = page.locator('#workers tbody tr');
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(1);
    await expect.poll(() => page.locator('#conn').getAttribute('data-state')).toBe('live');
    expect(await page.locator('tr[data-worker-id="photo-worker"] td').nth(1).textContent()).toBe('yolov8n_int8');
    expect(await page.locator('#kpi-workers').textContent()).toMatch(/^1/);
    // desired versus actual workers, from the broker's autoscaling policy
    await expect.poll(() => page.locator('#kpi-workers-sub').textContent()).toBe('actual / desired');
    expect(await page.locator('#kpi-workers').textContent()).toMatch(/^1 \/ \d+$/);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-one-worker.png'), fullPage: true });

    const added = Date.now();
    startNode(ECHO_WORKER, { BROKER: backend, MODEL: 'echo', WORKER_ID: 'echo-added', CREDIT: '2' });
    await page.locator('tr[data-worker-id="echo-added"]').waitFor({ timeout: 10_000 });
    const seenAfterMs = Date.now() - added;
    expect(await rows.count()).toBe(2);
    expect(await page.locator('#kpi-workers').textContent()).toMatch(/^2/);
    expect(await page.locator('#models tbody tr[data-model="echo"]').count()).toBe(1);
    console.info(`browser test: the added worker appeared on the page ${seenAfterMs} ms after it was started`);
    // let the charts gather a few points before the picture
    await page.waitForTimeout(1500);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-two-workers.png'), fullPage: true });
  });

  it('an uploaded photo comes back with its boxes drawn and the detection table filled', async (ctx) => {
    if (context === undefined) return ctx.skip();
    await page.locator('#model').selectOption('yolov8n_int8');
    await page.setInputFiles('#file', BUS);
    const rows = page.locator('#detections tbody tr');
    await expect.poll(() => rows.count(), { timeout: 30_000 }).toBeGreaterThan(0);
    const count = await rows.count();
    expect(await page.locator('#detect-status').textContent()).toMatch(/^bus\.jpg: \d+ detection\(s\) by yolov8n_int8/);
    expect(await rows.first().textContent()).toMatch(/bus|person/);
    expect(Number(await page.locator('#result-canvas').getAttribute('data-boxes'))).toBe(count);
    expect(await boxColorsOnCanvas(page)).toBeGreaterThan(0);
    await page.locator('#detect').screenshot({ path: join(ARTIFACTS, 'detect-upload-bus.png') });
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-after-upload.png'), fullPage: true });
  });

  it('a photo dropped on the page is detected too', async (ctx) => {
    if (context === undefined) return ctx.skip();
    const bytes = readFileSync(REAL_WORKER ? ZIDANE : BUS).toString('base64');
    const dataTransfer = await page.evaluateHandle((b64) => {
      const data = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const transfer = new DataTransfer();
      transfer.items.add(new File([data], 'dropped.jpg', { type: 'image/jpeg' }));
      return transfer;
    }, bytes);
    await page.dispatchEvent('#drop', 'drop', { dataTransfer });
    await expect
      .poll(() => page.locator('#detect-status').textContent(), { timeout: 30_000 })
      .toMatch(/^dropped\.jpg: \d+ detection\(s\) by/);
    expect(await page.locator('#detections tbody tr').count()).toBeGreaterThan(0);
    expect(await boxColorsOnCanvas(page)).toBeGreaterThan(0);
    await page.locator('#detect').screenshot({ path: join(ARTIFACTS, 'detect-drop.png') });
  });

  it('loads nothing from anywhere but the gateway (no CDN)', (ctx) => {
    if (context === undefined) return ctx.skip();
    const foreign = requestedUrls.filter((u) => !u.startsWith(gateway.url) && !/^(blob|data):/.test(u));
    expect(requestedUrls.length).toBeGreaterThan(3);
    expect(foreign).toEqual([]);
  });
});

/**
 * How many detections have their class color on the canvas where their box is drawn: the middle of
 * each edge of each box is read back from the canvas pixels.
 */
async function boxColorsOnCanvas(p: Page): Promise<number> {
  return p.evaluate(async () => {
    const canvas = document.getElementById('result-canvas') as HTMLCanvasElement;
    const ctx = canvas.getContext('2d')!;
    const rows = [...document.querySelectorAll('#detections tbody tr')];
    let matched = 0;
    const { width, height } = await (async () => {
      const text = document.getElementById('detect-status')!.textContent ?? '';
      const m = /(\d+)×(\d+) px/.exec(text);
      return { width: Number(m?.[1]), height: Number(m?.[2]) };
    })();
    const sx = canvas.width / width;
    const sy = canvas.height / height;
    for (const row of rows) {
      const cells = [...row.querySelectorAll('td')].map((td) => td.textContent ?? '');
      const swatch = row.querySelector('.swatch') as HTMLElement;
      const [r, g, b] = getComputedStyle(swatch).backgroundColor.match(/\d+/g)!.map(Number) as [number, number, number];
      const [x1, y1, x2, y2] = cells.slice(3, 7).map(Number) as [number, number, number, number];
      const points = [
        [x1, (y1 + y2) / 2],
        [x2, (y1 + y2) / 2],
        [(x1 + x2) / 2, y2],
        [(x1 + x2) / 2, y1],
      ];
      const hit = points.some(([x, y]) => {
        const px = Math.min(canvas.width - 1, Math.max(0, Math.round(x! * sx)));
        const py = Math.min(canvas.height - 1, Math.max(0, Math.round(y! * sy)));
        const d = ctx.getImageData(px, py, 1, 1).data;
        return Math.abs(d[0]! - r) < 8 && Math.abs(d[1]! - g) < 8 && Math.abs(d[2]! - b) < 8;
      });
      if (hit) matched++;
    }
    return matched;
  });
}
