/**
 * Paranoid Pirate, worker side: under steady load from several clients, SIGKILL a random real worker
 * every few seconds (and start a replacement). Every request must be answered exactly once: with a
 * result or, past the retry limit, WORKER_FAILED. Lost and duplicated answers are counted with raw
 * Dealer clients (no SDK retries to hide anything).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Started } from '../helpers/processes.js';
import { stopAll } from '../helpers/processes.js';
import { type BrokerProcess, IMAGES, requireBuilt, sleep, startBroker, startRealWorker } from './support/cluster.js';
import { CountingClient, SteadyLoad } from './support/counting-client.js';
import { errorsText, recordRow } from './support/record.js';

const KILLS = 5;
const KILL_EVERY_MS = 3000;
const CLIENTS = 3;
const WINDOW = 2;

describe('worker SIGKILL under load', () => {
  let broker: BrokerProcess;
  const workers: Started[] = [];
  let seq = 0;

  beforeAll(async () => {
    requireBuilt();
    broker = await startBroker({ YOLOMQ_MAX_RETRIES: '2' });
    for (let i = 0; i < 3; i++) workers.push(await startRealWorker(broker.backend, `kill-w${++seq}`));
    await broker.waitForWorkers(3);
  });
  afterAll(stopAll);

  it('answers every request exactly once while workers are killed', async () => {
    const images = [readFileSync(resolve(IMAGES, 'bus.jpg')), readFileSync(resolve(IMAGES, 'zidane.jpg'))];
    let n = 0;
    const clients = Array.from({ length: CLIENTS }, (_, i) => new CountingClient(broker.frontend, `kill-c${i}`));
    const load = new SteadyLoad(clients, () => images[n++ % images.length]!, WINDOW, { timeoutMs: 30_000 });
    await sleep(2000);
    const recoveries: number[] = [];
    for (let k = 0; k < KILLS; k++) {
      const victim = workers.splice(Math.floor(Math.random() * workers.length), 1)[0]!;
      // Requests outstanding at the kill: the time until the last of them is answered is the recovery.
      const outstanding = clients.flatMap((c) => c.pendingIds().map((id) => ({ c, id })));
      const killedAt = performance.now();
      victim.kill('SIGKILL');
      const replacement = startRealWorker(broker.backend, `kill-w${++seq}`);
      await sleep(KILL_EVERY_MS);
      workers.push(await replacement);
      await Promise.all(clients.map((c) => c.settle(0)));
      const answeredAt = outstanding.map(({ c, id }) => c.answers(id)[0]?.at ?? Number.NaN);
      const done = answeredAt.filter((t) => !Number.isNaN(t));
      if (done.length > 0) recoveries.push(Math.max(...done) - killedAt);
    }
    const tally = await load.stop(40_000);
    await Promise.all(clients.map((c) => c.close()));
    const recoveryMs = recoveries.length > 0 ? Math.round(Math.max(...recoveries)) : null;
    const onlyAllowed = Object.keys(tally.errors).every((code) => code === 'WORKER_FAILED');
    recordRow('01-worker-kill', {
      scenario: 'Worker SIGKILL under load (real workers)',
      load: `${CLIENTS} raw clients x ${WINDOW} in flight, 3 real workers (1 thread each)`,
      faults: `SIGKILL a random worker every ${KILL_EVERY_MS / 1000} s, ${KILLS} times (replacement started)`,
      sent: tally.sent,
      answered: tally.answered,
      lost: tally.lost,
      duplicated: tally.duplicated,
      recoveryMs,
      notes: `results ${tally.results}; errors: ${errorsText(tally.errors)}; strays ${tally.strays}; recovery = slowest answer to a request outstanding at a kill`,
      outcome: tally.lost === 0 && tally.duplicated === 0 && onlyAllowed ? 'passed' : 'failed',
    });
    expect(tally.sent).toBeGreaterThan(20);
    expect(tally.lost).toBe(0);
    expect(tally.duplicated).toBe(0);
    expect(tally.strays).toBe(0);
    expect(onlyAllowed, errorsText(tally.errors)).toBe(true);
    expect(tally.results).toBeGreaterThan(tally.sent * 0.8);
  });
});
