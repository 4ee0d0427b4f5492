// `yolomq serve` / `make run`: a whole cluster on this machine, as attached threads or as processes,
// answering real detections (real model, shared photo) through the SDK example, with one merged
// readable log, and stopping cleanly on Ctrl-C (SIGINT).
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, startNode, stopAll } from '../helpers/processes.js';

const ROOT = resolve(import.meta.dirname, '../..');
const SERVE = resolve(ROOT, 'scripts/serve.mjs');
const MODEL = resolve(ROOT, process.env.YOLOMQ_TEST_MODEL ?? '../shared/models/yolov8n_int8.onnx');
const BUS = resolve(ROOT, '../shared/images/bus.jpg');

afterAll(stopAll);

async function clusterEnv() {
  const [frontend, backend, http, gateway] = [await freePort(), await freePort(), await freePort(), await freePort()];
  return {
    env: {
      YOLOMQ_FRONTEND_BIND: `tcp://127.0.0.1:${frontend}`,
      YOLOMQ_BACKEND_BIND: `tcp://127.0.0.1:${backend}`,
      YOLOMQ_HTTP_HOST: '127.0.0.1',
      YOLOMQ_HTTP_PORT: String(http),
      YOLOMQ_GATEWAY_HOST: '127.0.0.1',
      YOLOMQ_GATEWAY_PORT: String(gateway),
      YOLOMQ_MODEL: MODEL,
      YOLOMQ_INFERENCE_THREADS: '1',
      NO_COLOR: '1',
    },
    frontend: `tcp://127.0.0.1:${frontend}`,
    http: `http://127.0.0.1:${http}`,
    gateway: `http://127.0.0.1:${gateway}`,
  };
}

describe.each(['threads', 'processes'] as const)('yolomq serve --workers 2 (%s)', (mode) => {
  it('serves real detections from both workers, merges the logs, stops cleanly on SIGINT', async () => {
    expect(existsSync(MODEL), `test model ${MODEL}`).toBe(true);
    const { env, frontend, http, gateway } = await clusterEnv();
    const args = ['--workers', '2', ...(mode === 'processes' ? ['--processes'] : [])];
    const serve = startNode(SERVE, env, args);
    await serve.waitFor(/serve\s+\| ready: /, 45_000);

    // one merged log, each line prefixed with its unit, JSON turned into text
    const out = serve.output();
    expect(out).toMatch(/^broker\s+\| \d\d:\d\d:\d\d\.\d{3} INFO {2}broker listening/m);
    expect(out).toMatch(/^worker-1 \| .*INFO {2}worker ready/m);
    expect(out).toMatch(/^worker-2 \| .*INFO {2}worker ready/m);
    expect(out).not.toMatch(/^\w+(-\d)?\s+\| \{"level"/m);

    // the SDK example against it: the photo's bus and persons, twice, so both workers are used
    const answers = [];
    for (let i = 0; i < 4; i++) {
      const client = startNode(resolve(ROOT, 'examples/03-sdk-client.mjs'), { YOLOMQ_BROKER: frontend }, [BUS]);
      expect(await client.exited, client.output()).toBe(0);
      answers.push(client.output());
    }
    for (const answer of answers) {
      expect(answer).toContain('810x1080');
      expect(answer).toMatch(/^\s+bus\s+0\.\d\d/m);
      expect(answer.match(/^\s+person\s+0\.[3-9]\d/gm)?.length ?? 0).toBeGreaterThanOrEqual(3);
    }
    const status = (await (await fetch(`${http}/status`)).json()) as { workers: Array<{ served: number }> };
    expect(status.workers).toHaveLength(2);
    expect(status.workers.every((w) => w.served > 0)).toBe(true);
    // the HTTP gateway and dashboard run with it, as a client of the broker
    const page = await fetch(`${gateway}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<html');
    const models = (await (await fetch(`${gateway}/v1/models`)).json()) as unknown;
    expect(JSON.stringify(models)).toContain('yolov8n_int8');
    // processes: each worker is its own process; threads: all share the launcher's pid
    const pids = new Set(status.workers.map((w) => (w as unknown as { pid: number }).pid));
    expect(pids.size).toBe(mode === 'processes' ? 2 : 1);

    serve.kill('SIGINT');
    expect(await serve.exited).toBe(0);
    const final = serve.output();
    expect(final).toContain('stopping: broker first');
    expect(final).toMatch(/^broker\s+\| .*broker stopped/m);
    expect(final.match(/^worker-\d \| .*worker stopped/gm)).toHaveLength(2);
    expect(final).toMatch(/serve\s+\| stopped cleanly/);
  });
});

describe('yolomq serve, bad input', () => {
  it('refuses a missing model, naming it, before starting anything', async () => {
    const { env } = await clusterEnv();
    const serve = startNode(SERVE, { ...env, YOLOMQ_MODEL: '' }, ['--model', '/nowhere/model.onnx']);
    expect(await serve.exited).toBe(1);
    expect(serve.output()).toContain('model not found: /nowhere/model.onnx');
  });

  it('rejects bad arguments with its usage', async () => {
    const serve = startNode(SERVE, {}, ['--workers', 'many']);
    expect(await serve.exited).toBe(2);
    expect(serve.output()).toContain('--workers must be a whole number');
    expect(serve.output()).toContain('usage: yolomq serve');
  });

  it('stops the cluster when a worker cannot start (bad worker configuration)', async () => {
    const { env } = await clusterEnv();
    const serve = startNode(SERVE, { ...env, YOLOMQ_INFERENCE_THREADS: 'lots' }, ['--workers', '1', '--processes']);
    expect(await serve.exited).toBe(1);
    const out = serve.output();
    expect(out).toMatch(/^worker-1 \| .*YOLOMQ_INFERENCE_THREADS/m);
    expect(out).toContain('worker-1 exited during start-up');
  });
});
