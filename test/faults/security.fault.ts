/**
 * Security: limits against a hostile client (largest message, requests in flight per client, bytes
 * queued per client and per model): each is answered with a clear error, and the broker's memory stays
 * bounded; the HTTP port exposes no control action without a token.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dealer } from 'zeromq';
import { stopAll } from '../helpers/processes.js';
import { type BrokerProcess, requireBuilt, rssBytes, sleep, startBroker, startEchoWorker } from './support/cluster.js';
import { CountingClient } from './support/counting-client.js';
import { recordRow } from './support/record.js';

const MiB = 1024 * 1024;
const MAX_MESSAGE = 1 * MiB;
const MAX_INFLIGHT = 20;
const MAX_CLIENT_BYTES = 4 * MiB;
const QUEUE_MAX_BYTES = 16 * MiB;

const rows: string[] = [];
let totals = { sent: 0, answered: 0, lost: 0, duplicated: 0 };
function count(c: CountingClient) {
  const t = c.tally();
  totals = {
    sent: totals.sent + t.sent,
    answered: totals.answered + t.answered,
    lost: totals.lost + t.lost,
    duplicated: totals.duplicated + t.duplicated,
  };
  return t;
}

describe('limits against a hostile client', () => {
  let broker: BrokerProcess;

  beforeAll(async () => {
    requireBuilt();
    broker = await startBroker({
      YOLOMQ_MAX_MESSAGE_BYTES: String(MAX_MESSAGE),
      YOLOMQ_MAX_INFLIGHT_PER_CLIENT: String(MAX_INFLIGHT),
      YOLOMQ_MAX_QUEUED_BYTES_PER_CLIENT: String(MAX_CLIENT_BYTES),
      YOLOMQ_QUEUE_MAX_BYTES: String(QUEUE_MAX_BYTES),
    });
    // one slow worker: requests pile up in the broker's queue
    await startEchoWorker(broker.backend, 'limits-echo', { CREDIT: '1', ECHO_DELAY_MS: '3000' });
    await broker.waitForWorkers(1);
  });
  afterAll(async () => {
    await stopAll();
    recordRow('09-limits', {
      scenario: 'Limits against a hostile client',
      load: '1 echo worker (credit 1, 3 s per job) so requests queue; hostile raw clients',
      faults: `over ${MAX_INFLIGHT} requests in flight; over ${MAX_CLIENT_BYTES / MiB} MiB queued by one client; over ${QUEUE_MAX_BYTES / MiB} MiB queued per model; images over ${MAX_MESSAGE / MiB} MiB and far over it`,
      ...totals,
      recoveryMs: null,
      notes: rows.join('; '),
      outcome: rows.every((r) => !r.includes('WRONG')) && rows.length >= 4 ? 'passed' : 'failed',
    });
  });

  it(`refuses requests past ${MAX_INFLIGHT} in flight per client with TOO_MANY_REQUESTS`, async () => {
    const c = new CountingClient(broker.frontend, 'lim-inflight');
    const ids = Array.from({ length: 100 }, () => c.send(Buffer.alloc(100, 1), { timeoutMs: 1000 }));
    await c.settle(10_000);
    const codes = ids.map((id) => c.answers(id)[0]?.code ?? c.answers(id)[0]?.kind ?? 'none');
    const refused = codes.filter((x) => x === 'TOO_MANY_REQUESTS').length;
    const t = count(c);
    await c.close();
    rows.push(`in flight: ${refused}/100 refused TOO_MANY_REQUESTS${refused === 100 - MAX_INFLIGHT ? '' : ' (WRONG)'}`);
    expect(refused).toBe(100 - MAX_INFLIGHT);
    expect(t.lost).toBe(0);
    expect(t.duplicated).toBe(0);
  });

  it(`refuses requests past ${MAX_CLIENT_BYTES / MiB} MiB queued per client with TOO_MANY_REQUESTS`, async () => {
    const c = new CountingClient(broker.frontend, 'lim-bytes');
    const image = Buffer.alloc(900 * 1024, 2);
    const ids = Array.from({ length: 10 }, () => c.send(image, { timeoutMs: 1500 }));
    await c.settle(10_000);
    const first = ids.map((id) => c.answers(id)[0]);
    const refused = first.filter((a) => a?.code === 'TOO_MANY_REQUESTS').length;
    const t = count(c);
    await c.close();
    // 4 images of 900 KiB fit in 4 MiB, the fifth does not
    rows.push(`queued bytes per client: ${refused}/10 refused TOO_MANY_REQUESTS${refused === 6 ? '' : ' (WRONG)'}`);
    expect(refused).toBe(6);
    expect(t.lost).toBe(0);
  });

  it(`refuses requests past ${QUEUE_MAX_BYTES / MiB} MiB queued per model with QUEUE_FULL`, async () => {
    const clients = Array.from({ length: 6 }, (_, i) => new CountingClient(broker.frontend, `lim-q${i}`));
    const image = Buffer.alloc(900 * 1024, 3);
    for (const c of clients) for (let i = 0; i < 4; i++) c.send(image, { timeoutMs: 1500 });
    await Promise.all(clients.map((c) => c.settle(10_000)));
    const tallies = clients.map(count);
    await Promise.all(clients.map((c) => c.close()));
    const full = tallies.reduce((n, t) => n + (t.errors.QUEUE_FULL ?? 0), 0);
    rows.push(`queued bytes per model: ${full}/24 refused QUEUE_FULL${full > 0 ? '' : ' (WRONG)'}`);
    expect(full).toBeGreaterThan(0);
    expect(tallies.every((t) => t.lost === 0 && t.duplicated === 0)).toBe(true);
  });

  it('answers an image over the size limit with IMAGE_TOO_LARGE and drops far larger frames without growing', async () => {
    const c = new CountingClient(broker.frontend, 'lim-size');
    const over = c.send(Buffer.alloc(MAX_MESSAGE + 1024, 4), { timeoutMs: 2000 });
    await c.settle(5000);
    const overCode = c.answers(over)[0]?.code;
    count(c);
    await c.close();

    // a flood of frames far over the limit: libzmq drops the connection before reading them whole
    const rssBefore = (await rssBytes(broker.proc.pid))!;
    const hostile = new Dealer({ linger: 0, sendHighWaterMark: 4 });
    hostile.connect(broker.frontend);
    const huge = Buffer.alloc(8 * MiB, 5);
    for (let i = 0; i < 40; i++) {
      await Promise.race([
        hostile.send([
          Buffer.from('YMQC\x01', 'latin1'),
          Buffer.from([1]),
          Buffer.from(`h${i}`),
          Buffer.alloc(0),
          Buffer.alloc(0),
          huge,
        ]),
        sleep(500),
      ]);
    }
    hostile.close();
    await sleep(1000);
    const rssAfter = (await rssBytes(broker.proc.pid))!;
    const healthy = (await fetch(`${broker.http}/healthz`)).ok;
    const grownMiB = (rssAfter - rssBefore) / MiB;
    rows.push(
      `image ${MAX_MESSAGE / MiB} MiB + 1 KiB: ${overCode ?? 'no answer'}${overCode === 'IMAGE_TOO_LARGE' ? '' : ' (WRONG)'}; 40 frames of 8 MiB: broker RSS ${(rssBefore / MiB).toFixed(0)} -> ${(rssAfter / MiB).toFixed(0)} MiB, healthy ${healthy}${grownMiB < 32 && healthy ? '' : ' (WRONG)'}`,
    );
    expect(overCode).toBe('IMAGE_TOO_LARGE');
    expect(healthy).toBe(true);
    expect(grownMiB).toBeLessThan(32);
  });
});

describe('the HTTP port exposes no control action without a token', () => {
  let broker: BrokerProcess;
  beforeAll(async () => {
    requireBuilt();
    broker = await startBroker();
  });
  afterAll(stopAll);

  it('refuses every method but GET/HEAD on every path, and serves only read-only endpoints', async () => {
    const paths = [
      '/',
      '/healthz',
      '/readyz',
      '/metrics',
      '/status',
      '/workers',
      '/scale',
      '/autoscale',
      '/drain',
      '/shutdown',
      '/control',
      '/admin',
      '/v1/scale',
    ];
    const refusedCodes = new Set([401, 403, 404, 405]);
    const accepted: string[] = [];
    for (const path of paths) {
      for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
        const res = await fetch(`${broker.http}${path}`, { method, body: method === 'DELETE' ? undefined : '{}' });
        await res.arrayBuffer();
        if (!refusedCodes.has(res.status)) accepted.push(`${method} ${path} -> ${res.status}`);
      }
    }
    // GET endpoints read, never act: /status twice gives the same shape and the broker still runs
    for (const path of ['/healthz', '/readyz', '/metrics', '/status']) {
      const res = await fetch(`${broker.http}${path}`);
      await res.arrayBuffer();
      expect([200, 503]).toContain(res.status);
    }
    expect(broker.proc.child.exitCode).toBe(null);
    recordRow('10-http-control', {
      scenario: 'HTTP port: no control action without a token',
      load: '-',
      faults: `POST/PUT/DELETE/PATCH without a token on ${paths.length} paths`,
      sent: paths.length * 4,
      answered: paths.length * 4,
      lost: 0,
      duplicated: 0,
      recoveryMs: null,
      notes:
        accepted.length === 0
          ? 'every one refused (405 on known paths, 404 elsewhere); the broker has no control routes'
          : `ACCEPTED: ${accepted.join(', ')}`,
      outcome: accepted.length === 0 ? 'passed' : 'failed',
    });
    expect(accepted).toEqual([]);
  });
});
