/**
 * Graceful shutdown over real sockets: SIGTERM stops new requests, lets accepted ones finish within
 * the drain timeout, answers the rest SHUTTING_DOWN, tells workers DISCONNECT and exits 0.
 * Build first: `npx tsc -b`.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { stopAll } from '../../../test/helpers/processes.js';
import { codeOf, eventually, startBroker, startWorker, TestClient } from './support/cluster.js';

const clients: TestClient[] = [];

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await stopAll();
});

describe('graceful shutdown', () => {
  it('drains, answers what is left SHUTTING_DOWN, disconnects workers and exits 0', async () => {
    const broker = await startBroker({ YOLOMQ_DRAIN_TIMEOUT_MS: '1500' });
    const worker = await startWorker(broker, { id: 'drain-w', credit: 1, delayMs: 500 });
    await broker.waitForWorkers(1);
    const c = new TestClient(broker.frontend);
    clients.push(c);
    const accepted = ['a-0', 'a-1', 'a-2', 'a-3', 'a-4'];
    for (const id of accepted) await c.request(id, { timeoutMs: 60_000 });
    await eventually(async () => ((await broker.status()).pending === accepted.length ? true : undefined));

    broker.proc.kill('SIGTERM');
    await broker.proc.waitFor('"draining"');
    // new work is refused at once; readiness reports the drain
    await c.request('late');
    expect(codeOf(await c.answer('late'))).toBe('SHUTTING_DOWN');
    expect((await fetch(`${broker.http}/readyz`)).status).toBe(503);

    const answers = await c.all(accepted);
    const codes = answers.map(codeOf);
    // the one in flight finishes; five requests of 500 ms cannot all finish in a 1.5 s drain
    expect(codes[0]).toBe('REPLY');
    expect(codes.every((code) => code === 'REPLY' || code === 'SHUTTING_DOWN')).toBe(true);
    expect(codes.filter((code) => code === 'SHUTTING_DOWN').length).toBeGreaterThanOrEqual(1);
    // answered in order: what finished, then what the drain timeout cut off
    const firstCut = codes.indexOf('SHUTTING_DOWN');
    expect(codes.slice(firstCut).every((code) => code === 'SHUTTING_DOWN')).toBe(true);
    expect([...c.answerCounts().values()].every((n) => n === 1)).toBe(true);

    expect(await broker.proc.exited).toBe(0);
    // the echo worker exits 0 when the broker tells it DISCONNECT
    expect(await worker.exited).toBe(0);
    expect(broker.proc.output()).toContain('"broker stopped"');
  });

  it('exits at once when nothing is pending', async () => {
    const broker = await startBroker({ YOLOMQ_DRAIN_TIMEOUT_MS: '30000' });
    const worker = await startWorker(broker, { id: 'idle-w' });
    await broker.waitForWorkers(1);
    const started = Date.now();
    broker.proc.kill('SIGINT');
    expect(await broker.proc.exited).toBe(0);
    expect(await worker.exited).toBe(0);
    // well under the 30 s drain timeout (a generous bound for a busy machine)
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});
