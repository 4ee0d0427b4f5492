/** The gateway's pino logger: one per process; components (http, sdk) take child loggers. */
import { pino } from 'pino';

export type Logger = pino.Logger;

export function createLogger(level: string): Logger {
  return pino({ name: 'gateway', level, base: { pid: process.pid, service: 'gateway' } });
}
