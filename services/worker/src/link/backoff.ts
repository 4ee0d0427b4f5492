/** Exponential reconnect backoff (Paranoid Pirate): min, 2 x min, 4 x min, ... capped at max. Pure. */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly minMs: number,
    private readonly maxMs: number,
  ) {}

  /** The delay before the next attempt; each call doubles the one after. */
  next(): number {
    const delay = Math.min(this.maxMs, this.minMs * 2 ** this.attempt);
    if (delay < this.maxMs) this.attempt++;
    return delay;
  }

  /** The broker answered: the next outage starts from the shortest delay again. */
  reset(): void {
    this.attempt = 0;
  }
}
