/** The load-balancing choice, a pure function over the workers of one model. */
import type { HeldJob, WorkerState } from '../workers/worker.js';

/**
 * The least-loaded worker with free credit (and not leaving), or undefined when every worker is full.
 *
 * Load is the fraction of credit in use (inflight / credit), compared by cross-multiplication, so a
 * worker with credit 4 takes about four times the work of one with credit 1 when both are saturated.
 * Ties (at light load: several idle workers) go to the worker dispatched to least recently, so light
 * load is round-robin: every worker stays warm and shares the work, which is what users of "balance
 * over M workers" expect. (Most-recently-used was measured to take ~0.2 ms off the median round trip
 * in the echo bench, but it left all but one worker idle at light load.) O(workers of the model).
 */
export function leastLoaded<J extends HeldJob>(workers: readonly WorkerState<J>[]): WorkerState<J> | undefined {
  let best: WorkerState<J> | undefined;
  for (let i = 0; i < workers.length; i++) {
    const worker = workers[i]!;
    const inflight = worker.jobs.size;
    const credit = worker.info.credit;
    if (inflight >= credit || !worker.accepting) continue;
    if (best === undefined) {
      best = worker;
      continue;
    }
    const a = inflight * best.info.credit;
    const b = best.jobs.size * credit;
    if (a < b || (a === b && worker.lastDispatch < best.lastDispatch)) best = worker;
  }
  return best;
}
