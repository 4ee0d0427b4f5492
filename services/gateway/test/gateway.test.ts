/**
 * The gateway end to end: a real broker process, echo workers (some configured to fail with a chosen
 * code), and the gateway in this process, spoken to over real HTTP.
 */
import { resolve } from 'node:path';
import { connect } from '@yolomq/client';
import { decodeClientMessage, ErrorCode, encodeError, encodePong, isErrorCode } from '@yolomq/protocol';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Router } from 'zeromq';
import { freePort, type Started, startNode, stopAll } from '../../../test/helpers/processes.js';
import type { GatewayConfig } from '../src/config.js';
import { type GatewayHandle, startGateway } from '../src/gateway.js';
import { rawUpload } from './helpers/http.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const BROKER_MAIN = `${ROOT}/services/broker/dist/main.js`;
const ECHO_WORKER = `${ROOT}/test/helpers/echo-worker.mjs`;
const HEARTBEAT_MS = '500';
const MAX_BODY = 1024 * 1024;
const IMAGE = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(2048, 7), Buffer.from([0xff, 0xd9])]);
const DETECTION = { classId: 5, className: 'bus', score: 0.91, box: { x1: 10, y1: 20, x2: 300, y2: 400 } };
/** Codes an echo worker answers with, one model each: the broker passes them on to the client. */
const WORKER_CODES = [ErrorCode.INVALID_IMAGE, ErrorCode.IMAGE_TOO_LARGE, ErrorCode.INTERNAL, ErrorCode.BAD_REQUEST];

const silent = pino({ level: 'silent' });
let broker: Started;
let brokerHttp: string;
let frontend: string;
let backend: string;
let gateway: GatewayHandle;
let base: string;

function config(overrides: Partial<GatewayConfig> = {}): GatewayConfig {
  return {
    host: '127.0.0.1',
    port: 0,
    broker: frontend,
    brokerHttp,
    maxBodyBytes: MAX_BODY,
    requestTimeoutMs: 10_000,
    maxInflight: 64,
    statusIntervalMs: 200,
    logLevel: 'silent',
    ...overrides,
  };
}

function worker(model: string, env: Record<string, string> = {}): Started {
  return startNode(ECHO_WORKER, { BROKER: backend, MODEL: model, HEARTBEAT_MS, WORKER_ID: `${model}-w`, ...env });
}

