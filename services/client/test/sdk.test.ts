/**
 * The SDK against a real broker process and echo workers: many requests over one socket, timeouts,
 * Lazy Pirate retries across a broker restart, close(), and refusals of bad input.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, stopAll } from '../../../test/helpers/processes.js';
import {
  ClientError,
  connect,
  DetectionError,
  type DetectResult,
  errorCodeOf,
  type YolomqClient,
} from '../src/index.js';
import { type BrokerPorts, brokerPorts, CLIENT_DIST, startBroker, startEcho } from './cluster.js';

const ECHO_DEFAULT = { YOLOMQ_DEFAULT_MODEL: 'echo' };

/** What the echo worker adds to its result: the size of the image it got. */
type EchoResult = DetectResult & { echoBytes: number };

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

afterAll(async () => {
  await stopAll();
});

describe('SDK against a running broker', () => {
  let ports: BrokerPorts;
  let client: YolomqClient;

  beforeAll(async () => {
    ports = await brokerPorts();
    await startBroker(ports, { YOLOMQ_MODELS: 'ghost' });
    await startEcho(ports, { CREDIT: '32', ECHO_DELAY_MS: '2', WORKER_ID: 'echo-a' });
    await startEcho(ports, { CREDIT: '32', ECHO_DELAY_MS: '2', WORKER_ID: 'echo-b' });
    client = await connect(ports.frontend, { model: 'echo', timeoutMs: 20_000 });
  });

  afterAll(async () => {
    await client?.close();
  });

  it('answers 500 concurrent requests over one socket, each matched to its own request', async () => {
    // Every image has a different length; the echo worker reports the length it received, so a reply
    // matched to the wrong request would show a wrong length.
    const images = Array.from({ length: 500 }, (_, i) => Buffer.alloc(100 + i, i % 251));
    const results = (await Promise.all(images.map((image) => client.detect(image)))) as EchoResult[];
    expect(results.map((r) => r.echoBytes)).toEqual(images.map((image) => image.length));
    expect(new Set(results.map((r) => r.requestId)).size).toBe(500);
    expect(new Set(results.map((r) => r.workerId))).toEqual(new Set(['echo-a', 'echo-b']));
    for (const r of results) {
      expect(r.model).toBe('echo');
      expect(r.attempts).toBe(1);
      expect(r.latencyMs).toBeGreaterThan(0);
    }
    expect(client.inFlight).toBe(0);
    expect(client.stats()).toMatchObject({ resends: 0, reconnects: 0, inFlight: 0 });
  });

  it('reads images from a file path and from a stream', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'yolomq-sdk-'));
    const file = join(dir, 'image.bin');
    writeFileSync(file, Buffer.alloc(1234, 7));
    expect(((await client.detect(file)) as EchoResult).echoBytes).toBe(1234);
    const stream = Readable.from([Buffer.alloc(1000, 1), Buffer.alloc(500, 2)]);
    expect(((await client.detect(stream)) as EchoResult).echoBytes).toBe(1500);
  });

  it('answers PING', async () => {
    expect(await client.ping(5000)).toBeGreaterThan(0);
  });

  it('a model without workers ends in DEADLINE_EXCEEDED from the broker, with the request id', async () => {
    const err = await rejection(client.detect(Buffer.from('x'), { model: 'ghost', timeoutMs: 300 }));
    expect(err).toBeInstanceOf(DetectionError);
    expect((err as DetectionError).code).toBe('DEADLINE_EXCEEDED');
    expect((err as DetectionError).requestId).toMatch(/-/);
  });

  it('passes on the codes the broker and workers answer with', async () => {
    const unknown = await rejection(client.detect(Buffer.from('x'), { model: 'no-such-model' }));
    expect(errorCodeOf(unknown)).toBe('UNKNOWN_MODEL');
    const failing = await startEcho(ports, { MODEL: 'broken', ECHO_FAIL_CODE: 'INVALID_IMAGE' });
    const invalid = await rejection(client.detect(Buffer.from('x'), { model: 'broken' }));
    expect(invalid).toBeInstanceOf(DetectionError);
    expect(errorCodeOf(invalid)).toBe('INVALID_IMAGE');
    expect((invalid as Error).message).toMatch(/INVALID_IMAGE/);
    await failing.stop();
  });

  it('refuses bad input before sending, with a code', async () => {
    const cases: Array<[() => Promise<unknown>, string]> = [
      [() => client.detect(Buffer.alloc(0)), 'INVALID_IMAGE'],
      [() => client.detect(Buffer.from('x'), { conf: 2 }), 'BAD_REQUEST'],
      [() => client.detect(Buffer.from('x'), { classes: [{}] as never }), 'BAD_REQUEST'],
      [() => client.detect(Buffer.from('x'), { timeoutMs: -5 }), 'INVALID_ARGUMENT'],
      [() => client.detect('/no/such/image.jpg'), 'IO_ERROR'],
      [() => client.detect(42 as never), 'INVALID_ARGUMENT'],
    ];
    const before = client.stats().sends;
    for (const [call, code] of cases) expect(errorCodeOf(await rejection(call()))).toBe(code);
    expect(client.stats().sends).toBe(before); // refused on this side: nothing went out
    const small = await connect(ports.frontend, { maxImageBytes: 100 });
    try {
      const tooLarge = await rejection(small.detect(Readable.from([Buffer.alloc(80), Buffer.alloc(80)])));
      expect(errorCodeOf(tooLarge)).toBe('IMAGE_TOO_LARGE');
      expect(errorCodeOf(await rejection(small.detect(Buffer.alloc(101))))).toBe('IMAGE_TOO_LARGE');
    } finally {
      await small.close();
    }
  });

  it('close() rejects what is pending with CLOSED and refuses new requests', async () => {
    const other = await connect(ports.frontend);
    const pending = other.detect(Buffer.from('x'), { model: 'ghost', timeoutMs: 60_000 });
    await new Promise((r) => setTimeout(r, 100));
    expect(other.inFlight).toBe(1);
    await other.close();
    const err = await rejection(pending);
    expect(err).toBeInstanceOf(ClientError);
    expect((err as ClientError).code).toBe('CLOSED');
    expect(errorCodeOf(await rejection(other.detect(Buffer.from('x'))))).toBe('CLOSED');
    await other.close(); // twice is fine
  });
});

