/**
 * The deadline heap: an indexed binary min-heap of jobs ordered by `due`. One heap and one timer
 * serve every deadline (no setTimeout per request). Each job stores its index, so a job answered
 * before its deadline leaves the heap at once in O(log n) and the heap only ever holds live jobs.
 */
import type { Job } from './job.js';

export class DeadlineHeap {
  private readonly items: Job[] = [];

  get size(): number {
    return this.items.length;
  }

  /** the earliest due time, or Infinity when empty */
  nextDue(): number {
    return this.items.length === 0 ? Number.POSITIVE_INFINITY : this.items[0]!.due;
  }

  peek(): Job | undefined {
    return this.items[0];
  }

  /** every job in the heap, in no particular order */
  values(): readonly Job[] {
    return this.items;
  }

  push(job: Job): void {
    job.heapIndex = this.items.length;
    this.items.push(job);
    this.up(job.heapIndex);
  }

  pop(): Job | undefined {
    const top = this.items[0];
    if (top !== undefined) this.remove(top);
    return top;
  }

  remove(job: Job): void {
    const index = job.heapIndex;
    const items = this.items;
    if (index < 0 || items[index] !== job) return;
    job.heapIndex = -1;
    const last = items.pop()!;
    if (last === job) return;
    items[index] = last;
    last.heapIndex = index;
    if (!this.up(index)) this.down(index);
  }

  /** Moves the item at `index` up while it is earlier than its parent; returns whether it moved. */
  private up(index: number): boolean {
    const items = this.items;
    const job = items[index]!;
    const start = index;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = items[parentIndex]!;
      if (parent.due <= job.due) break;
      items[index] = parent;
      parent.heapIndex = index;
      index = parentIndex;
    }
    items[index] = job;
    job.heapIndex = index;
    return index !== start;
  }

  private down(index: number): void {
    const items = this.items;
    const length = items.length;
    const job = items[index]!;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= length) break;
      const right = left + 1;
      const child = right < length && items[right]!.due < items[left]!.due ? right : left;
      const childJob = items[child]!;
      if (childJob.due >= job.due) break;
      items[index] = childJob;
      childJob.heapIndex = index;
      index = child;
    }
    items[index] = job;
    job.heapIndex = index;
  }
}