async function brokerStatus(): Promise<{ workers: Array<{ model: string; inflight: number }> }> {
  return (await fetch(`${brokerHttp}/status`)).json() as never;
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface ErrorAnswer {
  status: number;
  code: string;
  message: string;
  requestId: string;
  headers: Headers;
}

async function errorOf(response: Response): Promise<ErrorAnswer> {
  const body = (await response.json()) as { error: { code: string; message: string }; requestId: string };
  expect(Object.keys(body).sort()).toEqual(['error', 'requestId']);
  expect(body.error.message.length).toBeGreaterThan(0);
  expect(body.requestId).toBe(response.headers.get('x-request-id'));
  return { status: response.status, ...body.error, requestId: body.requestId, headers: response.headers };
}

function detect(query = '', body: Buffer | string = IMAGE, type = 'image/jpeg', at = base): Promise<Response> {
  return fetch(`${at}/v1/detect${query}`, {
    method: 'POST',
    body: body as BodyInit,
    headers: { 'content-type': type },
  });
}

beforeAll(async () => {
  const [fe, be, http] = await Promise.all([freePort(), freePort(), freePort()]);
  frontend = `tcp://127.0.0.1:${fe}`;
  backend = `tcp://127.0.0.1:${be}`;
  brokerHttp = `http://127.0.0.1:${http}`;
  broker = startNode(BROKER_MAIN, {
    YOLOMQ_FRONTEND_BIND: frontend,
    YOLOMQ_BACKEND_BIND: backend,
    YOLOMQ_HTTP_HOST: '127.0.0.1',
    YOLOMQ_HTTP_PORT: String(http),
    YOLOMQ_DEFAULT_MODEL: 'echo',
    YOLOMQ_HEARTBEAT_MS: HEARTBEAT_MS,
    YOLOMQ_QUEUE_MAX_REQUESTS: '2',
    YOLOMQ_MAX_RETRIES: '0',
    YOLOMQ_DRAIN_TIMEOUT_MS: '3000',
    LOG_LEVEL: 'info',
  });
  await broker.waitFor('listening');
  const workers = [
    worker('echo', { CREDIT: '4', ECHO_DETECTIONS: JSON.stringify([DETECTION]), ECHO_SIZE: '640x480' }),
    worker('slow', { ECHO_DELAY_MS: '800' }),
    worker('doomed', { ECHO_DELAY_MS: '600000' }),
    ...WORKER_CODES.map((code) => worker(`fail-${code}`, { ECHO_FAIL_CODE: code })),
  ];
  await Promise.all(workers.map((w) => w.waitFor('ready')));
  await until(async () => (await brokerStatus()).workers.length === workers.length, 'workers to register');
  gateway = await startGateway(config(), silent);
  base = gateway.url;
});

afterAll(async () => {
  await gateway?.close();
  await stopAll();
});

describe('POST /v1/detect', () => {
  it('a raw image body answers 200 with the same JSON the ZeroMQ client gets', async () => {
    const response = await detect('?model=echo');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('x-request-id')).toMatch(/^[\w-]{8,}$/);
    const viaHttp = (await response.json()) as Record<string, unknown>;

    const client = await connect(frontend, { timeoutMs: 5000 });
    try {
      const viaZmq = (await client.detect(IMAGE, { model: 'echo' })) as unknown as Record<string, unknown>;
      expect(Object.keys(viaHttp).sort()).toEqual(Object.keys(viaZmq).sort());
      for (const key of ['model', 'workerId', 'width', 'height', 'detections', 'attempts', 'echoBytes']) {
        expect(viaHttp[key], key).toEqual(viaZmq[key]);
      }
    } finally {
      await client.close();
    }
    expect(viaHttp).toMatchObject({ model: 'echo', width: 640, height: 480, detections: [DETECTION] });
    expect(viaHttp.echoBytes).toBe(IMAGE.length);
  });

  it('application/octet-stream and no model (the default model) work too', async () => {
    const response = await detect('', IMAGE, 'application/octet-stream');
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ model: 'echo', echoBytes: IMAGE.length });
  });

  it('a multipart form upload answers 200; its fields are options', async () => {
    const form = new FormData();
    form.set('model', 'echo');
    form.set('conf', '0.5');
    form.set('image', new Blob([IMAGE], { type: 'image/jpeg' }), 'photo.jpg');
    const response = await fetch(`${base}/v1/detect?maxDetections=10`, { method: 'POST', body: form });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ model: 'echo', detections: [DETECTION], echoBytes: IMAGE.length });
  });

  it('valid query options pass; invalid ones are 400 BAD_REQUEST naming the parameter', async () => {
    const ok = await detect('?model=echo&conf=0.3&iou=0.6&classes=0,bus&maxDetections=5&timeoutMs=5000');
    expect(ok.status).toBe(200);
    await ok.body?.cancel();

    const cases: Array<[string, RegExp]> = [
      ['?conf=2', /conf/],
      ['?conf=abc', /conf/],
      ['?iou=-1', /iou/],
      ['?maxDetections=0', /maxDetections/],
      ['?maxDetections=1.5', /maxDetections/],
      ['?timeoutMs=0', /timeoutMs/],
      ['?timeoutMs=soon', /timeoutMs/],
      ['?classes=', /classes/],
      ['?model=echo&model=slow', /model/],
      ['?confidence=0.5', /unknown parameter/],
    ];
    for (const [query, message] of cases) {
      const answer = await errorOf(await detect(query));
      expect([answer.status, answer.code], query).toEqual([400, 'BAD_REQUEST']);
      expect(answer.message, query).toMatch(message);
    }
  });

  it('an option given both as query parameter and form field is refused', async () => {
    const form = new FormData();
    form.set('conf', '0.5');
    form.set('image', new Blob([IMAGE]), 'a.jpg');
    const answer = await errorOf(await fetch(`${base}/v1/detect?conf=0.4`, { method: 'POST', body: form }));
    expect([answer.status, answer.code]).toEqual([400, 'BAD_REQUEST']);
  });
});

