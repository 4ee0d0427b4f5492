/**
 * Properties of the scheduler under random event sequences (fast-check): every accepted request gets
 * exactly one answer, nothing is answered that was not pending, credit is never exceeded, and an
 * expired request is never dispatched.
 */
import { ErrorCode } from '@yolomq/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Action, Harness } from './support/recording-sink.js';

type Op =
  | { op: 'submit'; client: number; id: number; timeoutMs: number }
  | { op: 'ready'; worker: number; credit: number }
  | { op: 'reply'; worker: number; pick: number; stale: boolean }
  | { op: 'error'; worker: number; pick: number; shuttingDown: boolean }
  | { op: 'lose'; worker: number; how: 'unreachable' | 'disconnect' }
  | { op: 'heartbeat'; worker: number }
  | { op: 'advance'; ms: number; tick: boolean };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant('submit' as const),
      client: fc.nat(2),
      id: fc.nat(5),
      timeoutMs: fc.integer({ min: 1, max: 500 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('ready' as const),
      worker: fc.nat(3),
      credit: fc.integer({ min: 1, max: 3 }),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({ op: fc.constant('reply' as const), worker: fc.nat(3), pick: fc.nat(), stale: fc.boolean() }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('error' as const),
      worker: fc.nat(3),
      pick: fc.nat(),
      shuttingDown: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('lose' as const),
      worker: fc.nat(3),
      how: fc.constantFrom('unreachable' as const, 'disconnect' as const),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('heartbeat' as const), worker: fc.nat(3) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('advance' as const),
      ms: fc.integer({ min: 0, max: 400 }),
      tick: fc.boolean(),
    }),
  },
);

function run(ops: Op[]): void {
  const h = new Harness({
    models: ['m'],
    maxRetries: 1,
    queueMaxRequests: 6,
    maxInflightPerClient: 4,
    heartbeatMs: 100,
    heartbeatLiveness: 3,
  });
  /** accepted and not yet answered: `${client}:${id}` */
  const pending = new Set<string>();
  /** job ids each worker was sent, not yet answered by the test */
  const held = new Map<string, string[]>();
  const everSent: string[] = [];

  const check = (actions: Action[]) => {
    for (const a of actions) {
      if (a.type === 'dispatch') {
        expect(a.budgetMs, 'an expired request was dispatched').toBeGreaterThan(0);
        const list = held.get(a.worker) ?? [];
        list.push(a.jobId);
        held.set(a.worker, list);
        everSent.push(a.jobId);
      } else if (a.type === 'reply' || a.type === 'fail') {
        const key = `${a.client}:${a.requestId}`;
        expect(pending.has(key), `answer for ${key}, which is not pending`).toBe(true);
        pending.delete(key);
      }
    }
    for (const w of h.scheduler.workers.all()) expect(w.inflight).toBeLessThanOrEqual(w.credit);
  };

  for (const o of ops) {
    switch (o.op) {
      case 'submit': {
        const client = `c${o.client}`;
        const id = `r${o.id}`;
        h.submit(client, id, { timeoutMs: o.timeoutMs });
        const actions = h.sink.take();
        const refused = actions.some(
          (a) => (a.type === 'reject' || a.type === 'duplicate') && a.client === client && a.requestId === id,
        );
        if (!refused) {
          expect(pending.has(`${client}:${id}`)).toBe(false);
          pending.add(`${client}:${id}`);
        }
        check(actions);
        break;
      }
      case 'ready':
        h.worker(`w${o.worker}`, o.credit);
        check(h.sink.take());
        break;
      case 'reply':
      case 'error': {
        const worker = `w${o.worker}`;
        const list = held.get(worker) ?? [];
        let jobId: string | undefined;
        if (o.op === 'reply' && o.stale && everSent.length > 0) jobId = everSent[o.pick % everSent.length];
        else if (list.length > 0) jobId = list.splice(o.pick % list.length, 1)[0];
        if (jobId === undefined) break;
        if (o.op === 'reply') h.reply(worker, jobId);
        else h.error(worker, jobId, o.shuttingDown ? ErrorCode.SHUTTING_DOWN : ErrorCode.INVALID_IMAGE);
        check(h.sink.take());
        break;
      }
      case 'lose':
        if (o.how === 'unreachable') h.scheduler.workerUnreachable(`w${o.worker}`, h.now);
        else h.scheduler.workerDisconnected(`w${o.worker}`, h.now);
        held.delete(`w${o.worker}`);
        check(h.sink.take());
        break;
      case 'heartbeat':
        h.heartbeat(`w${o.worker}`);
        check(h.sink.take());
        break;
      case 'advance':
        h.advance(o.ms, { tick: o.tick });
        check(h.sink.take());
        break;
    }
    expect(h.scheduler.active).toBe(pending.size);
  }
  // Long after every deadline (and every worker fallen silent), everything accepted has been answered.
  for (let i = 0; i < 10; i++) {
    h.advance(500, { tick: true });
    check(h.sink.take());
  }
  expect([...pending]).toEqual([]);
  expect(h.scheduler.active).toBe(0);
  expect(h.scheduler.nextDue()).toBe(Number.POSITIVE_INFINITY);
}

describe('scheduler properties', () => {
  it('every accepted request is answered exactly once, within credit, never dispatched after its deadline', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 120 }), (ops) => run(ops)),
      { numRuns: 500 },
    );
  });
});
