/**
 * The worker process: load .env, parse the configuration (exit 1 with a clear message when invalid),
 * start the worker, and turn SIGTERM/SIGINT into a graceful close followed by exit 0. Wiring only.
 */
import { config as loadDotenv } from 'dotenv';
import { parseWorkerConfig } from './config.js';
import { createLogger } from './logger.js';
import { startWorker } from './worker.js';

loadDotenv({ quiet: true });
const parsed = parseWorkerConfig(process.env);
if (!parsed.ok) {
  process.stderr.write(`${parsed.message}\nSee .env.example for every variable and its default.\n`);
  process.exit(1);
}
const logger = createLogger(parsed.config.logLevel);

try {
  const worker = await startWorker(parsed.config, logger);
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    worker.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} catch (error) {
  logger.fatal({ err: error }, `worker failed to start: ${(error as Error).message}`);
  process.exit(1);
}