describe('error codes end to end: each answer has the status of its code', () => {
  it.each(WORKER_CODES)('a worker answering %s', async (code) => {
    const answer = await errorOf(await detect(`?model=fail-${code}`));
    expect(answer.code).toBe(code);
    expect(answer.status).toBe({ INVALID_IMAGE: 422, IMAGE_TOO_LARGE: 413, INTERNAL: 500, BAD_REQUEST: 400 }[code]);
    expect(answer.message).toMatch(/echo worker configured to fail/);
  });

  it('UNKNOWN_MODEL is 404', async () => {
    const answer = await errorOf(await detect('?model=no-such-model'));
    expect([answer.status, answer.code]).toEqual([404, 'UNKNOWN_MODEL']);
  });

  it('DEADLINE_EXCEEDED is 504', async () => {
    const answer = await errorOf(await detect('?model=slow&timeoutMs=100'));
    expect([answer.status, answer.code]).toEqual([504, 'DEADLINE_EXCEEDED']);
    await until(
      async () => (await brokerStatus()).workers.every((w) => w.model !== 'slow' || w.inflight === 0),
      'slow',
    );
  });

  it('QUEUE_FULL is 503 with Retry-After', async () => {
    // slow: one worker of credit 1 and a queue bound of 2, so the fourth concurrent request is refused.
    const responses = await Promise.all(
      [0, 1, 2, 3].map(async (i) => {
        await new Promise((r) => setTimeout(r, i * 60));
        return detect('?model=slow&timeoutMs=8000');
      }),
    );
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 200, 503]);
    const refused = await errorOf(responses.find((r) => r.status === 503)!);
    expect(refused.code).toBe('QUEUE_FULL');
    expect(refused.headers.get('retry-after')).toBe('1');
  });

  it('TOO_MANY_REQUESTS is 429 with Retry-After once the gateway is at its in-flight limit', async () => {
    const small = await startGateway(config({ maxInflight: 1 }), silent);
    try {
      const first = detect('?model=slow', IMAGE, 'image/jpeg', small.url);
      await new Promise((r) => setTimeout(r, 150));
      const answer = await errorOf(await detect('?model=echo', IMAGE, 'image/jpeg', small.url));
      expect([answer.status, answer.code]).toEqual([429, 'TOO_MANY_REQUESTS']);
      expect(answer.headers.get('retry-after')).toBe('1');
      expect((await first).status).toBe(200);
      // the slot is free again
      expect((await detect('?model=echo', IMAGE, 'image/jpeg', small.url)).status).toBe(200);
    } finally {
      await small.close();
    }
  });

  it('WORKER_FAILED is 502 when the worker holding the request dies', async () => {
    const doomed = worker('doomed-2', { ECHO_DELAY_MS: '600000' });
    await doomed.waitFor('ready');
    await until(async () => (await brokerStatus()).workers.some((w) => w.model === 'doomed-2'), 'doomed-2');
    const pending = detect('?model=doomed-2&timeoutMs=20000');
    await until(
      async () => (await brokerStatus()).workers.some((w) => w.model === 'doomed-2' && w.inflight === 1),
      'the request to reach the doomed worker',
    );
    doomed.kill('SIGKILL');
    const answer = await errorOf(await pending);
    expect([answer.status, answer.code]).toEqual([502, 'WORKER_FAILED']);
  });

  it('a broker that does not answer: /readyz 503 UNREACHABLE, detect 504 TIMEOUT', async () => {
    const nowhere = `tcp://127.0.0.1:${await freePort()}`;
    const lonely = await startGateway(config({ broker: nowhere }), silent);
    try {
      const ready = await errorOf(await fetch(`${lonely.url}/readyz`));
      expect([ready.status, ready.code]).toEqual([503, 'UNREACHABLE']);
      expect(ready.headers.get('retry-after')).toBe('1');
      const answer = await errorOf(await detect('?timeoutMs=200', IMAGE, 'image/jpeg', lonely.url));
      expect([answer.status, answer.code]).toEqual([504, 'TIMEOUT']);
    } finally {
      await lonely.close();
    }
  });
});

