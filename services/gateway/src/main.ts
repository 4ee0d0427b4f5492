/**
 * The gateway process: load .env, parse the configuration (exit 1 with a clear message when invalid),
 * start the gateway, and turn SIGTERM/SIGINT into a graceful close followed by exit 0. Wiring only.
 */
import { config as loadDotenv } from 'dotenv';
import { parseGatewayConfig } from './config.js';
import { startGateway } from './gateway.js';
import { createLogger } from './logger.js';

loadDotenv({ quiet: true });
const parsed = parseGatewayConfig(process.env);
if (!parsed.ok) {
  process.stderr.write(`${parsed.message}\nSee .env.example for every variable and its default.\n`);
  process.exit(1);
}
const logger = createLogger(parsed.config.logLevel);

try {
  const gateway = await startGateway(parsed.config, logger);
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    gateway.close().then(
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
  logger.fatal({ err: error }, 'gateway failed to start');
  process.exit(1);
}
