/**
 * CurveZMQ on both broker ports: only allow-listed public keys get in (a ZAP handler, one allow-list
 * for clients and one for workers). An allowed client and worker work end to end; an unknown key and
 * a plain-text peer are refused, on either port.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connect } from '@yolomq/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { curveKeyPair } from 'zeromq';
import { stopAll } from '../helpers/processes.js';
import {
  type BrokerProcess,
  IMAGES,
  requireBuilt,
  sleep,
  startBroker,
  startEchoWorker,
  startRealWorker,
} from './support/cluster.js';
import { recordRow } from './support/record.js';

describe('CurveZMQ with allow-lists', () => {
  const dir = mkdtempSync(join(tmpdir(), 'yolomq-curve-'));
  const server = curveKeyPair();
  const client = curveKeyPair();
  const worker = curveKeyPair();
  const stranger = curveKeyPair();
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, `${text}\n`);
    return path;
  };
  let broker: BrokerProcess;

  beforeAll(async () => {
    requireBuilt();
    broker = await startBroker({
      YOLOMQ_CURVE_SECRET_KEY_FILE: file('broker.key', server.secretKey),
      YOLOMQ_CURVE_PUBLIC_KEY_FILE: file('broker.pub', server.publicKey),
      YOLOMQ_CURVE_CLIENTS_ALLOW: file('clients.allow', `# allowed clients\n${client.publicKey} test-client`),
      YOLOMQ_CURVE_WORKERS_ALLOW: file('workers.allow', `${worker.publicKey} test-worker`),
      LOG_LEVEL: 'info',
    });
    await broker.proc.waitFor('"curve":true');
  });
  afterAll(async () => {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lets allowed keys in and refuses unknown keys and plain-text peers on both ports', async () => {
    const results: string[] = [];
    // workers: allowed, unknown key, plain text
    await startRealWorker(broker.backend, 'curve-allowed', {
      YOLOMQ_CURVE_SERVER_KEY: server.publicKey,
      YOLOMQ_WORKER_CURVE_PUBLIC_KEY_FILE: file('w.pub', worker.publicKey),
      YOLOMQ_WORKER_CURVE_SECRET_KEY_FILE: file('w.key', worker.secretKey),
    });
    await startRealWorker(broker.backend, 'curve-stranger', {
      YOLOMQ_CURVE_SERVER_KEY: server.publicKey,
      YOLOMQ_WORKER_CURVE_PUBLIC_KEY_FILE: file('s.pub', stranger.publicKey),
      YOLOMQ_WORKER_CURVE_SECRET_KEY_FILE: file('s.key', stranger.secretKey),
    });
    await startEchoWorker(broker.backend, 'curve-plain', { MODEL: 'yolov8n_int8' });
    await broker.waitForWorkers(1, 20_000);
    await sleep(2000);
    const ids = (await broker.status()).workers.map((w) => w.workerId);
    results.push(`workers registered: ${ids.join(', ')}`);
    expect(ids).toEqual(['curve-allowed']);

    // clients: allowed works end to end
    const image = readFileSync(resolve(IMAGES, 'bus.jpg'));
    const good = await connect(broker.frontend, {
      curve: { serverKey: server.publicKey, publicKey: client.publicKey, secretKey: client.secretKey },
      timeoutMs: 20_000,
    });
    const result = await good.detect(image);
    await good.close();
    results.push(`allowed client: ${result.detections.length} detections`);
    expect(result.detections.some((d) => d.className === 'bus')).toBe(true);

    // unknown key and plain text: no answer to PING (the handshake is refused)
    const refused = async (options: Parameters<typeof connect>[1]) => {
      try {
        const c = await connect(broker.frontend, { ...options, connectTimeoutMs: 1500 });
        await c.close();
        return 'CONNECTED';
      } catch (err) {
        return (err as { code?: string }).code ?? 'error';
      }
    };
    const strangerOutcome = await refused({
      curve: { serverKey: server.publicKey, publicKey: stranger.publicKey, secretKey: stranger.secretKey },
    });
    const plainOutcome = await refused({});
    // a worker's key is not a client's key: the lists are separate
    const crossOutcome = await refused({
      curve: { serverKey: server.publicKey, publicKey: worker.publicKey, secretKey: worker.secretKey },
    });
    results.push(
      `unknown client key: ${strangerOutcome}; plain-text client: ${plainOutcome}; worker key on the client port: ${crossOutcome}`,
    );
    const ok = strangerOutcome === 'UNREACHABLE' && plainOutcome === 'UNREACHABLE' && crossOutcome === 'UNREACHABLE';
    recordRow('11-curve', {
      scenario: 'CurveZMQ allow-lists on both ports',
      load: '1 allowed client, 1 allowed real worker',
      faults:
        'unknown-key worker, plain-text worker, unknown-key client, plain-text client, worker key used as a client',
      sent: 1,
      answered: 1,
      lost: 0,
      duplicated: 0,
      recoveryMs: null,
      notes: `${results.join('; ')}; broker log shows ${(broker.proc.output().match(/peer refused/g) ?? []).length} ZAP refusals`,
      outcome: ok ? 'passed' : 'failed',
    });
    expect(strangerOutcome).toBe('UNREACHABLE');
    expect(plainOutcome).toBe('UNREACHABLE');
    expect(crossOutcome).toBe('UNREACHABLE');
  });
});
