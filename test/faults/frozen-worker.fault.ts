/**
 * A frozen worker (SIGSTOP) and a stalling one (SIGSTOP/SIGCONT cycles): the broker sees them silent
 * through heartbeats, re-routes their requests to live workers, and discards the late answers a stalled
 * worker sends when it wakes up (no request is answered twice).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Started } from '../helpers/processes.js';
import { stopAll } from '../helpers/processes.js';
import {
  type BrokerProcess,
  HEARTBEAT_MS,
  IMAGES,
  LIVENESS,
  requireBuilt,
  sleep,
  startBroker,
  startRealWorker,
} from './support/cluster.js';
import { CountingClient, SteadyLoad } from './support/counting-client.js';
import { errorsText, recordRow } from './support/record.js';

describe('frozen and stalling workers', () => {
  let broker: BrokerProcess;
  const workers: Started[] = [];

  beforeAll(async () => {
    requireBuilt();
    broker = await startBroker({ YOLOMQ_MAX_RETRIES: '3' });
    for (let i = 1; i <= 3; i++) workers.push(await startRealWorker(broker.backend, `frozen-w${i}`));
    await broker.waitForWorkers(3);
  });
  afterAll(stopAll);

  it('re-routes the requests of a frozen worker and of a stalling one, answering each once', async () => {
    const image = readFileSync(resolve(IMAGES, 'zidane.jpg'));
    const clients = [0, 1].map((i) => new CountingClient(broker.frontend, `frozen-c${i}`));
    const load = new SteadyLoad(clients, () => image, 3, { timeoutMs: 30_000 });
    await sleep(1500);

    // 1. Stalling worker: stopped past the liveness window, then woken; three times.
    const staller = workers[1]!;
    let stallRecovery = 0;
    for (let i = 0; i < 3; i++) {
      const outstanding = clients.flatMap((c) => c.pendingIds().map((id) => ({ c, id })));
      const at = performance.now();
      staller.kill('SIGSTOP');
      await sleep(HEARTBEAT_MS * LIVENESS + 1200);
      staller.kill('SIGCONT');
      await sleep(1500);
      const times = outstanding.map(({ c, id }) => c.answers(id)[0]?.at).filter((t) => t !== undefined);
      if (times.length > 0) stallRecovery = Math.max(stallRecovery, Math.max(...times) - at);
    }

    // 2. Frozen worker: stopped for good.
    const frozen = workers[0]!;
    const outstanding = clients.flatMap((c) => c.pendingIds().map((id) => ({ c, id })));
    const frozenAt = performance.now();
    frozen.kill('SIGSTOP');
    await sleep(5000);
    const statusWhileFrozen = await broker.status();
    const times = outstanding.map(({ c, id }) => c.answers(id)[0]?.at).filter((t) => t !== undefined);
    const frozenRecovery = times.length > 0 ? Math.max(...times) - frozenAt : 0;

    const tally = await load.stop(30_000);
    await Promise.all(clients.map((c) => c.close()));
    frozen.kill('SIGCONT');
    const frozenDropped = !statusWhileFrozen.workers.some((w) => w.workerId === 'frozen-w1');
    const ok = tally.lost === 0 && tally.duplicated === 0 && Object.keys(tally.errors).length === 0 && frozenDropped;
    recordRow('03-frozen-worker', {
      scenario: 'Frozen (SIGSTOP) and stalling (SIGSTOP/SIGCONT) real workers',
      load: '2 raw clients x 3 in flight, 3 real workers',
      faults: `SIGSTOP worker 2 for ${HEARTBEAT_MS * LIVENESS + 1200} ms then SIGCONT, 3 times; then SIGSTOP worker 1 for good (heartbeat ${HEARTBEAT_MS} ms x ${LIVENESS})`,
      sent: tally.sent,
      answered: tally.answered,
      lost: tally.lost,
      duplicated: tally.duplicated,
      recoveryMs: Math.round(Math.max(stallRecovery, frozenRecovery)),
      notes: `slowest answer to a request outstanding at a stall ${Math.round(stallRecovery)} ms, at the freeze ${Math.round(frozenRecovery)} ms; frozen worker dropped from /status: ${frozenDropped}; results ${tally.results}; errors: ${errorsText(tally.errors)}; strays ${tally.strays}`,
      outcome: ok ? 'passed' : 'failed',
    });
    expect(frozenDropped).toBe(true);
    expect(tally.lost).toBe(0);
    expect(tally.duplicated).toBe(0);
    expect(tally.strays).toBe(0);
    expect(tally.errors).toEqual({});
    expect(tally.results).toBe(tally.sent);
  });
});
