/**
 * The process actuator's lifecycle with stand-in worker scripts and a fake broker side: it starts what
 * is missing, drains before it stops (SIGTERM only once the worker holds nothing), replaces a worker
 * that died, and backs off from one that dies at start instead of spinning.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { WorkerControl } from '../src/autoscale/actuators/actuator.js';
import { ProcessActuator } from '../src/autoscale/actuators/process.js';

const dir = mkdtempSync(join(tmpdir(), 'yolomq-actuator-'));
// a stand-in worker: lives until SIGTERM, then exits 0
const SLEEPER = join(dir, 'sleeper.mjs');
writeFileSync(
  SLEEPER,
  'const t = setInterval(() => {}, 1000);\n' + "process.on('SIGTERM', () => { clearInterval(t); process.exit(0); });\n",
);
// a stand-in worker that dies at once
const CRASHER = join(dir, 'crasher.mjs');
writeFileSync(CRASHER, 'process.exit(3);\n');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const logger = pino({ level: 'silent' });

/** A broker side where every started worker is registered and holds `held[id]` jobs. */
class FakeControl implements WorkerControl {
  readonly held = new Map<string, number>();
  readonly stopped: string[] = [];
  liveWorkers(): string[] {
    return [...this.held.keys()];
  }
  stopRouting(id: string): boolean {
    this.stopped.push(id);
    return this.held.has(id);
  }
  inflight(id: string): number | undefined {
    return this.held.get(id);
  }
}

let actuator: ProcessActuator | undefined;
afterEach(async () => {
  await actuator?.close();
  actuator = undefined;
});

const make = (script: string, control: WorkerControl) =>
  new ProcessActuator(
    { model: 'm', workerScript: script, env: {}, backend: 'tcp://127.0.0.1:1', drainTimeoutMs: 10_000, pollMs: 20 },
    control,
    logger,
  );

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe('process actuator', () => {
  it('starts up to the desired count, ignores other models, and drains before it stops a worker', async () => {
    const control = new FakeControl();
    actuator = make(SLEEPER, control);
    actuator.reconcile('other-model', 3);
    expect(actuator.counts()).toEqual({ running: 0, draining: 0 });
    actuator.reconcile('m', 2);
    actuator.reconcile('m', 2); // idempotent
    expect(actuator.counts()).toEqual({ running: 2, draining: 0 });
    // both register and hold one job each
    const ids = [`scaled-${process.pid}-1`, `scaled-${process.pid}-2`];
    control.held.set(ids[0]!, 1);
    control.held.set(ids[1]!, 1);
    await sleep(300);
    // down to 1: on a tie the newest is chosen, and routing to it is stopped first
    actuator.reconcile('m', 1);
    expect(control.stopped).toEqual([ids[1]]);
    expect(actuator.counts()).toEqual({ running: 1, draining: 1 });
    // it still holds a job: not stopped while it does
    await sleep(200);
    expect(actuator.counts().draining).toBe(1);
    control.held.set(ids[1]!, 0);
    await until(() => actuator!.counts().draining === 0, 'the drained worker to exit');
    expect(actuator.counts()).toEqual({ running: 1, draining: 0 });
  });

  it('counts workers started by someone else towards the desired number', () => {
    const control = new FakeControl();
    control.held.set('external-1', 0);
    control.held.set('external-2', 0);
    actuator = make(SLEEPER, control);
    actuator.reconcile('m', 3);
    expect(actuator.counts().running).toBe(1);
  });

  it('replaces a worker that died, and backs off from one that dies at start', async () => {
    const control = new FakeControl();
    actuator = make(CRASHER, control);
    actuator.reconcile('m', 1);
    await until(() => actuator!.counts().running === 0, 'the crash');
    // within the back-off (1 s after a crash at start) no new worker is started
    actuator.reconcile('m', 1);
    expect(actuator.counts().running).toBe(0);
    await sleep(1100);
    actuator.reconcile('m', 1);
    expect(actuator.counts().running).toBe(1);
    await until(() => actuator!.counts().running === 0, 'the second crash');
    // the back-off doubled: still nothing 1.1 s later
    await sleep(1100);
    actuator.reconcile('m', 1);
    expect(actuator.counts().running).toBe(0);
  });
});
