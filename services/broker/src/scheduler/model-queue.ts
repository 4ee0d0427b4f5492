/**
 * One model's queue of requests waiting for a worker with free credit.
 *
 * Fairness: each client has its own FIFO lane, and lanes are served round-robin, one request per turn,
 * so a client with 10,000 queued requests delays a client with one by at most one request per other
 * active client. Requests handed back by a lost worker go to a retry lane that is served before all
 * others ("back to the front of the queue"). Every operation is O(1) and allocation-free except
 * creating a lane for a client that had none.
 */
import type { Job } from './job.js';
import { JobList } from './job-list.js';

/** A client's FIFO within one model queue, also a node of the round-robin ring of non-empty lanes. */
class Lane extends JobList {
  ringPrev: Lane = this;
  ringNext: Lane = this;
  constructor(readonly clientKey: string) {
    super();
  }
}

export interface QueueBounds {
  maxRequests: number;
  maxBytes: number;
}

export class ModelQueue {
  /** requests handed back by lost workers: served first, in the order they were handed back */
  private readonly retries = new JobList();
  private readonly lanes = new Map<string, Lane>();
  /** the lane whose turn is next; undefined when no lane has requests */
  private cursor: Lane | undefined = undefined;
  /** requests waiting (all lanes) */
  count = 0;
  /** bytes those requests hold */
  bytes = 0;

  constructor(readonly model: string) {}

  /** clients with requests waiting */
  get clients(): number {
    return this.lanes.size;
  }

  /** Whether one more request of `bytes` fits within the bounds. */
  hasRoom(bytes: number, bounds: QueueBounds): boolean {
    return this.count < bounds.maxRequests && this.bytes + bytes <= bounds.maxBytes;
  }

  /** Appends a request to its client's lane; a lane that was empty joins the ring at the back. */
  enqueue(job: Job): void {
    const key = job.client.key;
    let lane = this.lanes.get(key);
    if (lane === undefined) {
      lane = new Lane(key);
      this.lanes.set(key, lane);
      this.joinRing(lane);
    }
    lane.push(job);
    this.count++;
    this.bytes += job.bytes;
  }

  /** Puts a request handed back by a lost worker at the front of the queue. */
  requeue(job: Job): void {
    this.retries.push(job);
    this.count++;
    this.bytes += job.bytes;
  }

  /** The next request to serve: retries first, then the next lane in the ring. */
  dequeue(): Job | undefined {
    let job = this.retries.shift();
    if (job === undefined) {
      const lane = this.cursor;
      if (lane === undefined) return undefined;
      job = lane.shift()!;
      if (lane.size === 0) this.dropLane(lane);
      else this.cursor = lane.ringNext;
    }
    this.count--;
    this.bytes -= job.bytes;
    return job;
  }

  /** Removes a waiting request (its deadline passed, or the broker is shutting down). */
  remove(job: Job): void {
    const list = job.list;
    if (list === undefined) return;
    list.remove(job);
    this.count--;
    this.bytes -= job.bytes;
    if (list !== this.retries && list.size === 0) this.dropLane(list as Lane);
  }

  /** Waiting requests, per client key (for /status). */
  depthByClient(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [key, lane] of this.lanes) out.set(key, lane.size);
    return out;
  }

  private joinRing(lane: Lane): void {
    const cursor = this.cursor;
    if (cursor === undefined) {
      lane.ringPrev = lane;
      lane.ringNext = lane;
      this.cursor = lane;
      return;
    }
    // Insert just before the cursor: the back of the rotation, after every lane already waiting.
    lane.ringNext = cursor;
    lane.ringPrev = cursor.ringPrev;
    cursor.ringPrev.ringNext = lane;
    cursor.ringPrev = lane;
  }

  private dropLane(lane: Lane): void {
    this.lanes.delete(lane.clientKey);
    if (lane.ringNext === lane) {
      this.cursor = undefined;
    } else {
      lane.ringPrev.ringNext = lane.ringNext;
      lane.ringNext.ringPrev = lane.ringPrev;
      if (this.cursor === lane) this.cursor = lane.ringNext;
    }
    lane.ringNext = lane;
    lane.ringPrev = lane;
  }
}