/** The documented status of every protocol code (README); a new code fails here until it is added. */
const DOCUMENTED_STATUS: Record<ErrorCode, number> = {
  BAD_REQUEST: 400,
  UNSUPPORTED_VERSION: 502,
  UNKNOWN_MODEL: 404,
  QUEUE_FULL: 503,
  TOO_MANY_REQUESTS: 429,
  DEADLINE_EXCEEDED: 504,
  INVALID_IMAGE: 422,
  IMAGE_TOO_LARGE: 413,
  WORKER_FAILED: 502,
  SHUTTING_DOWN: 503,
  INTERNAL: 500,
};

describe('every protocol error code through the SDK and the gateway', () => {
  it('a stand-in broker answering each code in turn: each gets its status', async () => {
    // A ROUTER that answers every REQUEST with an ERROR whose code is the requested model's name.
    const router = new Router({ linger: 0 });
    const port = await freePort();
    await router.bind(`tcp://127.0.0.1:${port}`);
    const outbox: Buffer[][] = [];
    let pumping = false;
    const send = (frames: Buffer[]) => {
      outbox.push(frames);
      if (pumping) return;
      pumping = true;
      void (async () => {
        for (let next = outbox.shift(); next; next = outbox.shift()) await router.send(next);
        pumping = false;
      })();
    };
    const loop = (async () => {
      for await (const [peer, ...frames] of router) {
        const decoded = decodeClientMessage(frames);
        if (!decoded.ok) continue;
        const msg = decoded.value;
        if (msg.command === 'PING') send([peer!, ...encodePong(msg.token)]);
        else if (isErrorCode(msg.model)) {
          send([peer!, ...encodeError(msg.requestId, msg.model, `stand-in broker answers ${msg.model}`)]);
        }
      }
    })();
    const standIn = await startGateway(config({ broker: `tcp://127.0.0.1:${port}` }), silent);
    try {
      for (const code of Object.values(ErrorCode)) {
        const answer = await errorOf(await detect(`?model=${code}`, IMAGE, 'image/jpeg', standIn.url));
        expect([answer.code, answer.status], code).toEqual([code, DOCUMENTED_STATUS[code]]);
        expect(answer.message).toBe(`stand-in broker answers ${code}`);
        const retryAfter = { QUEUE_FULL: '1', TOO_MANY_REQUESTS: '1', SHUTTING_DOWN: '5' }[code as string] ?? null;
        expect(answer.headers.get('retry-after'), code).toBe(retryAfter);
      }
    } finally {
      await standIn.close();
      router.close();
      await loop;
    }
  });
});

