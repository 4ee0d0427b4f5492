/**
 * Integration-test support: the built broker and echo workers as child processes on loopback, and a
 * client written here with a zeromq Dealer (the client SDK is another service's, so it is not used).
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type BrokerToClient,
  type DetectOptions,
  decodeBrokerToClient,
  encodePing,
  encodeRequest,
} from '@yolomq/protocol';
import { Dealer } from 'zeromq';
import { freePort, type Started, startNode } from '../../../../test/helpers/processes.js';

const root = resolve(fileURLToPath(import.meta.url), '../../../../..');
export const BROKER_MAIN = resolve(root, 'services/broker/dist/main.js');
export const ECHO_WORKER = resolve(root, 'test/helpers/echo-worker.mjs');

/** Heartbeats for tests: fast enough to see a frozen worker in about a second, slack enough for a busy machine. */
export const TEST_HEARTBEAT_MS = 250;
export const TEST_LIVENESS = 4;

export interface BrokerProcess {
  proc: Started;
  frontend: string;
  backend: string;
  http: string;
  status(): Promise<StatusDoc>;
  /** resolves once /status lists `n` workers (optionally: exactly these ids) */
  waitForWorkers(n: number, timeoutMs?: number): Promise<StatusDoc>;
}

export interface StatusDoc {
  status: string;
  defaultModel: string | null;
  pending: number;
  workers: Array<{
    workerId: string;
    model: string;
    credit: number;
    inflight: number;
    served: number;
    lastHeartbeatAgeMs: number;
    accepting: boolean;
  }>;
  queues: Array<{
    model: string;
    queued: number;
    queuedBytes: number;
    clients: number;
    inflight: number;
    liveWorkers: number;
  }>;
  clients: Array<{ id: string; pending: number; requests: number; lastSeenAgoMs: number }>;
  clientsSeenLastMinute: number;
}

export async function startBroker(env: Record<string, string> = {}): Promise<BrokerProcess> {
  const [f, b, h] = await Promise.all([freePort(), freePort(), freePort()]);
  const frontend = `tcp://127.0.0.1:${f}`;
  const backend = `tcp://127.0.0.1:${b}`;
  const http = `http://127.0.0.1:${h}`;
  const proc = startNode(BROKER_MAIN, {
    YOLOMQ_FRONTEND_BIND: frontend,
    YOLOMQ_BACKEND_BIND: backend,
    YOLOMQ_HTTP_HOST: '127.0.0.1',
    YOLOMQ_HTTP_PORT: String(h),
    YOLOMQ_HEARTBEAT_MS: String(TEST_HEARTBEAT_MS),
    YOLOMQ_HEARTBEAT_LIVENESS: String(TEST_LIVENESS),
    LOG_LEVEL: 'info',
    ...env,
  });
  await proc.waitFor('broker listening', 20_000);
  const status = async () => (await (await fetch(`${http}/status`)).json()) as StatusDoc;
  return {
    proc,
    frontend,
    backend,
    http,
    status,
    async waitForWorkers(n, timeoutMs = 20_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const doc = await status();
        if (doc.workers.length === n) return doc;
        if (Date.now() > until) throw new Error(`broker has ${doc.workers.length} workers, expected ${n}`);
        await sleep(50);
      }
    },
  };
}

export interface WorkerOptions {
  id: string;
  model?: string;
  credit?: number;
  delayMs?: number;
  failCode?: string;
}

export async function startWorker(broker: BrokerProcess, o: WorkerOptions): Promise<Started> {
  const env: Record<string, string> = {
    BROKER: broker.backend,
    MODEL: o.model ?? 'echo',
    CREDIT: String(o.credit ?? 1),
    ECHO_DELAY_MS: String(o.delayMs ?? 0),
    WORKER_ID: o.id,
    HEARTBEAT_MS: String(TEST_HEARTBEAT_MS),
  };
  if (o.failCode !== undefined) env.ECHO_FAIL_CODE = o.failCode;
  const proc = startNode(ECHO_WORKER, env);
  await proc.waitFor('ready');
  return proc;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls until `check` returns a value that is not undefined, or throws after timeoutMs. */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 15_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error('condition not met in time');
    await sleep(25);
  }
}

