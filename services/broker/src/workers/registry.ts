/**
 * The worker registry: who is registered, for which model, and who has fallen silent. Pure data
 * driven by the caller's clock: liveness is "spoke within heartbeatMs x liveness", any message counts.
 */
import type { HeldJob, WorkerState } from './worker.js';

export class WorkerRegistry<J extends HeldJob = HeldJob> {
  private readonly byKey = new Map<string, WorkerState<J>>();
  private readonly byModel = new Map<string, WorkerState<J>[]>();
  private static readonly NONE: readonly never[] = [];

  /** a worker silent for longer than this is dead */
  readonly expiryMs: number;

  constructor(heartbeatMs: number, liveness: number) {
    this.expiryMs = heartbeatMs * liveness;
  }

  get size(): number {
    return this.byKey.size;
  }

  get(key: string): WorkerState<J> | undefined {
    return this.byKey.get(key);
  }

  all(): IterableIterator<WorkerState<J>> {
    return this.byKey.values();
  }

  /** live workers serving a model, in registration order */
  forModel(model: string): readonly WorkerState<J>[] {
    return this.byModel.get(model) ?? WorkerRegistry.NONE;
  }

  add(worker: WorkerState<J>): void {
    this.byKey.set(worker.key, worker);
    const list = this.byModel.get(worker.model);
    if (list === undefined) this.byModel.set(worker.model, [worker]);
    else list.push(worker);
  }

  remove(worker: WorkerState<J>): void {
    if (this.byKey.get(worker.key) !== worker) return;
    this.byKey.delete(worker.key);
    const list = this.byModel.get(worker.model);
    if (list === undefined) return;
    const index = list.indexOf(worker);
    if (index >= 0) list.splice(index, 1);
    if (list.length === 0) this.byModel.delete(worker.model);
  }

  /** Records that a worker spoke; returns it, or undefined when that routing id is not registered. */
  touch(key: string, now: number): WorkerState<J> | undefined {
    const worker = this.byKey.get(key);
    if (worker !== undefined) worker.lastSeen = now;
    return worker;
  }

  /** workers silent for longer than expiryMs at `now` */
  silent(now: number): WorkerState<J>[] {
    const out: WorkerState<J>[] = [];
    for (const worker of this.byKey.values()) if (now - worker.lastSeen > this.expiryMs) out.push(worker);
    return out;
  }
}
