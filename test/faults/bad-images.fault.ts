/**
 * Bad images end to end, through the broker to real workers: corrupt, truncated, zero-byte, non-image,
 * a decompression bomb (huge declared dimensions), animated, 16-bit, CMYK and greyscale. Each gets a
 * correct result or its clear error; no worker crashes.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { crc32 } from 'node:zlib';
import { decodeBrokerToClient, encodeRequest } from '@yolomq/protocol';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dealer } from 'zeromq';
import type { Started } from '../helpers/processes.js';
import { stopAll } from '../helpers/processes.js';
import { type BrokerProcess, IMAGES, requireBuilt, startBroker, startRealWorker } from './support/cluster.js';
import { recordRow } from './support/record.js';

/** A PNG whose header claims width x height (CRC fixed), with a tiny body: a decompression bomb's header. */
function pngClaiming(png: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(png);
  // signature (8) + length (4) + "IHDR" (4): width at 16, height at 20, CRC after the 13-byte body at 29
  out.writeUInt32BE(width, 16);
  out.writeUInt32BE(height, 20);
  out.writeUInt32BE(crc32(out.subarray(12, 29)), 29);
  return out;
}

interface Case {
  name: string;
  image: Buffer;
  /** 'result' (optionally with a class that must be found) or the error codes accepted */
  expect: { result: true; mustFind?: string } | { result: false; codes: string[] };
}

