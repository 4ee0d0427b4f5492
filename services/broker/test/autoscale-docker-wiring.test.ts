/**
 * The docker actuator's two homes, without an engine: a broker with YOLOMQ_SCALER=docker whose socket
 * is missing keeps serving (the actuator reports and retries), and the scaler service (scaler-main)
 * refuses a wrong YOLOMQ_SCALER, skips malformed decisions and survives an engine it cannot reach.
 * With a real engine: `make test-compose`.
 */
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Publisher } from 'zeromq';
import { freePort, startNode, stopAll } from '../../../test/helpers/processes.js';
import { startBroker, startWorker, TestClient } from './support/cluster.js';

const SCALER_MAIN = resolve(import.meta.dirname, '../dist/scaler-main.js');
const NO_SOCKET = '/nonexistent/docker.sock';

afterAll(async () => {
  await stopAll();
});

describe('YOLOMQ_SCALER=docker in the broker', () => {
  it('starts and serves when the engine cannot be reached, saying so', async () => {
    const broker = await startBroker({
      YOLOMQ_SCALER: 'docker',
      YOLOMQ_SCALER_DOCKER_SOCKET: NO_SOCKET,
      YOLOMQ_SCALER_DOCKER_PROJECT: 'p',
      YOLOMQ_SCALER_MODEL: 'echo',
      YOLOMQ_SCALER_PUB_BIND: 'off',
      YOLOMQ_SCALER_INTERVAL_MS: '100',
    });
    await startWorker(broker, { id: 'w1' });
    const client = new TestClient(broker.frontend);
    await client.request('r1', { timeoutMs: 10_000 }, { model: 'echo' });
    expect((await client.answer('r1')).message.command).toBe('REPLY');
    await broker.proc.waitFor('docker scaling pass failed');
    expect(broker.proc.output()).toContain(NO_SOCKET);
    const status = (await (await fetch(`${broker.http}/status`)).json()) as { autoscale: { scaler: string } };
    expect(status.autoscale.scaler).toBe('docker');
    await client.close();
  });
});

describe('the scaler service (scaler-main)', () => {
  it('refuses to start unless YOLOMQ_SCALER=docker, naming the variable', async () => {
    const proc = startNode(SCALER_MAIN, { YOLOMQ_SCALER: 'process' });
    expect(await proc.exited).toBe(1);
    expect(proc.output()).toMatch(/YOLOMQ_SCALER: .*docker/);
  });

  it('skips malformed decisions and keeps running when the engine cannot be reached', async () => {
    const port = await freePort();
    const pub = new Publisher({ linger: 0 });
    await pub.bind(`tcp://127.0.0.1:${port}`);
    const proc = startNode(SCALER_MAIN, {
      YOLOMQ_SCALER: 'docker',
      YOLOMQ_SCALER_SUBSCRIBE: `tcp://127.0.0.1:${port}`,
      YOLOMQ_SCALER_DOCKER_SOCKET: NO_SOCKET,
      YOLOMQ_SCALER_DOCKER_PROJECT: 'p',
      YOLOMQ_SCALER_MODEL: 'm',
      LOG_LEVEL: 'info',
    });
    await proc.waitFor('scaler running');
    // PUB drops messages until the subscription has arrived: keep publishing until both were seen
    const send = setInterval(() => {
      pub.send(['yolomq.desired', 'm', 'not json']).catch(() => {});
      pub.send(['yolomq.desired', 'm', JSON.stringify({ desiredWorkers: 2 })]).catch(() => {});
    }, 100);
    try {
      await proc.waitFor('ignored a malformed desired-count message');
      await proc.waitFor('docker scaling pass failed');
    } finally {
      clearInterval(send);
      pub.close();
    }
    expect(proc.output()).toContain(NO_SOCKET);
    proc.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
  });
});
