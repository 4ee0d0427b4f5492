/**
 * The gateway service: an HTTP front for the yolomq cluster. It is a client of the broker like any
 * other: detections go over ZeroMQ through the client SDK; the dashboard and /v1/models read the
 * broker's HTTP /status. It never reads process.env and never exits the process (main.ts does).
 */
import { connect } from '@yolomq/client';
import { buildApp } from './app.js';
import { readBrokerMetrics, readBrokerStatus } from './broker-status.js';
import type { GatewayConfig } from './config.js';
import type { Logger } from './logger.js';

export interface GatewayHandle {
  /** the port the HTTP server listens on (useful when config.port is 0) */
  readonly port: number;
  /** e.g. http://127.0.0.1:8081 */
  readonly url: string;
  /** stops accepting requests, lets those in flight finish, then closes the broker connection */
  close(): Promise<void>;
}

/** How long one read of the broker's /status may take. */
const STATUS_TIMEOUT_MS = 2000;

export async function startGateway(config: GatewayConfig, logger: Logger): Promise<GatewayHandle> {
  // verify: false: the gateway starts (and answers /healthz) while the broker is still coming up;
  // /readyz reports whether it answers.
  const client = await connect(config.broker, {
    verify: false,
    timeoutMs: config.requestTimeoutMs,
    retries: 0,
    maxImageBytes: config.maxBodyBytes,
    logger: logger.child({ component: 'sdk' }),
    ...(config.curve === undefined ? {} : { curve: config.curve }),
  });
  const { app } = await buildApp({
    config,
    logger: logger.child({ component: 'http' }),
    detector: client,
    readStatus: () => readBrokerStatus(config.brokerHttp, STATUS_TIMEOUT_MS),
    readMetrics: () => readBrokerMetrics(config.brokerHttp, STATUS_TIMEOUT_MS),
  });
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (err) {
    await client.close();
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const url = `http://${shownHost}:${port}`;
  logger.info({ url, broker: config.broker, brokerHttp: config.brokerHttp }, 'gateway listening');

  let closing: Promise<void> | undefined;
  return {
    port,
    url,
    close() {
      closing ??= (async () => {
        await app.close();
        await client.close();
        logger.info('gateway closed');
      })();
      return closing;
    },
  };
}