describe('bad images end to end', () => {
  let broker: BrokerProcess;
  const workers: Started[] = [];

  beforeAll(async () => {
    requireBuilt();
    broker = await startBroker();
    workers.push(await startRealWorker(broker.backend, 'img-w1'));
    workers.push(await startRealWorker(broker.backend, 'img-w2'));
    await broker.waitForWorkers(2);
  });
  afterAll(stopAll);

  it('answers every bad image with a correct result or a clear error', async () => {
    const bus = readFileSync(resolve(IMAGES, 'bus.jpg'));
    const zidane = readFileSync(resolve(IMAGES, 'zidane.jpg'));
    const smallPng = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#888' } })
      .png()
      .toBuffer();
    const corrupt = Buffer.from(bus);
    for (let i = 2000; i < corrupt.length; i += 97) corrupt[i] = 0xff ^ corrupt[i]!;
    const frames = await Promise.all(
      [bus, bus, zidane].map((b) => sharp(b).resize(405, 540, { fit: 'fill' }).png().toBuffer()),
    );
    const INVALID = ['INVALID_IMAGE'];
    const cases: Case[] = [
      { name: 'zero-byte', image: Buffer.alloc(0), expect: { result: false, codes: ['BAD_REQUEST', ...INVALID] } },
      {
        name: 'non-image (text)',
        image: Buffer.from('hello, I am not a picture\n'.repeat(40)),
        expect: { result: false, codes: INVALID },
      },
      {
        name: 'random bytes',
        image: Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 131) & 255)),
        expect: { result: false, codes: INVALID },
      },
      {
        name: 'truncated JPEG (first 30%)',
        image: bus.subarray(0, Math.floor(bus.length * 0.3)),
        expect: { result: false, codes: INVALID },
      },
      { name: 'truncated JPEG (header only)', image: bus.subarray(0, 600), expect: { result: false, codes: INVALID } },
      { name: 'corrupt JPEG (bytes flipped)', image: corrupt, expect: { result: false, codes: INVALID } },
      {
        name: 'decompression bomb (PNG header 100000x100000)',
        image: pngClaiming(smallPng, 100_000, 100_000),
        expect: { result: false, codes: ['IMAGE_TOO_LARGE'] },
      },
      {
        name: 'decompression bomb (PNG header 20000x20000)',
        image: pngClaiming(smallPng, 20_000, 20_000),
        expect: { result: false, codes: ['IMAGE_TOO_LARGE'] },
      },
      {
        name: 'animated GIF (3 frames, first is bus.jpg)',
        image: await sharp(frames, { join: { animated: true } })
          .gif()
          .toBuffer(),
        expect: { result: true, mustFind: 'bus' },
      },
      {
        name: '16-bit PNG',
        image: await sharp(bus).toColourspace('rgb16').png().toBuffer(),
        expect: { result: true, mustFind: 'bus' },
      },
      {
        name: 'CMYK JPEG',
        image: await sharp(bus).toColourspace('cmyk').jpeg().toBuffer(),
        expect: { result: true, mustFind: 'bus' },
      },
      {
        name: 'greyscale JPEG',
        image: await sharp(bus).greyscale().jpeg().toBuffer(),
        expect: { result: true, mustFind: 'bus' },
      },
      {
        name: 'greyscale + alpha PNG',
        image: await sharp(bus).greyscale().ensureAlpha().png().toBuffer(),
        expect: { result: true, mustFind: 'bus' },
      },
      { name: 'WebP', image: await sharp(bus).webp().toBuffer(), expect: { result: true, mustFind: 'bus' } },
      {
        name: '1x1 PNG',
        image: await sharp({ create: { width: 1, height: 1, channels: 3, background: '#000' } })
          .png()
          .toBuffer(),
        expect: { result: true },
      },
    ];

    const socket = new Dealer({ linger: 0 });
    socket.connect(broker.frontend);
    for (const [i, c] of cases.entries())
      await socket.send(encodeRequest(`img-${i}`, '', { timeoutMs: 30_000 }, c.image));
    const answers = new Map<number, { ok: boolean; code?: string; message?: string; classes?: string[] }[]>();
    const deadline = Date.now() + 40_000;
    socket.receiveTimeout = 1000;
    while (Date.now() < deadline && (answers.size < cases.length || Date.now() < deadline - 38_000)) {
      let frames: Buffer[];
      try {
        frames = await socket.receive();
      } catch {
        if (answers.size >= cases.length) break;
        continue;
      }
      const d = decodeBrokerToClient(frames);
      if (!d.ok || d.value.command === 'PONG') continue;
      const m = d.value;
      const i = Number(m.requestId.slice(4));
      const list = answers.get(i) ?? [];
      if (m.command === 'REPLY') {
        const result = JSON.parse(m.result.toString()) as { detections: { className: string }[] };
        list.push({ ok: true, classes: result.detections.map((x) => x.className) });
      } else list.push({ ok: false, code: m.code, message: m.message });
      answers.set(i, list);
    }
    socket.close();

    const outcomes = cases.map((c, i) => {
      const got = answers.get(i) ?? [];
      const first = got[0];
      let good = false;
      if (first && got.length === 1) {
        if (c.expect.result)
          good = first.ok && (c.expect.mustFind === undefined || first.classes!.includes(c.expect.mustFind));
        else good = !first.ok && c.expect.codes.includes(first.code!) && (first.message?.length ?? 0) > 0;
      }
      const seen = !first ? 'no answer' : first.ok ? `result (${first.classes!.length} detections)` : `${first.code}`;
      return { name: c.name, good, seen, answers: got.length, message: first?.message };
    });
    const workersAlive = workers.every((w) => w.child.exitCode === null && w.child.signalCode === null);
    const status = await broker.status();
    const bad = outcomes.filter((o) => !o.good);
    recordRow('07-bad-images', {
      scenario: 'Bad images end to end (real workers)',
      load: `${cases.length} images sent at once by one raw client, 2 real workers`,
      faults: cases.map((c) => c.name).join('; '),
      sent: cases.length,
      answered: outcomes.filter((o) => o.answers > 0).length,
      lost: outcomes.filter((o) => o.answers === 0).length,
      duplicated: outcomes.filter((o) => o.answers > 1).length,
      recoveryMs: null,
      notes: `${outcomes.map((o) => `${o.name}: ${o.seen}${o.good ? '' : ' (WRONG)'}`).join('; ')}; workers alive ${workersAlive} and registered ${status.workers.length}`,
      outcome: bad.length === 0 && workersAlive ? 'passed' : 'failed',
    });
    expect(bad, JSON.stringify(bad, null, 1)).toEqual([]);
    expect(workersAlive).toBe(true);
    expect(status.workers.length).toBe(2);
  });
});
