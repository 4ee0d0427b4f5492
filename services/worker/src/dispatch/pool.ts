/**
 * The inference threads of one worker process (the I/O shell around them): K worker_threads, each
 * attached to the main thread by its own inproc PAIR socket (bound here, connected by the thread).
 * All sockets live in the process's one ZeroMQ context: zeromq.js creates a single context per
 * process and shares it with every worker_thread, which is what lets inproc connect them. Data moves
 * only as ZeroMQ messages; Node's worker 'exit' event is used only to learn that a thread died.
 *
 * A thread that dies is reported (its job is the caller's to answer) and restarted after a backoff
 * that doubles while it keeps dying. Threads are never terminate()d: zeromq.js aborts the process when
 * a thread is torn down with an open socket, so STOP asks the thread to close its socket and return.
 */
import { randomUUID } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { Pair } from 'zeromq';
import type { DetectorConfig } from '../inference/detector.js';
import { Kind, type ThreadReady } from '../inference/messages.js';
import type { ThreadData } from '../inference/thread.js';
import { Outbox } from '../link/outbox.js';
import type { Logger } from '../logger.js';

export interface PoolOptions {
  threads: number;
  detector: DetectorConfig;
  /** how long a thread lets a batch fill (ms) */
  batchDelayMs: number;
  model: string;
  workerId: string;
  /** the thread's entry script (tests substitute their own) */
  entry?: URL;
  restartMinMs?: number;
  restartMaxMs?: number;
}

export interface PoolEvents {
  /** a thread is (again) up and idle */
  up(thread: number, ready: ThreadReady): void;
  /** a thread answered a job: frames are [kind, jobId, ...] as the thread sent them */
  answer(thread: number, frames: Buffer[]): void;
  /** a thread died; it will be restarted */
  down(thread: number, reason: string): void;
}

interface Slot {
  index: number;
  socket: Pair;
  outbox: Outbox;
  worker: Worker;
  generation: number;
  alive: boolean;
  exited: Promise<number>;
  failures: number;
  startedAt: number;
}

const DEFAULT_ENTRY = new URL('../inference/thread.js', import.meta.url);

export class InferencePool {
  private readonly slots: Slot[] = [];
  private readonly prefix = `inproc://yolomq-worker-${randomUUID()}`;
  private stopping = false;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly options: PoolOptions,
    private readonly events: PoolEvents,
    private readonly log: Logger,
  ) {}

  /** Starts every thread; resolves with the first READY once all are up, rejects with the first FAIL. */
  async start(): Promise<ThreadReady> {
    const readies = Array.from({ length: this.options.threads }, (_, i) => this.spawn(i, 0, 0));
    const all = await Promise.allSettled(readies);
    const failed = all.find((r) => r.status === 'rejected');
    if (failed) {
      await this.stop();
      throw (failed as PromiseRejectedResult).reason;
    }
    return (all[0] as PromiseFulfilledResult<ThreadReady>).value;
  }

  send(thread: number, frames: ReadonlyArray<Buffer | string>): boolean {
    const slot = this.slots[thread];
    if (slot === undefined || !slot.alive) return false;
    slot.outbox.send(frames);
    return true;
  }

  /** Asks every thread to stop, waits for them to exit (up to graceMs), closes the sockets. */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await Promise.all(
      this.slots.map(async (slot) => {
        if (slot.alive) slot.outbox.send([Kind.STOP]);
        await Promise.race([slot.exited, sleep(graceMs)]);
        slot.socket.close();
      }),
    );
  }

  private async spawn(index: number, generation: number, failures: number): Promise<ThreadReady> {
    const endpoint = `${this.prefix}-${index}-${generation}`;
    const socket = new Pair({ linger: 0 });
    await socket.bind(endpoint);
    const data: ThreadData = {
      endpoint,
      detector: this.options.detector,
      batchDelayMs: this.options.batchDelayMs,
      model: this.options.model,
      workerId: this.options.workerId,
    };
    const worker = new Worker(this.options.entry ?? DEFAULT_ENTRY, { workerData: data });
    const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
    const slot: Slot = {
      index,
      socket,
      outbox: new Outbox(socket),
      worker,
      generation,
      alive: false,
      exited,
      failures,
      startedAt: performance.now(),
    };
    this.slots[index] = slot;
    worker.on('error', (error) => this.log.error({ err: error, thread: index }, 'inference thread error'));

    return new Promise<ThreadReady>((resolve, reject) => {
      let settled = false;
      const receive = async () => {
        try {
          for await (const frames of socket) {
            const kind = frames[0]?.toString('latin1');
            if (kind === Kind.READY) {
              const ready = JSON.parse(frames[1]!.toString('utf8')) as ThreadReady;
              slot.alive = true;
              if (!settled) {
                settled = true;
                resolve(ready);
              }
              this.events.up(index, ready);
            } else if (kind === Kind.FAIL) {
              const message = frames[1]?.toString('utf8') ?? 'unknown failure';
              if (!settled) {
                settled = true;
                reject(new Error(message));
              } else this.log.error({ thread: index, message }, 'inference thread could not load the model');
            } else if (kind === Kind.RESULT || kind === Kind.ERROR) {
              this.events.answer(index, frames);
            }
          }
        } catch (error) {
          this.log.debug({ err: error, thread: index }, 'inference socket closed');
        }
      };
      void receive();
      void exited.then((code) => {
        const wasAlive = slot.alive;
        slot.alive = false;
        if (!settled) {
          settled = true;
          reject(new Error(`inference thread ${index} exited with code ${code} before it was ready`));
        }
        if (this.stopping) return;
        socket.close();
        const reason = `inference thread ${index} exited with code ${code}`;
        if (wasAlive) this.events.down(index, reason);
        this.restartLater(index, generation + 1, failures, slot.startedAt);
      });
    });
  }

  private restartLater(index: number, generation: number, failures: number, startedAt: number): void {
    // a thread that ran a while before dying starts over from the shortest delay
    const lived = performance.now() - startedAt;
    const min = this.options.restartMinMs ?? 100;
    const max = this.options.restartMaxMs ?? 30_000;
    const count = lived > max ? 0 : failures;
    const delay = Math.min(max, min * 2 ** count);
    this.log.warn({ thread: index, delayMs: delay }, 'restarting inference thread');
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.stopping) return;
      this.spawn(index, generation, count + 1).catch((error: Error) =>
        this.log.error({ thread: index, err: error }, 'inference thread restart failed'),
      );
    }, delay);
    this.timers.add(timer);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
