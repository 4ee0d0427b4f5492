/**
 * Malformed and foreign messages on both sockets, while normal traffic goes on: each is answered with
 * a clear error when it names a request, dropped otherwise, logged at a bounded rate; the broker keeps
 * serving. Build first: `npx tsc -b`.
 */
import {
  CLIENT_HEADER,
  ClientCommand,
  COMMAND_FRAMES,
  decodeBrokerToWorker,
  encodeReady,
  encodeWorkerError,
  encodeWorkerReply,
  HEARTBEAT_MESSAGE,
  WORKER_HEADER,
  WorkerCommand,
} from '@yolomq/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dealer } from 'zeromq';
import { stopAll } from '../../../test/helpers/processes.js';
import {
  type BrokerProcess,
  codeOf,
  eventually,
  sleep,
  startBroker,
  startWorker,
  TestClient,
} from './support/cluster.js';

const withVersion = (header: Buffer, version: number) => Buffer.concat([header.subarray(0, 4), Buffer.from([version])]);
const REQUEST = COMMAND_FRAMES[ClientCommand.REQUEST]!;
const IMAGE = Buffer.from('image');

let broker: BrokerProcess;
const clients: TestClient[] = [];
const sockets: Dealer[] = [];

/** Requests one at a time for as long as the test runs; every one must succeed. */
class SteadyTraffic {
  sent = 0;
  private stopped = false;
  private readonly done: Promise<void>;
  constructor(private readonly c: TestClient) {
    this.done = this.run();
  }
  private async run() {
    while (!this.stopped) {
      const id = `steady-${this.sent++}`;
      await this.c.request(id);
      await this.c.answer(id);
    }
  }
  async stop(): Promise<string[]> {
    this.stopped = true;
    await this.done;
    return [...this.c.answers.values()].map((list) => (list.length === 1 ? codeOf(list[0]!) : `x${list.length}`));
  }
}

beforeAll(async () => {
  broker = await startBroker({ YOLOMQ_MAX_MESSAGE_BYTES: String(1024 * 1024) });
  await startWorker(broker, { id: 'echo-1', credit: 2 });
  await broker.waitForWorkers(1);
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  for (const s of sockets) s.close();
  await stopAll();
});

describe('frontend', () => {
  it('answers readable bad requests with an error code, drops the rest, and keeps serving', async () => {
    const steadyClient = new TestClient(broker.frontend);
    clients.push(steadyClient);
    const steady = new SteadyTraffic(steadyClient);
    const bad = new TestClient(broker.frontend);
    clients.push(bad);

    // answered: they name a request id
    await bad.sendRaw([
      withVersion(CLIENT_HEADER, 2),
      REQUEST,
      Buffer.from('v2'),
      Buffer.from(''),
      Buffer.from(''),
      IMAGE,
    ]);
    await bad.sendRaw([CLIENT_HEADER, REQUEST, Buffer.from('short'), Buffer.from('echo'), Buffer.from('')]);
    await bad.sendRaw([CLIENT_HEADER, REQUEST, Buffer.from('badjson'), Buffer.from('echo'), Buffer.from('{'), IMAGE]);
    await bad.sendRaw([
      CLIENT_HEADER,
      REQUEST,
      Buffer.from('badopt'),
      Buffer.from('echo'),
      Buffer.from('{"conf":7}'),
      IMAGE,
    ]);
    await bad.sendRaw([
      CLIENT_HEADER,
      REQUEST,
      Buffer.from('noimage'),
      Buffer.from('echo'),
      Buffer.from(''),
      Buffer.alloc(0),
    ]);
    await bad.sendRaw([
      CLIENT_HEADER,
      REQUEST,
      Buffer.from('nomodel'),
      Buffer.from('x'.repeat(200)),
      Buffer.from(''),
      IMAGE,
    ]);
    // dropped: nothing to answer
    await bad.sendRaw([Buffer.from('hello')]);
    await bad.sendRaw([Buffer.alloc(0)]);
    await bad.sendRaw([WORKER_HEADER, REQUEST, Buffer.from('foreign'), Buffer.from(''), Buffer.from(''), IMAGE]);
    await bad.sendRaw([CLIENT_HEADER, Buffer.from([0x09]), Buffer.from('x')]);
    await bad.sendRaw([CLIENT_HEADER, REQUEST, Buffer.alloc(65, 0x61), Buffer.from('echo'), Buffer.from(''), IMAGE]);
    await bad.sendRaw([CLIENT_HEADER, COMMAND_FRAMES[ClientCommand.PING]!, Buffer.alloc(100)]);
    // a flood of garbage, to see the log rate limit
    for (let i = 0; i < 50; i++) await bad.sendRaw([Buffer.from(`garbage-${i}`), Buffer.from('x')]);
    // and a good one from the same connection, after all that
    await bad.request('good');

    const answers = await bad.all(['v2', 'short', 'badjson', 'badopt', 'noimage', 'nomodel', 'good']);
    expect(answers.map(codeOf)).toEqual([
      'UNSUPPORTED_VERSION',
      'BAD_REQUEST',
      'BAD_REQUEST',
      'BAD_REQUEST',
      'INVALID_IMAGE',
      'BAD_REQUEST',
      'REPLY',
    ]);
    for (const a of answers.slice(0, 6)) {
      expect(a.message.command === 'ERROR' && a.message.message.length > 0).toBe(true);
    }
    await sleep(300);
    expect([...bad.answers.keys()].sort()).toEqual(['badjson', 'badopt', 'good', 'noimage', 'nomodel', 'short', 'v2']);
    expect(bad.undecodable).toEqual([]);

    const steadyCodes = await steady.stop();
    expect(steadyCodes.length).toBeGreaterThan(0);
    expect(new Set(steadyCodes)).toEqual(new Set(['REPLY']));

    // 60+ malformed messages, but the log has a bounded number of lines about them
    const logged = broker.proc
      .output()
      .split('\n')
      .filter((l) => l.includes('"malformed message"'));
    expect(logged.length).toBeGreaterThanOrEqual(1);
    expect(logged.length).toBeLessThanOrEqual(12);
    const metrics = await (await fetch(`${broker.http}/metrics`)).text();
    const count = Number(/yolomq_broker_malformed_messages_total\{socket="frontend"\} (\d+)/.exec(metrics)?.[1]);
    expect(count).toBeGreaterThanOrEqual(62);
    expect((await fetch(`${broker.http}/healthz`)).status).toBe(200);
  });

  it('a frame over the size limit costs that client its connection, not the broker', async () => {
    const other = new TestClient(broker.frontend);
    const big = new TestClient(broker.frontend);
    clients.push(other, big);
    // over twice the 1 MiB limit: libzmq drops the connection (ZMQ_MAXMSGSIZE is 2x the image limit, so an
    // image up to 2x over it is answered IMAGE_TOO_LARGE instead; test/faults/security.fault.ts checks that)
    await big.request('huge', undefined, { image: Buffer.alloc(3 * 1024 * 1024, 1) });
    await other.request('fine');
    expect(codeOf(await other.answer('fine'))).toBe('REPLY');
    await sleep(500);
    expect(big.answers.has('huge')).toBe(false);
    // the DEALER reconnects by itself, and a request of normal size goes through
    await big.request('after');
    expect(codeOf(await big.answer('after'))).toBe('REPLY');
  });
});