describe('limits and malformed requests', () => {
  it('a body over the limit is 413 IMAGE_TOO_LARGE', async () => {
    const answer = await errorOf(await detect('', Buffer.alloc(MAX_BODY + 1)));
    expect([answer.status, answer.code]).toEqual([413, 'IMAGE_TOO_LARGE']);
  });

  it('a declared length over the limit is refused before the body is read', async () => {
    const port = new URL(base).port;
    const response = await rawUpload(
      Number(port),
      `POST /v1/detect HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\nContent-Length: ${100 * MAX_BODY}`,
      Buffer.alloc(16 * 1024),
      { maxBodyBytes: 100 * MAX_BODY },
    );
    expect(response.status).toBe(413);
    expect(JSON.parse(response.body).error.code).toBe('IMAGE_TOO_LARGE');
    expect(response.headers.connection).toBe('close');
    // the answer came while the client had sent only a sliver of the 100 MiB it announced
    expect(response.bodyBytesSentBeforeResponse).toBeLessThan(MAX_BODY);
  });

  it('a chunked body is cut off at the limit, not read to its end', async () => {
    const port = Number(new URL(base).port);
    const response = await rawUpload(
      port,
      'POST /v1/detect HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\nTransfer-Encoding: chunked',
      Buffer.alloc(64 * 1024),
      { maxBodyBytes: 50 * MAX_BODY, chunked: true },
    );
    expect(response.status).toBe(413);
    expect(JSON.parse(response.body).error.code).toBe('IMAGE_TOO_LARGE');
    expect(response.bodyBytesSentBeforeResponse).toBeLessThan(10 * MAX_BODY);
  });

  it('a multipart upload over the limit is 413, declared or chunked', async () => {
    const form = new FormData();
    form.set('image', new Blob([Buffer.alloc(MAX_BODY + 10)]), 'big.jpg');
    const declared = await errorOf(await fetch(`${base}/v1/detect`, { method: 'POST', body: form }));
    expect([declared.status, declared.code]).toEqual([413, 'IMAGE_TOO_LARGE']);

    const boundary = 'XyZ123';
    const port = Number(new URL(base).port);
    const partHead = `--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`;
    const response = await rawUpload(
      port,
      `POST /v1/detect HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nTransfer-Encoding: chunked`,
      Buffer.concat([Buffer.from(partHead), Buffer.alloc(64 * 1024 - partHead.length, 1)]),
      { maxBodyBytes: 20 * MAX_BODY, chunked: true },
    );
    expect(response.status, response.body).toBe(413);
    expect(JSON.parse(response.body).error.code).toBe('IMAGE_TOO_LARGE');
    // answered at the file limit, not after the 20 MiB the client meant to send
    expect(response.bodyBytesSentBeforeResponse).toBeLessThan(10 * MAX_BODY);
  });

  it('malformed multipart bodies are 400 BAD_REQUEST', async () => {
    const bodies: Array<[string, string | Buffer]> = [
      ['multipart/form-data; boundary=abc', 'this is not a multipart body at all'],
      [
        'multipart/form-data; boundary=abc',
        '--abc\r\nContent-Disposition: form-data; name="image"; filename="a"\r\n\r\nunterminated',
      ],
      ['multipart/form-data', '--abc\r\n\r\n--abc--'],
    ];
    for (const [type, body] of bodies) {
      const answer = await errorOf(await detect('', body, type));
      expect([answer.status, answer.code], body.toString()).toEqual([400, 'BAD_REQUEST']);
    }
  });

  it('a form without a file, or with two, is 400', async () => {
    const none = new FormData();
    none.set('model', 'echo');
    const noFile = await errorOf(await fetch(`${base}/v1/detect`, { method: 'POST', body: none }));
    expect([noFile.status, noFile.code]).toEqual([400, 'BAD_REQUEST']);
    expect(noFile.message).toMatch(/no image/);

    const two = new FormData();
    two.append('image', new Blob([IMAGE]), 'a.jpg');
    two.append('image', new Blob([IMAGE]), 'b.jpg');
    const twoFiles = await errorOf(await fetch(`${base}/v1/detect`, { method: 'POST', body: two }));
    expect([twoFiles.status, twoFiles.code]).toEqual([400, 'BAD_REQUEST']);
  });

  it('a Content-Type the gateway does not take is 415', async () => {
    for (const type of ['application/json', 'text/plain', 'application/x-www-form-urlencoded']) {
      const answer = await errorOf(await detect('', '{"image":"..."}', type));
      expect([answer.status, answer.code], type).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
      expect(answer.message).toMatch(/image\/\*/);
    }
  });

  it('no body at all is 400 BAD_REQUEST; an empty image is 422 INVALID_IMAGE', async () => {
    const none = await errorOf(await fetch(`${base}/v1/detect`, { method: 'POST' }));
    expect([none.status, none.code]).toEqual([400, 'BAD_REQUEST']);
    const empty = await errorOf(await detect('', Buffer.alloc(0)));
    expect([empty.status, empty.code]).toEqual([422, 'INVALID_IMAGE']);
    const form = new FormData();
    form.set('image', new Blob([]), 'empty.jpg');
    const emptyFile = await errorOf(await fetch(`${base}/v1/detect`, { method: 'POST', body: form }));
    expect([emptyFile.status, emptyFile.code]).toEqual([422, 'INVALID_IMAGE']);
  });

  it('an unknown route is 404 NOT_FOUND in the same error shape', async () => {
    const answer = await errorOf(await fetch(`${base}/v2/detect`, { method: 'POST' }));
    expect([answer.status, answer.code]).toEqual([404, 'NOT_FOUND']);
  });
});

