/**
 * Fault-suite support: the built broker, real workers and echo workers as child processes, with the
 * short heartbeats and timeouts the suite runs under. Never imported by product code.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, type Started, startNode } from '../../helpers/processes.js';

export const ROOT = resolve(fileURLToPath(import.meta.url), '../../../..');
export const BROKER_MAIN = resolve(ROOT, 'services/broker/dist/main.js');
export const WORKER_MAIN = resolve(ROOT, 'services/worker/dist/main.js');
export const CLIENT_CLI = resolve(ROOT, 'services/client/dist/cli/main.js');
export const ECHO_WORKER = resolve(ROOT, 'test/helpers/echo-worker.mjs');
export const MODEL_PATH = resolve(ROOT, process.env.YOLOMQ_TEST_MODEL ?? '../shared/models/yolov8n_int8.onnx');
export const MODEL_NAME = 'yolov8n_int8';
export const IMAGES = resolve(ROOT, '../shared/images');

/** Heartbeats for the suite: a frozen peer is seen in about a second. */
export const HEARTBEAT_MS = 300;
export const LIVENESS = 3;

export function requireBuilt(): void {
  for (const file of [BROKER_MAIN, WORKER_MAIN]) {
    if (!existsSync(file)) throw new Error(`${file} is missing: run npm run build (npm run test:faults does)`);
  }
  if (!existsSync(MODEL_PATH)) throw new Error(`model ${MODEL_PATH} is missing (set YOLOMQ_TEST_MODEL)`);
}

export interface BrokerProcess {
  proc: Started;
  frontend: string;
  backend: string;
  httpPort: number;
  http: string;
  status(): Promise<StatusDoc>;
  waitForWorkers(n: number, timeoutMs?: number): Promise<StatusDoc>;
}

export interface StatusDoc {
  workers: Array<{ workerId: string; model: string; inflight: number; served: number }>;
  queues: Array<{ model: string; queued: number; inflight: number; liveWorkers: number }>;
}

export interface BrokerPorts {
  frontendPort: number;
  backendPort: number;
  httpPort: number;
}

export async function brokerPorts(): Promise<BrokerPorts> {
  return { frontendPort: await freePort(), backendPort: await freePort(), httpPort: await freePort() };
}

export interface BrokerPlacement {
  /** interface the ZeroMQ sockets bind (default 127.0.0.1) */
  bindHost?: string;
  /** address peers use to reach them (default bindHost) */
  host?: string;
  /** interface of the HTTP port, and the address the suite reads it at (default 127.0.0.1) */
  httpHost?: string;
  /** runs node through this command (e.g. ip netns exec NS) */
  prefix?: string[];
}

/** Starts the broker on the given ports (fresh ones by default), waits until its HTTP port answers. */
export async function startBroker(
  env: Record<string, string> = {},
  ports?: BrokerPorts,
  placement: BrokerPlacement = {},
): Promise<BrokerProcess> {
  const p = ports ?? (await brokerPorts());
  const bindHost = placement.bindHost ?? '127.0.0.1';
  const host = placement.host ?? bindHost;
  const httpHost = placement.httpHost ?? '127.0.0.1';
  const fullEnv = {
    YOLOMQ_FRONTEND_BIND: `tcp://${bindHost}:${p.frontendPort}`,
    YOLOMQ_BACKEND_BIND: `tcp://${bindHost}:${p.backendPort}`,
    YOLOMQ_HTTP_HOST: httpHost,
    YOLOMQ_HTTP_PORT: String(p.httpPort),
    YOLOMQ_HEARTBEAT_MS: String(HEARTBEAT_MS),
    YOLOMQ_HEARTBEAT_LIVENESS: String(LIVENESS),
    LOG_LEVEL: 'warn',
    ...env,
  };
  const proc = startNode(BROKER_MAIN, fullEnv, [], placement.prefix ?? []);
  // LOG_LEVEL warn hides "broker listening": wait for the HTTP port instead.
  const http = `http://${httpHost}:${p.httpPort}`;
  await waitUntil(async () => (await fetch(`${http}/healthz`).catch(() => undefined))?.ok === true, 15_000, proc);
  const broker: BrokerProcess = {
    proc,
    frontend: `tcp://${host}:${p.frontendPort}`,
    backend: `tcp://${host}:${p.backendPort}`,
    httpPort: p.httpPort,
    http,
    async status() {
      const res = await fetch(`${http}/status`);
      return (await res.json()) as StatusDoc;
    },
    async waitForWorkers(n, timeoutMs = 30_000) {
      let doc: StatusDoc | undefined;
      await waitUntil(
        async () => {
          doc = await broker.status().catch(() => undefined);
          return doc !== undefined && doc.workers.length >= n;
        },
        timeoutMs,
        proc,
      );
      return doc!;
    },
  };
  return broker;
}

/** Polls `check` every 25 ms until it is true; rejects after timeoutMs or when `proc` exits. */
export async function waitUntil(check: () => Promise<boolean> | boolean, timeoutMs: number, proc?: Started) {
  const start = Date.now();
  for (;;) {
    if (await check()) return;
    if (proc && (proc.child.exitCode !== null || proc.child.signalCode !== null)) {
      throw new Error(`process ${proc.pid} exited; output:\n${proc.output().slice(-3000)}`);
    }
    if (Date.now() - start > timeoutMs) {
      throw new Error(
        `condition not met within ${timeoutMs} ms${proc ? `; output:\n${proc.output().slice(-2000)}` : ''}`,
      );
    }
    await sleep(25);
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Environment of a real worker (one inference thread, one intra-op thread: ~150 ms per image here). */
export function realWorkerEnv(backend: string, workerId: string, extra: Record<string, string> = {}) {
  return {
    YOLOMQ_BROKER_BACKEND: backend,
    YOLOMQ_MODEL: MODEL_PATH,
    YOLOMQ_INFERENCE_THREADS: '1',
    YOLOMQ_INTRA_OP_THREADS: '1',
    YOLOMQ_PREFETCH: '1',
    YOLOMQ_HEARTBEAT_MS: String(HEARTBEAT_MS),
    YOLOMQ_HEARTBEAT_LIVENESS: String(LIVENESS),
    YOLOMQ_RECONNECT_MIN_MS: '200',
    YOLOMQ_RECONNECT_MAX_MS: '1000',
    YOLOMQ_WORKER_ID: workerId,
    LOG_LEVEL: 'info',
    ...extra,
  };
}

export async function startRealWorker(
  backend: string,
  workerId: string,
  extra: Record<string, string> = {},
  prefix: string[] = [],
): Promise<Started> {
  const proc = startNode(WORKER_MAIN, realWorkerEnv(backend, workerId, extra), [], prefix);
  await proc.waitFor('worker ready', 60_000);
  return proc;
}

export async function startEchoWorker(
  backend: string,
  workerId: string,
  extra: Record<string, string> = {},
): Promise<Started> {
  const proc = startNode(ECHO_WORKER, {
    BROKER: backend,
    MODEL: 'echo',
    CREDIT: '2',
    WORKER_ID: workerId,
    HEARTBEAT_MS: String(HEARTBEAT_MS),
    ...extra,
  });
  await proc.waitFor('ready');
  return proc;
}

/** Resident set size of a process in bytes (Linux /proc), or undefined when it is gone. */
export async function rssBytes(pid: number): Promise<number | undefined> {
  const { readFile } = await import('node:fs/promises');
  try {
    const text = await readFile(`/proc/${pid}/status`, 'utf8');
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(text);
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}
