/** Test helper for the client's tests: a real broker process and echo workers on free loopback ports. */
import { resolve } from 'node:path';
import { freePort, type Started, startNode } from '../../../test/helpers/processes.js';

export const REPO = resolve(import.meta.dirname, '../../..');
export const BROKER_MAIN = resolve(REPO, 'services/broker/dist/main.js');
export const ECHO_WORKER = resolve(REPO, 'test/helpers/echo-worker.mjs');
export const CLI_MAIN = resolve(REPO, 'services/client/dist/cli/main.js');
export const CLIENT_DIST = resolve(REPO, 'services/client/dist/index.js');
export const WORKER_MAIN = resolve(REPO, 'services/worker/dist/main.js');
/** The model real-worker tests load (env YOLOMQ_TEST_MODEL, relative to the repository root). */
export const TEST_MODEL = resolve(REPO, process.env.YOLOMQ_TEST_MODEL ?? '../shared/models/yolov8n_int8.onnx');
/** A shared sample photo: a test input read in place, never copied into the repository. */
export const SAMPLE_PHOTO = resolve(REPO, '../shared/images/bus.jpg');

export interface BrokerPorts {
  frontend: string;
  backend: string;
  http: string;
  httpPort: number;
}

export async function brokerPorts(): Promise<BrokerPorts> {
  const [f, b, h] = [await freePort(), await freePort(), await freePort()];
  return {
    frontend: `tcp://127.0.0.1:${f}`,
    backend: `tcp://127.0.0.1:${b}`,
    http: `http://127.0.0.1:${h}`,
    httpPort: h,
  };
}

/** Starts the broker on the given ports and waits until it listens. */
export async function startBroker(ports: BrokerPorts, env: Record<string, string> = {}): Promise<Started> {
  const broker = startNode(BROKER_MAIN, {
    YOLOMQ_FRONTEND_BIND: ports.frontend,
    YOLOMQ_BACKEND_BIND: ports.backend,
    YOLOMQ_HTTP_HOST: '127.0.0.1',
    YOLOMQ_HTTP_PORT: String(ports.httpPort),
    LOG_LEVEL: 'info',
    ...env,
  });
  await broker.waitFor('listening');
  return broker;
}

/** Starts an echo worker (see test/helpers/echo-worker.mjs for its env) and waits until the broker lists it. */
export async function startEcho(ports: BrokerPorts, env: Record<string, string> = {}): Promise<Started> {
  const worker = startNode(ECHO_WORKER, { BROKER: ports.backend, MODEL: 'echo', ...env });
  await worker.waitFor('ready');
  await waitForWorkers(ports, 1, worker.pid);
  return worker;
}

interface StatusDoc {
  workers: Array<{ workerId: string; pid: number }>;
}

/** Polls the broker's /status until at least `count` workers are registered (and pid among them, if given). */
export async function waitForWorkers(ports: BrokerPorts, count: number, pid?: number, timeoutMs = 15_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      const status = (await (await fetch(`${ports.http}/status`)).json()) as StatusDoc;
      if (status.workers.length >= count && (pid === undefined || status.workers.some((w) => w.pid === pid))) return;
    } catch {
      // not up yet
    }
    if (Date.now() > until) throw new Error(`broker at ${ports.http} did not list ${count} workers in time`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