describe('read-only routes', () => {
  it('GET /v1/models lists the models live workers serve', async () => {
    const response = await fetch(`${base}/v1/models`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { models: Array<{ name: string; workers: number; default: boolean }> };
    expect(body).toMatchObject({ defaultModel: 'echo' });
    expect(body.models).toContainEqual({ name: 'echo', workers: 1, default: true });
    expect(body.models).toContainEqual({ name: 'slow', workers: 1, default: false });
    expect(body.models.map((m) => m.name)).not.toContain('doomed-2');
  });

  it('GET /openapi.json is an OpenAPI 3.1 document with the routes', async () => {
    const response = await fetch(`${base}/openapi.json`);
    expect(response.status).toBe(200);
    const doc = JSON.parse(await response.text());
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/detect', '/v1/models', '/v1/status']));
    expect(doc.paths['/v1/detect'].post.responses).toHaveProperty('413');
  });

  it('GET /v1/status passes the broker document through; /v1/events streams it', async () => {
    const status = (await (await fetch(`${base}/v1/status`)).json()) as { workers: unknown[]; defaultModel: string };
    expect(status.defaultModel).toBe('echo');
    expect(status.workers.length).toBeGreaterThanOrEqual(7);

    const controller = new AbortController();
    const response = await fetch(`${base}/v1/events`, { signal: controller.signal });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = response.body!.getReader();
    let text = '';
    while (!/event: status\ndata: .*\n\n[\s\S]*event: status\ndata: .*\n\n/.test(text)) {
      const { value, done } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString('utf8');
    }
    controller.abort();
    const events = [...text.matchAll(/event: status\ndata: (.*)\n\n/g)].map((m) => JSON.parse(m[1]!));
    expect(events.length).toBeGreaterThanOrEqual(2);
    expect(events[1].status.workers.length).toBeGreaterThanOrEqual(7);
    expect(events[1]).toHaveProperty('traffic');
    expect(events[1].at).toBeGreaterThan(events[0].at);
  });

  it('/healthz and /readyz answer 200 while the broker answers', async () => {
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', brokerRttMs: expect.any(Number) });
  });

  it('the dashboard and its files are served from the package, allowing this origin only', async () => {
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    const html = await page.text();
    for (const path of ['/app.js', '/charts.js', '/style.css', '/favicon.svg']) {
      expect(html).toContain(path === '/charts.js' ? '/app.js' : path);
      const file = await fetch(`${base}${path}`);
      expect(file.status, path).toBe(200);
      const text = await file.text();
      // no CDN: nothing is loaded from another origin (the SVG namespace is a name, not a download)
      expect(text.replaceAll('http://www.w3.org/2000/svg', ''), path).not.toMatch(/https?:\/\//);
    }
  });
});

describe('shutdown', () => {
  it('SHUTTING_DOWN is 503 with Retry-After while the broker drains', async () => {
    // 'doomed' never answers, so the broker's drain lasts its whole timeout (3 s): room to ask in it.
    const busy = detect('?model=doomed&timeoutMs=20000');
    await until(
      async () => (await brokerStatus()).workers.some((w) => w.model === 'doomed' && w.inflight === 1),
      'the request to reach the doomed worker',
    );
    broker.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 200));
    const refused = await errorOf(await detect('?model=echo'));
    expect([refused.status, refused.code]).toEqual([503, 'SHUTTING_DOWN']);
    expect(refused.headers.get('retry-after')).toBe('5');
    // the request accepted before the drain is answered SHUTTING_DOWN when the drain times out
    const aborted = await errorOf(await busy);
    expect([aborted.status, aborted.code]).toEqual([503, 'SHUTTING_DOWN']);
  });
});