describe('backend', () => {
  it('drops malformed worker messages, tells unregistered workers DISCONNECT, and keeps serving', async () => {
    const steadyClient = new TestClient(broker.frontend);
    clients.push(steadyClient);
    const steady = new SteadyTraffic(steadyClient);

    const evil = new Dealer({ routingId: 'evil', linger: 0 });
    sockets.push(evil);
    evil.connect(broker.backend);
    const received: string[] = [];
    void (async () => {
      try {
        for await (const frames of evil) {
          const d = decodeBrokerToWorker(frames);
          received.push(d.ok ? d.value.command : `bad:${d.error.message}`);
        }
      } catch {}
    })();
    const send = (frames: Buffer[]) => evil.send(frames);

    await send([Buffer.from('garbage')]);
    await send([
      withVersion(WORKER_HEADER, 9),
      COMMAND_FRAMES[WorkerCommand.READY]!,
      Buffer.from('echo'),
      Buffer.from('{}'),
    ]);
    await send([WORKER_HEADER, COMMAND_FRAMES[WorkerCommand.READY]!, Buffer.from('echo'), Buffer.from('{"credit":0}')]);
    await send([CLIENT_HEADER, COMMAND_FRAMES[WorkerCommand.READY]!, Buffer.from('echo'), Buffer.from('{}')]);
    await send([WORKER_HEADER, Buffer.from([0x42])]);
    // not registered: a heartbeat and a reply are answered DISCONNECT
    await send([...HEARTBEAT_MESSAGE]);
    await send(encodeWorkerReply('no-such-job', Buffer.from('{}')));
    await eventually(() => (received.filter((r) => r === 'DISCONNECT').length >= 2 ? true : undefined));

    // registered (for another model): answers to jobs it never had are discarded
    await send(encodeReady('evil-model', { workerId: 'evil', credit: 1, host: 'h', pid: 1, version: 'v' }));
    const status = await eventually(async () => {
      const s = await broker.status();
      return s.workers.some((w) => w.workerId === 'evil') ? s : undefined;
    });
    expect(status.workers.map((w) => w.workerId).sort()).toEqual(['echo-1', 'evil']);
    await send(encodeWorkerReply('no-such-job', Buffer.from('{}')));
    await send(encodeWorkerError('no-such-job', 'INTERNAL', 'nope'));
    await send([
      WORKER_HEADER,
      COMMAND_FRAMES[WorkerCommand.ERROR]!,
      Buffer.from('j'),
      Buffer.from('NOT_A_CODE'),
      Buffer.from('m'),
    ]);
    await sleep(300);

    const steadyCodes = await steady.stop();
    expect(steadyCodes.length).toBeGreaterThan(0);
    expect(new Set(steadyCodes)).toEqual(new Set(['REPLY']));
    const metrics = await (await fetch(`${broker.http}/metrics`)).text();
    const count = Number(/yolomq_broker_malformed_messages_total\{socket="backend"\} (\d+)/.exec(metrics)?.[1]);
    expect(count).toBeGreaterThanOrEqual(6);
    // two answers to jobs it never held, one undecodable answer naming a job (also unknown)
    expect(metrics).toMatch(/yolomq_broker_discarded_answers_total\{reason="unknown-job"\} 3/);
    // the reply it sent before registering counts as late
    expect(metrics).toMatch(/yolomq_broker_discarded_answers_total\{reason="late-reply"\} 1/);
    expect((await fetch(`${broker.http}/healthz`)).status).toBe(200);
    // the broker heartbeats the registered evil worker like any other
    await eventually(() => (received.includes('HEARTBEAT') ? true : undefined));
  });
});