describe('SDK without a broker', () => {
  it('connect() names the endpoint when no broker answers', async () => {
    const endpoint = `tcp://127.0.0.1:${await freePort()}`;
    const err = await rejection(connect(endpoint, { connectTimeoutMs: 300 }));
    expect(err).toBeInstanceOf(ClientError);
    expect((err as ClientError).code).toBe('UNREACHABLE');
    expect((err as Error).message).toContain(endpoint);
  });

  it('refuses an invalid endpoint', async () => {
    expect(errorCodeOf(await rejection(connect('localhost:5555')))).toBe('INVALID_ARGUMENT');
  });

  it('a request nobody answers times out after every attempt (reconnecting in between)', async () => {
    const endpoint = `tcp://127.0.0.1:${await freePort()}`;
    const client = await connect(endpoint, {
      verify: false,
      timeoutMs: 100,
      replyGraceMs: 0,
      retries: 2,
      backoffMs: 10,
    });
    try {
      const err = await rejection(client.detect(Buffer.from('x')));
      expect(err).toBeInstanceOf(ClientError);
      expect((err as ClientError).code).toBe('TIMEOUT');
      expect((err as Error).message).toContain(endpoint);
      expect((err as Error).message).toContain('3 attempts');
      expect(client.stats()).toMatchObject({ sends: 3, resends: 2, timeouts: 3, reconnects: 2, inFlight: 0 });
    } finally {
      await client.close();
    }
  });
});

describe('SDK across a broker restart', () => {
  it('pending requests complete after the broker is killed and restarted on the same ports', async () => {
    const ports = await brokerPorts();
    // With a default model configured, requests reaching the new broker before a worker registers wait in
    // its queue instead of being refused ("no default model yet"): the setting a restartable cluster needs.
    const broker = await startBroker(ports, ECHO_DEFAULT);
    // A slow worker: the requests are still in flight (at the worker or queued) when the broker dies.
    const slow = await startEcho(ports, { CREDIT: '4', ECHO_DELAY_MS: '3000' });
    const client = await connect(ports.frontend, { timeoutMs: 1500, retries: 5, backoffMs: 100 });
    try {
      const pending = Promise.allSettled(Array.from({ length: 20 }, (_, i) => client.detect(Buffer.alloc(10 + i))));
      await new Promise((r) => setTimeout(r, 300));
      expect(client.inFlight).toBe(20);
      broker.kill('SIGKILL');
      await broker.exited;
      await slow.stop();
      await startBroker(ports, ECHO_DEFAULT);
      await startEcho(ports, { CREDIT: '8' });
      const settled = await pending;
      expect(settled.filter((s) => s.status === 'rejected').map((s) => String(s.reason))).toEqual([]);
      const results = settled.map((s) => (s as PromiseFulfilledResult<EchoResult>).value);
      expect(results.map((r) => r.echoBytes)).toEqual(Array.from({ length: 20 }, (_, i) => 10 + i));
      for (const r of results) expect(r.attempts).toBeGreaterThanOrEqual(2);
      expect(client.stats().timeouts).toBeGreaterThanOrEqual(20); // every pending request timed out once
      expect(client.stats().reconnects).toBeGreaterThanOrEqual(1);
      // The same client keeps working afterwards.
      expect(((await client.detect(Buffer.alloc(5))) as EchoResult).echoBytes).toBe(5);
    } finally {
      await client.close();
    }
  });
});

