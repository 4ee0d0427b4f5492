/** The scheduler's data structures: the per-model queue (round-robin lanes) and the deadline heap. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { leastLoaded } from '../src/scheduler/choose-worker.js';
import { ClientState } from '../src/scheduler/clients.js';
import { DeadlineHeap } from '../src/scheduler/deadline-heap.js';
import { Job } from '../src/scheduler/job.js';
import { ModelQueue } from '../src/scheduler/model-queue.js';
import { WorkerState } from '../src/workers/worker.js';

const clients = new Map<string, ClientState>();
function job(client: string, id: string, deadline = 1000, bytes = 10): Job {
  let c = clients.get(client);
  if (c === undefined) {
    c = new ClientState(Buffer.from(client), client, 0);
    clients.set(client, c);
  }
  return new Job(c, id, Buffer.from(id), 'm', Buffer.alloc(0), Buffer.alloc(bytes), 0, deadline);
}

function drain(q: ModelQueue): string[] {
  const out: string[] = [];
  for (let j = q.dequeue(); j !== undefined; j = q.dequeue()) out.push(`${j.client.key}:${j.requestId}`);
  return out;
}

describe('ModelQueue', () => {
  it('serves lanes round-robin, FIFO within a lane, new clients at the back of the rotation', () => {
    const q = new ModelQueue('m');
    for (const id of ['a1', 'a2', 'a3']) q.enqueue(job('a', id));
    q.enqueue(job('b', 'b1'));
    q.enqueue(job('c', 'c1'));
    q.enqueue(job('b', 'b2'));
    expect(q.count).toBe(6);
    expect(q.clients).toBe(3);
    expect(drain(q)).toEqual(['a:a1', 'b:b1', 'c:c1', 'a:a2', 'b:b2', 'a:a3']);
    expect(q.count).toBe(0);
    expect(q.bytes).toBe(0);
    expect(q.clients).toBe(0);
  });

  it('serves requeued requests first', () => {
    const q = new ModelQueue('m');
    q.enqueue(job('a', 'a1'));
    q.requeue(job('b', 'retry1'));
    q.requeue(job('c', 'retry2'));
    expect(drain(q)).toEqual(['b:retry1', 'c:retry2', 'a:a1']);
  });

  it('removes a waiting request from anywhere, and drops a lane that empties', () => {
    const q = new ModelQueue('m');
    const a1 = job('a', 'a1');
    const b1 = job('b', 'b1');
    q.enqueue(a1);
    q.enqueue(job('a', 'a2'));
    q.enqueue(b1);
    q.remove(b1);
    q.remove(a1);
    q.remove(a1); // removing twice is harmless
    expect(q.count).toBe(1);
    expect(q.clients).toBe(1);
    expect(drain(q)).toEqual(['a:a2']);
  });

  it('tracks count and bytes against its bounds', () => {
    const q = new ModelQueue('m');
    q.enqueue(job('a', 'a1', 1000, 100));
    expect(q.hasRoom(50, { maxRequests: 2, maxBytes: 150 })).toBe(true);
    expect(q.hasRoom(51, { maxRequests: 2, maxBytes: 150 })).toBe(false);
    q.enqueue(job('a', 'a2', 1000, 1));
    expect(q.hasRoom(0, { maxRequests: 2, maxBytes: 1e9 })).toBe(false);
  });

  it('never loses or duplicates a request under random enqueue/remove/dequeue', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom('enq', 'req', 'rm', 'deq'), fc.nat(3), fc.nat(50)), { maxLength: 200 }),
        (ops) => {
          const q = new ModelQueue('m');
          const inside = new Set<Job>();
          let n = 0;
          for (const [op, client, pick] of ops) {
            if (op === 'enq' || op === 'req') {
              const j = job(`c${client}`, `r${n++}`);
              if (op === 'enq') q.enqueue(j);
              else q.requeue(j);
              inside.add(j);
            } else if (op === 'rm' && inside.size > 0) {
              const j = [...inside][pick % inside.size]!;
              q.remove(j);
              inside.delete(j);
            } else if (op === 'deq') {
              const j = q.dequeue();
              if (inside.size === 0) expect(j).toBeUndefined();
              else {
                expect(inside.has(j!)).toBe(true);
                inside.delete(j!);
              }
            }
            expect(q.count).toBe(inside.size);
          }
        },
      ),
    );
  });
});

describe('DeadlineHeap', () => {
  it('pops in deadline order and supports removal from the middle', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 1000 }), fc.boolean()), { maxLength: 100 }), (items) => {
        const heap = new DeadlineHeap();
        const jobs = items.map(([due], i) => job('h', `j${i}`, due));
        for (const j of jobs) heap.push(j);
        const removed = jobs.filter((_, i) => items[i]![1]);
        for (const j of removed) heap.remove(j);
        const expected = jobs
          .filter((_, i) => !items[i]![1])
          .map((j) => j.due)
          .sort((a, b) => a - b);
        expect(heap.nextDue()).toBe(expected[0] ?? Number.POSITIVE_INFINITY);
        const popped: number[] = [];
        for (let j = heap.pop(); j !== undefined; j = heap.pop()) popped.push(j.due);
        expect(popped).toEqual(expected);
        for (const j of jobs) expect(j.heapIndex).toBe(-1);
      }),
    );
  });
});

describe('leastLoaded', () => {
  const worker = (id: string, credit: number, inflight: number, lastDispatch = 0) => {
    const w = new WorkerState<Job>(
      Buffer.from(id),
      id,
      'm',
      { workerId: id, credit, host: 'h', pid: 1, version: 'v' },
      0,
    );
    for (let i = 0; i < inflight; i++) w.jobs.add(job('x', `${id}-${i}`));
    w.lastDispatch = lastDispatch;
    return w;
  };

  it('picks the lowest inflight/credit ratio, skipping full and leaving workers', () => {
    expect(leastLoaded([worker('a', 2, 1), worker('b', 4, 1)])?.key).toBe('b');
    expect(leastLoaded([worker('a', 1, 1), worker('b', 4, 4)])).toBeUndefined();
    const leaving = worker('c', 8, 0);
    leaving.accepting = false;
    expect(leastLoaded([worker('a', 2, 1), leaving])?.key).toBe('a');
  });

  it('breaks ties by least recent dispatch', () => {
    expect(leastLoaded([worker('a', 2, 1, 3), worker('b', 2, 1, 9)])?.key).toBe('a');
    expect(leastLoaded([worker('a', 2, 0, 9), worker('b', 4, 0, 3)])?.key).toBe('b');
  });
});
