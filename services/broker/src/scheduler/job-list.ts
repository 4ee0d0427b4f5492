/** An intrusive doubly linked FIFO of jobs: O(1) push, unshift, shift and removal, no allocation. */
import type { Job } from './job.js';

export class JobList {
  head: Job | undefined = undefined;
  tail: Job | undefined = undefined;
  size = 0;

  push(job: Job): void {
    job.list = this;
    job.next = undefined;
    job.prev = this.tail;
    if (this.tail === undefined) this.head = job;
    else this.tail.next = job;
    this.tail = job;
    this.size++;
  }

  unshift(job: Job): void {
    job.list = this;
    job.prev = undefined;
    job.next = this.head;
    if (this.head === undefined) this.tail = job;
    else this.head.prev = job;
    this.head = job;
    this.size++;
  }

  shift(): Job | undefined {
    const job = this.head;
    if (job !== undefined) this.remove(job);
    return job;
  }

  remove(job: Job): void {
    if (job.list !== this) return;
    if (job.prev === undefined) this.head = job.next;
    else job.prev.next = job.next;
    if (job.next === undefined) this.tail = job.prev;
    else job.next.prev = job.prev;
    job.prev = undefined;
    job.next = undefined;
    job.list = undefined;
    this.size--;
  }
}
