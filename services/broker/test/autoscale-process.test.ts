/**
 * End to end with the process actuator and real workers (onnxruntime, the shared model): the broker
 * runs with YOLOMQ_SCALER=process, min 1, max 3; load ramps from one client to eight; the worker count
 * rises to 3, and after the load stops it returns to 1 no sooner than the downscale delay; every
 * request gets exactly one successful answer, and no request was re-sent (scale-down drained).
 * The desired counts also arrive on the PUB endpoint and in /metrics.
 */
import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Subscriber } from 'zeromq';
import { freePort, stopAll } from '../../../test/helpers/processes.js';
import { type BrokerProcess, startBroker, TestClient } from './support/cluster.js';

const root = resolve(fileURLToPath(import.meta.url), '../../../..');
const MODEL_PATH = resolve(root, process.env.YOLOMQ_TEST_MODEL ?? '../shared/models/yolov8n_int8.onnx');
const MODEL = basename(MODEL_PATH, '.onnx');
const IMAGE = readFileSync(resolve(root, '../shared/images/bus.jpg'));
const UPSCALE_MS = 1000;
const DOWNSCALE_MS = 5000;
const TICK_MS = 250;

interface Sample {
  t: number;
  live: number;
  desired: number | null;
  queued: number;
  inflight: number;
  arrivalRate: number | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

afterAll(async () => {
  await stopAll();
});

describe('autoscaling with the process actuator', () => {
  it('scales 1 -> 3 under load and back to 1 after the downscale delay, with zero failed requests', async () => {
    const pubPort = await freePort();
    const broker: BrokerProcess = await startBroker({
      YOLOMQ_SCALER: 'process',
      YOLOMQ_SCALER_MIN: '1',
      YOLOMQ_SCALER_MAX: '3',
      YOLOMQ_SCALER_TARGET: '2',
      YOLOMQ_SCALER_UPSCALE_DELAY_MS: String(UPSCALE_MS),
      YOLOMQ_SCALER_DOWNSCALE_DELAY_MS: String(DOWNSCALE_MS),
      YOLOMQ_SCALER_INTERVAL_MS: String(TICK_MS),
      YOLOMQ_SCALER_SMOOTHING: '0.5',
      YOLOMQ_SCALER_PUB_BIND: `tcp://127.0.0.1:${pubPort}`,
      // no YOLOMQ_DEFAULT_MODEL: the actuator takes the model name from the workers' model file and starts
      // min workers before the scheduler knows the model; what the spawned workers read (they inherit the
      // broker's environment):
      YOLOMQ_MODEL: MODEL_PATH,
      YOLOMQ_INFERENCE_THREADS: '1',
      YOLOMQ_INTRA_OP_THREADS: '1',
      YOLOMQ_PREFETCH: '1',
    });

    const published: Array<{ model: string; desiredWorkers: number }> = [];
    const sub = new Subscriber({ linger: 0 });
    sub.connect(`tcp://127.0.0.1:${pubPort}`);
    sub.subscribe('yolomq.desired');
    const subLoop = (async () => {
      try {
        for await (const [topic, model, body] of sub) {
          expect(topic!.toString()).toBe('yolomq.desired');
          const doc = JSON.parse(body!.toString());
          expect(doc.model).toBe(model!.toString());
          published.push(doc);
        }
      } catch {
        // closed
      }
    })();

    const samples: Sample[] = [];
    const t0 = Date.now();
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const doc = (await broker.status()) as unknown as {
          queues: Array<{
            model: string;
            liveWorkers: number;
            desiredWorkers: number | null;
            queued: number;
            inflight: number;
            arrivalRate?: number;
          }>;
        };
        const q = doc.queues.find((x) => x.model === MODEL);
        if (q !== undefined) {
          samples.push({
            t: Date.now() - t0,
            live: q.liveWorkers,
            desired: q.desiredWorkers,
            queued: q.queued,
            inflight: q.inflight,
            arrivalRate: q.arrivalRate ?? null,
          });
        }
        await sleep(100);
      }
    })();
    const waitFor = async (what: string, ok: (s: Sample) => boolean, timeoutMs: number) => {
      const until = Date.now() + timeoutMs;
      while (Date.now() < until) {
        const last = samples.at(-1);
        if (last !== undefined && ok(last)) return last;
        await sleep(50);
      }
      throw new Error(`timed out waiting for ${what}; last sample ${JSON.stringify(samples.at(-1))}`);
    };

    // the actuator starts min = 1 worker by itself
    await waitFor('the first worker', (s) => s.live === 1, 60_000);

    const answers = { ok: 0, failed: [] as string[] };
    let streams = 0;
    let stop = false;
    const clients: TestClient[] = [];
    const stream = async () => {
      const n = ++streams;
      const client = new TestClient(broker.frontend, `load-${n}`);
      clients.push(client);
      for (let i = 0; !stop; i++) {
        const id = `s${n}-${i}`;
        await client.request(id, { timeoutMs: 120_000 }, { model: MODEL, image: IMAGE });
        const a = await client.answer(id, 180_000);
        if (a.message.command === 'REPLY') answers.ok++;
        else answers.failed.push(JSON.stringify(a.message));
      }
    };

    // light load: one client, about one request in flight: stays at 1 worker
    const running = [stream()];
    await sleep(3000);
    expect(samples.at(-1)!.desired).toBe(1);
    // heavy load: eight clients
    const rampAt = Date.now() - t0;
    for (let i = 0; i < 7; i++) running.push(stream());
    const atThree = await waitFor('3 live workers', (s) => s.live === 3, 90_000);
    await sleep(3000);
    stop = true;
    await Promise.all(running);
    const stoppedAt = Date.now() - t0;
    const backToOne = await waitFor('back to 1 live worker', (s) => s.live === 1 && s.t > stoppedAt, 60_000);
    sampling = false;
    await sampler;

    // the count left 3 no sooner than the downscale delay after the load stopped
    const firstDrop = samples.find((s) => s.t > stoppedAt && s.desired !== null && s.desired < 3)!;
    expect(firstDrop.t - stoppedAt).toBeGreaterThanOrEqual(DOWNSCALE_MS - 2 * TICK_MS);
    // never outside the bounds
    for (const s of samples) {
      expect(s.live).toBeLessThanOrEqual(3);
      if (s.desired !== null) expect(s.desired).toBeGreaterThanOrEqual(1);
    }
    // zero failed requests, each answered once
    expect(answers.failed).toEqual([]);
    expect(answers.ok).toBeGreaterThan(20);
    for (const c of clients) for (const count of c.answerCounts().values()) expect(count).toBe(1);
    // scale-down drained: no request was re-sent after a worker left
    const metrics = await (await fetch(`${broker.http}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`yolomq_desired_workers\\{model="${MODEL}"\\} 1`));
    expect(metrics).not.toMatch(/yolomq_broker_retries_total\{[^}]*\} [1-9]/);
    expect(metrics).not.toMatch(/yolomq_broker_worker_losses_total\{reason="(silent|unreachable)"\}/);
    // the decisions were published: 3 while loaded, 1 at the end
    expect(published.some((p) => p.model === MODEL && p.desiredWorkers === 3)).toBe(true);
    expect(published.at(-1)).toMatchObject({ model: MODEL, desiredWorkers: 1 });

    process.stdout.write(
      `autoscale e2e: ${answers.ok} requests ok, 0 failed; ramp at ${rampAt} ms, 3 workers at ${atThree.t} ms ` +
        `(+${atThree.t - rampAt} ms); load stopped at ${stoppedAt} ms, desired dropped at ${firstDrop.t} ms ` +
        `(+${firstDrop.t - stoppedAt} ms), 1 worker at ${backToOne.t} ms\n`,
    );

    for (const c of clients) await c.close();
    sub.close();
    await subLoop;
    // the broker stops its workers on SIGTERM (graceful): exit 0
    expect(await broker.proc.stop(20_000)).toBe(0);
  }, 240_000);
});
