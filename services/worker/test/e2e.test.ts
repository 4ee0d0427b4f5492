/**
 * End to end: the built broker, two worker processes with the real model, and a ZeroMQ DEALER client
 * (the protocol's own codec). Concurrent requests on the shared photos get the detections EXPECTED.md
 * lists; a corrupt JPEG, a zero-byte body, a text file and a 30000x30000 PNG each get their error
 * code while the workers keep serving; a worker stopped with SIGTERM leaves with exit code 0.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type DetectionResult,
  type DetectOptions,
  decodeBrokerToClient,
  type ErrorCode,
  encodeRequest,
  parseResult,
} from '@yolomq/protocol';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dealer } from 'zeromq';
import { freePort, type Started, startNode, stopAll } from '../../../test/helpers/processes.js';
import { expectBus, expectZidane } from './expected.js';
import { BROKER_MAIN, IMAGES_DIR, TEST_MODEL, WORKER_MAIN } from './paths.js';

type Outcome = { ok: true; result: DetectionResult } | { ok: false; code: ErrorCode; message: string };

/** A test client: one DEALER, answers matched to requests by id. */
class Client {
  private readonly socket = new Dealer({ linger: 0 });
  private readonly pending = new Map<string, (o: Outcome) => void>();
  private queue: Buffer[][] = [];
  private sending = false;
  private seq = 0;

  constructor(endpoint: string) {
    this.socket.connect(endpoint);
    void (async () => {
      try {
        for await (const frames of this.socket) {
          const msg = decodeBrokerToClient(frames);
          if (!msg.ok || msg.value.command === 'PONG') continue;
          const resolve = this.pending.get(msg.value.requestId);
          this.pending.delete(msg.value.requestId);
          if (msg.value.command === 'ERROR') resolve?.({ ok: false, code: msg.value.code, message: msg.value.message });
          else {
            const parsed = parseResult(msg.value.result);
            resolve?.(
              parsed.ok ? { ok: true, result: parsed.value } : { ok: false, code: 'INTERNAL', message: 'bad result' },
            );
          }
        }
      } catch {
        // closed
      }
    })();
  }

  detect(image: Buffer, options: DetectOptions = {}): Promise<Outcome> {
    const id = `e2e-${++this.seq}`;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.queue.push(encodeRequest(id, 'yolov8n_int8', { timeoutMs: 120_000, ...options }, image));
      void this.pump();
    });
  }

  private async pump() {
    if (this.sending) return;
    this.sending = true;
    while (this.queue.length > 0) await this.socket.send(this.queue.shift()!);
    this.sending = false;
  }

  close() {
    this.socket.close();
  }
}

const bus = readFileSync(join(IMAGES_DIR, 'bus.jpg'));
const zidane = readFileSync(join(IMAGES_DIR, 'zidane.jpg'));

