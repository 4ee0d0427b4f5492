/** The worker's pino logger: one per process, JSON lines; components take child loggers. */
import { pino } from 'pino';

export type Logger = pino.Logger;

export function createLogger(level: string, name = 'worker'): Logger {
  return pino({ name, level, base: { pid: process.pid, service: 'worker' } });
}
