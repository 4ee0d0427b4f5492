import { createRequire } from 'node:module';

/** This worker's version (services/worker/package.json), sent in READY. */
export const WORKER_VERSION: string = (createRequire(import.meta.url)('../package.json') as { version: string })
  .version;
