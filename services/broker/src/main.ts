/**
 * The broker process: load .env, parse the configuration (exit 1 with a clear message when invalid),
 * start the broker, and turn SIGTERM/SIGINT into a graceful close followed by exit 0. Wiring only.
 */
import { config as loadDotenv } from 'dotenv';
import { startBroker } from './broker.js';
import { parseBrokerConfig } from './config.js';
import { createLogger } from './logger.js';

loadDotenv({ quiet: true });
const parsed = parseBrokerConfig(process.env);
if (!parsed.ok) {
  process.stderr.write(`${parsed.message}\nSee .env.example for every variable and its default.\n`);
  process.exit(1);
}
const logger = createLogger(parsed.config.logLevel);

try {
  const broker = await startBroker(parsed.config, logger);
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    // A second signal is ignored: Ctrl-C signals every process in the terminal's group, and a parent
    // script may forward a SIGTERM as well; the drain is bounded by YOLOMQ_DRAIN_TIMEOUT_MS anyway.
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    broker.close().then(
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
  logger.fatal({ err: error }, 'broker failed to start');
  process.exit(1);
}
