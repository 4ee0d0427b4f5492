/**
 * Guards an assumption the broker's hot path makes about zeromq.js (src/effects.ts): a frame of at most
 * 128 bytes is copied into the ZeroMQ message inside send(), so the buffer may be rewritten as soon as
 * send() returns. If a zeromq.js upgrade changes that, this test fails before any job id goes astray.
 * Also checks writeTiming, the protocol's allocation-free timing encoder the broker uses.
 */
import { decodeBrokerToWorker, encodeJobRequest, encodeTiming, Limits, writeTiming } from '@yolomq/protocol';
import { describe, expect, it } from 'vitest';
import { Dealer, Router } from 'zeromq';

describe('zeromq.js copies small frames on send', () => {
  it('a buffer rewritten right after send() arrives as it was when sent', async () => {
    const router = new Router({ sendTimeout: 0, linger: 0 });
    await router.bind('tcp://127.0.0.1:*');
    const dealer = new Dealer({ routingId: 'peer', linger: 0 });
    dealer.connect(router.lastEndpoint!);
    await dealer.send(['hello']);
    const [peer] = await router.receive();
    const scratch = Buffer.alloc(Limits.MAX_ID_BYTES);
    const timing = Buffer.alloc(8);
    for (let i = 0; i < 20; i++) {
      const id = scratch.subarray(0, scratch.write(`job-${i}`.padEnd(i === 19 ? 64 : 6, 'x'), 'latin1'));
      router.send([
        peer!,
        ...encodeJobRequest(id, Buffer.alloc(0), writeTiming(timing, 1000 + i, i), Buffer.from('img')),
      ]);
      scratch.fill(0x21);
      timing.fill(0xff);
    }
    for (let i = 0; i < 20; i++) {
      const decoded = decodeBrokerToWorker(await dealer.receive());
      expect(decoded.ok).toBe(true);
      if (!decoded.ok || decoded.value.command !== 'REQUEST') return;
      expect(decoded.value.jobId).toBe(`job-${i}`.padEnd(i === 19 ? 64 : 6, 'x'));
      expect(decoded.value.budgetMs).toBe(1000 + i);
      expect(decoded.value.queuedMs).toBe(i);
    }
    router.close();
    dealer.close();
  });
});

describe('writeTiming', () => {
  it('writes what encodeTiming allocates, into the caller buffer', () => {
    const buffer = Buffer.alloc(16, 0xaa);
    const frame = writeTiming(buffer, 29_998.4, 2.6);
    expect(frame).toHaveLength(8);
    expect(frame.equals(encodeTiming(29_998.4, 2.6))).toBe(true);
    expect(frame.buffer).toBe(buffer.buffer);
    expect(writeTiming(Buffer.alloc(8), -5, Number.NaN).equals(encodeTiming(0, 0))).toBe(true);
  });
});
