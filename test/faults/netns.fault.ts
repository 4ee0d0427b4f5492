/**
 * Machines apart: the broker, two worker hosts and the client each in their own network namespace
 * (the client is the test process, in the root namespace), joined by veth links. Cutting a worker
 * host's link re-routes its requests to the other worker; restoring it brings the worker back.
 * Where namespaces cannot be made (no root), the scenario is skipped with a loud message and recorded
 * as skipped.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopAll } from '../helpers/processes.js';
import {
  type BrokerProcess,
  brokerPorts,
  IMAGES,
  requireBuilt,
  sleep,
  startBroker,
  startRealWorker,
  waitUntil,
} from './support/cluster.js';
import { CountingClient, SteadyLoad } from './support/counting-client.js';
import { NetnsLab } from './support/netns.js';
import { errorsText, recordRow } from './support/record.js';

const availability = NetnsLab.available();
const SCENARIO = 'Machines apart: worker host link cut and restored (network namespaces)';

describe('machines apart (network namespaces)', () => {
  const lab = new NetnsLab();
  let broker: BrokerProcess;
  let w1Link: ReturnType<NetnsLab['link']>;

  beforeAll(async () => {
    if (!availability.ok) return;
    requireBuilt();
    try {
      const nsBroker = lab.namespace('b');
      const nsW1 = lab.namespace('w1');
      const nsW2 = lab.namespace('w2');
      const clientLink = lab.link('', nsBroker, 10);
      w1Link = lab.link(nsBroker, nsW1, 11);
      const w2Link = lab.link(nsBroker, nsW2, 12);
      broker = await startBroker({}, await brokerPorts(), {
        bindHost: '0.0.0.0',
        host: clientLink.addrB,
        httpHost: clientLink.addrB,
        prefix: lab.exec(nsBroker),
      });
      const port = broker.backend.split(':').at(-1);
      await startRealWorker(`tcp://${w1Link.addrA}:${port}`, 'ns-w1', {}, lab.exec(nsW1));
      await startRealWorker(`tcp://${w2Link.addrA}:${port}`, 'ns-w2', {}, lab.exec(nsW2));
      await broker.waitForWorkers(2);
    } catch (error) {
      await stopAll();
      lab.cleanup();
      throw error;
    }
  });
  afterAll(async () => {
    await stopAll();
    lab.cleanup();
  });

  it("re-routes a cut-off worker host's requests and takes the worker back when the link returns", async (ctx) => {
    if (!availability.ok) {
      const banner = '!'.repeat(100);
      console.warn(
        `\n${banner}\n!! SKIPPED: ${SCENARIO}\n!! network namespaces cannot be made here (needs root / CAP_NET_ADMIN): ${availability.reason}\n${banner}\n`,
      );
      recordRow('04-netns', {
        scenario: SCENARIO,
        load: '-',
        faults: '-',
        sent: 0,
        answered: 0,
        lost: 0,
        duplicated: 0,
        recoveryMs: null,
        notes: `SKIPPED: network namespaces cannot be made here: ${availability.reason}`,
        outcome: 'skipped',
      });
      ctx.skip();
      return;
    }
    const image = readFileSync(resolve(IMAGES, 'bus.jpg'));
    const clients = [0, 1].map((i) => new CountingClient(broker.frontend, `ns-c${i}`));
    const load = new SteadyLoad(clients, () => image, 2, { timeoutMs: 30_000 });
    await sleep(3000);

    const outstanding = clients.flatMap((c) => c.pendingIds().map((id) => ({ c, id })));
    const cutAt = performance.now();
    lab.setLink(w1Link, false);
    await waitUntil(async () => !(await broker.status()).workers.some((w) => w.workerId === 'ns-w1'), 10_000);
    const droppedMs = performance.now() - cutAt;
    await sleep(3000);
    const answeredAt = outstanding.map(({ c, id }) => c.answers(id)[0]?.at).filter((t) => t !== undefined);
    const reroutedMs = answeredAt.length > 0 ? Math.max(...answeredAt) - cutAt : 0;
    const servedBefore = (await broker.status()).workers.find((w) => w.workerId === 'ns-w2')?.served ?? 0;

    const restoredAt = performance.now();
    lab.setLink(w1Link, true);
    await waitUntil(async () => {
      const w1 = (await broker.status()).workers.find((w) => w.workerId === 'ns-w1');
      return w1 !== undefined && w1.served > 0;
    }, 20_000);
    const backMs = performance.now() - restoredAt;
    await sleep(2000);
    const tally = await load.stop(30_000);
    await Promise.all(clients.map((c) => c.close()));
    const ok = tally.lost === 0 && tally.duplicated === 0 && Object.keys(tally.errors).length === 0;
    recordRow('04-netns', {
      scenario: SCENARIO,
      load: '1 client host (2 raw clients x 2 in flight), broker host, 2 real worker hosts, veth links',
      faults: "worker host 1's link down for ~3 s (ip link set down), then up",
      sent: tally.sent,
      answered: tally.answered,
      lost: tally.lost,
      duplicated: tally.duplicated,
      recoveryMs: Math.round(Math.max(reroutedMs, backMs)),
      notes: `worker dropped ${Math.round(droppedMs)} ms after the cut; its requests answered (re-routed) within ${Math.round(reroutedMs)} ms; worker 2 served ${servedBefore} meanwhile; worker 1 back and serving ${Math.round(backMs)} ms after the link returned; results ${tally.results}; errors: ${errorsText(tally.errors)}`,
      outcome: ok ? 'passed' : 'failed',
    });
    expect(tally.lost).toBe(0);
    expect(tally.duplicated).toBe(0);
    expect(tally.strays).toBe(0);
    expect(tally.errors).toEqual({});
    expect(tally.results).toBe(tally.sent);
  });
});