export interface Answer {
  message: BrokerToClient;
  /** arrival order across all answers of this client */
  seq: number;
}

/**
 * A test client: one DEALER, every answer recorded per request id (so a second answer to the same
 * request would be seen), sends chained one at a time (zeromq.js allows one send in progress).
 */
export class TestClient {
  readonly socket: Dealer;
  readonly answers = new Map<string, Answer[]>();
  readonly pongs: Buffer[] = [];
  readonly undecodable: string[] = [];
  private seq = 0;
  private sending: Promise<void> = Promise.resolve();
  private readonly listeners = new Set<() => void>();
  private readonly loop: Promise<void>;

  constructor(endpoint: string, routingId?: string) {
    this.socket = new Dealer({ linger: 0, ...(routingId === undefined ? {} : { routingId }) });
    this.socket.connect(endpoint);
    this.loop = this.receive();
  }

  private async receive(): Promise<void> {
    try {
      for await (const frames of this.socket) {
        const decoded = decodeBrokerToClient(frames);
        if (!decoded.ok) this.undecodable.push(decoded.error.message);
        else if (decoded.value.command === 'PONG') this.pongs.push(decoded.value.token);
        else {
          const list = this.answers.get(decoded.value.requestId) ?? [];
          list.push({ message: decoded.value, seq: this.seq++ });
          this.answers.set(decoded.value.requestId, list);
        }
        for (const l of this.listeners) l();
      }
    } catch {
      // socket closed
    }
  }

  /** Sends raw frames (for malformed-message tests). */
  sendRaw(frames: Buffer[]): Promise<void> {
    this.sending = this.sending.then(() => this.socket.send(frames)).catch(() => undefined);
    return this.sending;
  }

  request(id: string, options?: DetectOptions, opts: { model?: string; image?: Buffer } = {}): Promise<void> {
    return this.sendRaw(encodeRequest(id, opts.model ?? 'echo', options, opts.image ?? Buffer.from('image-bytes')));
  }

  ping(token: string): Promise<void> {
    return this.sendRaw(encodePing(Buffer.from(token)));
  }

  /** Resolves with the first answer to `id` (waits for it). */
  answer(id: string, timeoutMs = 20_000): Promise<Answer> {
    return this.until(() => this.answers.get(id)?.[0], timeoutMs, `an answer to ${id}`);
  }

  /** Resolves once answers to all of `ids` arrived. */
  async all(ids: string[], timeoutMs = 30_000): Promise<Answer[]> {
    await this.until(
      () => (ids.every((id) => this.answers.has(id)) ? true : undefined),
      timeoutMs,
      `${ids.length} answers`,
    );
    return ids.map((id) => this.answers.get(id)![0]!);
  }

  until<T>(check: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    return new Promise((resolvePromise, reject) => {
      const test = () => {
        const value = check();
        if (value === undefined) return false;
        this.listeners.delete(test);
        clearTimeout(timer);
        resolvePromise(value);
        return true;
      };
      const timer = setTimeout(() => {
        this.listeners.delete(test);
        reject(new Error(`timed out waiting for ${what}; have ${this.answers.size} answers`));
      }, timeoutMs);
      if (!test()) this.listeners.add(test);
    });
  }

  /** How many answers each request got: any value other than 1 is a bug. */
  answerCounts(): Map<string, number> {
    return new Map([...this.answers].map(([id, list]) => [id, list.length]));
  }

  async close(): Promise<void> {
    this.socket.close();
    await this.loop;
  }
}

/** The parsed result JSON of a REPLY (echo workers add echoBytes). */
export function resultOf(answer: Answer): {
  workerId: string;
  model: string;
  echoBytes: number;
  timings: { queueMs: number; totalMs: number };
} {
  if (answer.message.command !== 'REPLY') {
    throw new Error(`expected a REPLY, got ${answer.message.command} ${JSON.stringify(answer.message)}`);
  }
  return JSON.parse(answer.message.result.toString());
}

/** The error code of an ERROR answer (or 'REPLY'). */
export function codeOf(answer: Answer): string {
  return answer.message.command === 'ERROR' ? answer.message.code : answer.message.command;
}
