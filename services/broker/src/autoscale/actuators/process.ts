/**
 * YOLOMQ_SCALER=process: the broker supervises local worker processes (`node <worker script>`), one
 * model's worth, starting and stopping them to match the autoscaler's decision.
 *
 * Scale-up: spawn a worker with the broker's environment plus a fresh YOLOMQ_WORKER_ID and
 * YOLOMQ_BROKER_BACKEND pointing at this broker; it counts as running from spawn (its start-up is part
 * of the cost the upscale delay is weighed against) and serves once it registers.
 * Scale-down, never losing a request: pick a worker (one still starting first: it holds nothing; else
 * the one holding the fewest jobs, the newest on ties), tell the broker to stop routing to it, wait
 * until it holds no job (or the drain timeout), then SIGTERM (the worker finishes, says DISCONNECT and
 * exits 0); SIGKILL only if it is still there a grace period later.
 * A worker that exits on its own is forgotten and replaced on a later tick; one that dies within
 * seconds of starting delays the next start (doubling, up to 30 s) so a broken worker does not spin.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import type { Logger } from '../../logger.js';
import type { Actuator, ActuatorCounts, WorkerControl } from './actuator.js';

export interface ProcessActuatorOptions {
  /** the model whose workers this actuator runs (workers it spawns must register for it) */
  model: string;
  /** the worker's entry script, run with this Node (process.execPath) */
  workerScript: string;
  /** environment of spawned workers (YOLOMQ_WORKER_ID and YOLOMQ_BROKER_BACKEND are set on top) */
  env: Record<string, string | undefined>;
  /** endpoint workers connect to (the broker's backend) */
  backend: string;
  /** how long a drained worker may take to finish its jobs before it is told to stop anyway */
  drainTimeoutMs: number;
  /** how often a draining worker's in-flight count is checked */
  pollMs?: number;
}

type Phase = 'running' | 'draining' | 'stopping';

interface Child {
  id: string;
  proc: ChildProcess;
  phase: Phase;
  startedAt: number;
  timer: NodeJS.Timeout | undefined;
  exited: Promise<void>;
}

const CRASH_WINDOW_MS = 5000;
const MAX_BACKOFF_MS = 30_000;

export class ProcessActuator implements Actuator {
  readonly kind = 'process';
  private readonly children = new Map<string, Child>();
  private seq = 0;
  private backoffMs = 0;
  private nextStartAt = 0;
  private closing = false;
  private readonly log: Logger;

  constructor(
    private readonly options: ProcessActuatorOptions,
    private readonly control: WorkerControl,
    logger: Logger,
  ) {
    this.log = logger.child({ component: 'scaler', actuator: 'process', model: options.model });
  }

  counts(): ActuatorCounts {
    let running = 0;
    let draining = 0;
    for (const c of this.children.values()) {
      if (c.phase === 'running') running++;
      else draining++;
    }
    return { running, draining };
  }

  reconcile(model: string, desired: number): void {
    if (this.closing || model !== this.options.model) return;
    // workers of this model that something else started count towards the desired number
    const external = this.control.liveWorkers(model).filter((id) => !this.children.has(id)).length;
    const want = Math.max(0, desired - external);
    const running = [...this.children.values()].filter((c) => c.phase === 'running');
    if (running.length < want) {
      const now = Date.now();
      if (now < this.nextStartAt) return;
      for (let i = running.length; i < want; i++) this.start();
    } else if (running.length > want) {
      for (const victim of this.pickVictims(running, running.length - want)) this.drain(victim);
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    const all = [...this.children.values()];
    for (const c of all) if (c.phase !== 'stopping') this.stop(c);
    await Promise.all(all.map((c) => c.exited));
  }

  private start(): void {
    const id = `scaled-${process.pid}-${++this.seq}`;
    const proc = spawn(process.execPath, [this.options.workerScript], {
      env: { ...this.options.env, YOLOMQ_WORKER_ID: id, YOLOMQ_BROKER_BACKEND: this.options.backend },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const child: Child = {
      id,
      proc,
      phase: 'running',
      startedAt: Date.now(),
      timer: undefined,
      exited: new Promise((resolve) => proc.once('exit', () => resolve())),
    };
    proc.once('error', (error) => this.log.error({ workerId: id, err: error }, 'worker could not be started'));
    proc.once('exit', (code, signal) => this.exited(child, code, signal));
    this.children.set(id, child);
    this.log.info({ workerId: id, pid: proc.pid }, 'worker started');
  }

  private exited(child: Child, code: number | null, signal: NodeJS.Signals | null): void {
    if (child.timer !== undefined) clearTimeout(child.timer);
    this.children.delete(child.id);
    if (child.phase === 'running' && !this.closing) {
      const lived = Date.now() - child.startedAt;
      if (lived < CRASH_WINDOW_MS) {
        this.backoffMs = Math.min(MAX_BACKOFF_MS, Math.max(1000, this.backoffMs * 2));
        this.nextStartAt = Date.now() + this.backoffMs;
      } else this.backoffMs = 0;
      this.log.warn({ workerId: child.id, code, signal, livedMs: lived, retryInMs: this.backoffMs }, 'worker exited');
    } else this.log.info({ workerId: child.id, code, signal }, 'worker stopped');
  }

  /** Fewest held jobs first (a worker not registered yet holds none), newest first on ties. */
  private pickVictims(running: Child[], n: number): Child[] {
    const held = (c: Child) => this.control.inflight(c.id) ?? -1;
    return running.sort((a, b) => held(a) - held(b) || b.startedAt - a.startedAt).slice(0, n);
  }

  private drain(child: Child): void {
    child.phase = 'draining';
    const routed = this.control.stopRouting(child.id);
    const began = Date.now();
    this.log.info({ workerId: child.id, registered: routed }, 'draining worker');
    const poll = () => {
      child.timer = undefined;
      const inflight = this.control.inflight(child.id);
      if (inflight === undefined || inflight === 0 || Date.now() - began >= this.options.drainTimeoutMs) {
        if (inflight !== undefined && inflight > 0) {
          this.log.warn({ workerId: child.id, inflight }, 'drain timeout: stopping a worker that still holds jobs');
        }
        this.stop(child);
        return;
      }
      child.timer = setTimeout(poll, this.options.pollMs ?? 50);
    };
    poll();
  }

  /** SIGTERM (graceful), SIGKILL if still there after the drain timeout plus 5 s. */
  private stop(child: Child): void {
    if (child.timer !== undefined) clearTimeout(child.timer);
    child.phase = 'stopping';
    if (child.proc.exitCode !== null || child.proc.signalCode !== null) return;
    child.proc.kill('SIGTERM');
    child.timer = setTimeout(() => child.proc.kill('SIGKILL'), this.options.drainTimeoutMs + 5000);
    child.timer.unref();
  }
}
