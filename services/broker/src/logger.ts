/**
 * The broker's pino logger (one per process; components take child loggers) and a rate limiter for
 * messages a misbehaving peer could trigger at line rate (malformed frames, unknown workers).
 */
import { pino } from 'pino';

export type Logger = pino.Logger;

export function createLogger(level: string, name = 'broker'): Logger {
  return pino({ name, level, base: { pid: process.pid, service: 'broker' } });
}

/**
 * Lets at most `limit` events of each kind through per window; counts the rest and reports how many
 * were suppressed with the next event that gets through. The broker logs malformed messages through
 * it, so a peer sending garbage at line rate costs a counter increment, not a log line each.
 */
export class LogRateLimiter {
  private readonly windows = new Map<string, { start: number; count: number; suppressed: number }>();

  constructor(
    private readonly limit = 10,
    private readonly windowMs = 10_000,
  ) {}

  /** Returns the number of events suppressed since the last one let through, or -1 to suppress this one. */
  allow(kind: string, now: number): number {
    let window = this.windows.get(kind);
    if (window === undefined) {
      if (this.windows.size > 1000) this.windows.clear();
      window = { start: now, count: 0, suppressed: 0 };
      this.windows.set(kind, window);
    }
    if (now - window.start >= this.windowMs) {
      window.start = now;
      window.count = 0;
    }
    if (window.count >= this.limit) {
      window.suppressed++;
      return -1;
    }
    window.count++;
    const suppressed = window.suppressed;
    window.suppressed = 0;
    return suppressed;
  }
}