describe('SDK across a graceful broker restart', () => {
  it('requests the draining broker refuses with SHUTTING_DOWN are resent to its successor', async () => {
    const ports = await brokerPorts();
    const broker = await startBroker(ports, { ...ECHO_DEFAULT, YOLOMQ_DRAIN_TIMEOUT_MS: '300' });
    // Jobs take longer than the drain: the broker answers them SHUTTING_DOWN when it gives up waiting.
    const slow = await startEcho(ports, { CREDIT: '2', ECHO_DELAY_MS: '5000' });
    const client = await connect(ports.frontend, { timeoutMs: 8000, retries: 2, backoffMs: 100 });
    try {
      const pending = Promise.allSettled(Array.from({ length: 6 }, (_, i) => client.detect(Buffer.alloc(20 + i))));
      await new Promise((r) => setTimeout(r, 300));
      expect(await broker.stop()).toBe(0); // SIGTERM: drain, answer SHUTTING_DOWN, exit 0
      await slow.stop();
      await startBroker(ports, ECHO_DEFAULT);
      await startEcho(ports, { CREDIT: '8' });
      const settled = await pending;
      expect(settled.filter((s) => s.status === 'rejected').map((s) => String(s.reason))).toEqual([]);
      const results = settled.map((s) => (s as PromiseFulfilledResult<EchoResult>).value);
      expect(results.map((r) => r.echoBytes)).toEqual(Array.from({ length: 6 }, (_, i) => 20 + i));
      for (const r of results) expect(r.attempts).toBeGreaterThanOrEqual(2);
      expect(client.stats().timeouts).toBe(0); // resent on the SHUTTING_DOWN answers, not after timeouts
    } finally {
      await client.close();
    }
  });

  it('with retries: 0 the SHUTTING_DOWN answer is passed on', async () => {
    const ports = await brokerPorts();
    const broker = await startBroker(ports, { YOLOMQ_DRAIN_TIMEOUT_MS: '200' });
    await startEcho(ports, { CREDIT: '1', ECHO_DELAY_MS: '5000' });
    const client = await connect(ports.frontend, { timeoutMs: 8000, retries: 0 });
    try {
      const pending = rejection(client.detect(Buffer.from('x')));
      await new Promise((r) => setTimeout(r, 300));
      await broker.stop();
      expect(errorCodeOf(await pending)).toBe('SHUTTING_DOWN');
    } finally {
      await client.close();
    }
  });
});

describe('SDK in a plain Node program', () => {
  it('close() lets the process exit by itself, with a request pending', async () => {
    const ports = await brokerPorts();
    await startBroker(ports, { YOLOMQ_MODELS: 'ghost' });
    const dir = mkdtempSync(join(tmpdir(), 'yolomq-close-'));
    const script = join(dir, 'close.mjs');
    writeFileSync(
      script,
      `import { connect } from ${JSON.stringify(CLIENT_DIST)};
const client = await connect(process.argv[2], { timeoutMs: 600000 });
const pending = client.detect(Buffer.from('image'), { model: 'ghost' });
await new Promise((r) => setTimeout(r, 200));
await client.close();
pending.catch((err) => console.log('rejected', err.code));
`,
    );
    const child = spawn(process.execPath, [script, ports.frontend], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => {
      output += d;
    });
    child.stderr.on('data', (d) => {
      output += d;
    });
    // The request's timeout is 10 minutes: only a client that releases everything lets the process end.
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      child.once('exit', (c, s) => resolve([c, s])),
    );
    clearTimeout(killer);
    expect(signal).toBeNull();
    expect(code).toBe(0);
    expect(output.trim()).toBe('rejected CLOSED');
  });
});