describe('broker + 2 workers + client', () => {
  let client: Client;
  let workers: Started[];
  let tmp: string;

  beforeAll(async () => {
    if (!existsSync(BROKER_MAIN)) throw new Error(`${BROKER_MAIN} is missing: run npm run build first`);
    tmp = mkdtempSync(join(tmpdir(), 'yolomq-e2e-'));
    const [frontend, backend, http] = [await freePort(), await freePort(), await freePort()];
    const broker = startNode(BROKER_MAIN, {
      YOLOMQ_FRONTEND_BIND: `tcp://127.0.0.1:${frontend}`,
      YOLOMQ_BACKEND_BIND: `tcp://127.0.0.1:${backend}`,
      YOLOMQ_HTTP_HOST: '127.0.0.1',
      YOLOMQ_HTTP_PORT: String(http),
      YOLOMQ_MODELS: 'yolov8n_int8',
      LOG_LEVEL: 'info',
    });
    await broker.waitFor('listening', 20_000);
    workers = [1, 2].map((n) =>
      startNode(WORKER_MAIN, {
        YOLOMQ_BROKER_BACKEND: `tcp://127.0.0.1:${backend}`,
        YOLOMQ_MODEL: TEST_MODEL,
        YOLOMQ_WORKER_ID: `e2e-worker-${n}`,
        YOLOMQ_INFERENCE_THREADS: '1',
        YOLOMQ_INTRA_OP_THREADS: '1',
        LOG_LEVEL: 'info',
      }),
    );
    await Promise.all(workers.map((w) => w.waitFor('worker ready', 60_000)));
    client = new Client(`tcp://127.0.0.1:${frontend}`);
  });

  afterAll(async () => {
    client?.close();
    await stopAll();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('answers concurrent requests on the shared photos with the expected detections, from both workers', async () => {
    const images = Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? bus : zidane));
    const outcomes = await Promise.all(images.map((image) => client.detect(image)));
    const served = new Set<string>();
    outcomes.forEach((o, i) => {
      expect(o.ok).toBe(true);
      if (!o.ok) return;
      const r = o.result;
      served.add(r.workerId);
      expect(r.model).toBe('yolov8n_int8');
      if (i % 2 === 0) expectBus(r.width, r.height, r.detections);
      else expectZidane(r.width, r.height, r.detections);
      expect(r.timings.totalMs).toBeGreaterThan(0);
    });
    expect(served).toEqual(new Set(['e2e-worker-1', 'e2e-worker-2']));
  });

  it('gives each bad input its error code while the workers keep serving', async () => {
    const noise = Buffer.from(Array.from({ length: 256 * 256 * 3 }, (_, i) => (i * 7919) % 251));
    const jpeg = await sharp(noise, { raw: { width: 256, height: 256, channels: 3 } })
      .jpeg()
      .toBuffer();
    const corrupt = Buffer.from(jpeg);
    corrupt.fill(0xff, jpeg.length / 2, jpeg.length / 2 + 2000);
    // a solid 30000x30000 PNG compresses to under 3 MB; written to a temp dir, never committed
    const bigPath = join(tmp, 'huge.png');
    await sharp({
      create: { width: 30_000, height: 30_000, channels: 3, background: '#808080' },
      limitInputPixels: false,
    })
      .png({ compressionLevel: 6, adaptiveFiltering: false })
      .toFile(bigPath);
    const huge = readFileSync(bigPath);
    const text = Buffer.from('this is a text file, not an image\n'.repeat(20));
    const cases: Array<[string, Buffer, ErrorCode]> = [
      ['corrupt JPEG', corrupt, 'INVALID_IMAGE'],
      ['zero-byte body', Buffer.alloc(0), 'INVALID_IMAGE'],
      ['text file', text, 'INVALID_IMAGE'],
      ['30000x30000 PNG', huge, 'IMAGE_TOO_LARGE'],
    ];
    const [bad, good] = await Promise.all([
      Promise.all(cases.map(([, image]) => client.detect(image))),
      Promise.all([client.detect(bus), client.detect(zidane)]),
    ]);
    cases.forEach(([what, , code], i) => {
      const o = bad[i]!;
      expect(o.ok, what).toBe(false);
      if (!o.ok) {
        expect(o.code, what).toBe(code);
        expect(o.message.length, what).toBeGreaterThan(5);
      }
    });
    expect(good.every((o) => o.ok)).toBe(true);
    // and afterwards: both workers still up and serving
    const after = await Promise.all([bus, zidane, bus, zidane].map((image) => client.detect(image)));
    expect(after.every((o) => o.ok)).toBe(true);
    for (const w of workers) expect(w.child.exitCode).toBeNull();
  });

  it('a worker stopped with SIGTERM exits 0 and the other keeps serving', async () => {
    const inflight = [client.detect(bus), client.detect(zidane), client.detect(bus)];
    const code = await workers[0]!.stop(30_000);
    expect(code).toBe(0);
    const outcomes = await Promise.all([...inflight, client.detect(zidane)]);
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(outcomes.at(-1)!.ok && (outcomes.at(-1) as { result: DetectionResult }).result.workerId).toBe(
      'e2e-worker-2',
    );
  });
});
