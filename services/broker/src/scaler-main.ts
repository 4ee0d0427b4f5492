/**
 * yolomq-scaler: the docker actuator as its own process (the compose file's optional `scaler` service),
 * so the broker never needs the Docker socket. It subscribes to the broker's desired worker counts
 * (the PUB endpoint, YOLOMQ_SCALER_SUBSCRIBE) and moves the compose service's containers (or the
 * Swarm service's replicas) to match. Scale-down relies on the worker's own graceful stop: on SIGTERM
 * it finishes the jobs it runs, hands back the ones it had not started (the broker requeues them) and
 * says DISCONNECT, so no request is lost without the broker's help.
 */

import { DESIRED_TOPIC, decodeDesired } from '@yolomq/protocol';
import { config as loadDotenv } from 'dotenv';
import { Subscriber } from 'zeromq';
import { DRAIN_TIMEOUT_MS } from './autoscale/actuators/actuator.js';
import { DockerActuator, dockerEngine } from './autoscale/actuators/docker.js';
import { parseBrokerConfig } from './config.js';
import { createLogger } from './logger.js';

loadDotenv({ quiet: true });
const parsed = parseBrokerConfig(process.env);
if (!parsed.ok || parsed.config.scaler?.kind !== 'docker') {
  const message = parsed.ok
    ? 'YOLOMQ_SCALER: the scaler service runs the docker actuator, set it to docker (the process actuator runs inside the broker)'
    : parsed.message;
  process.stderr.write(`${message}\nSee .env.example for every variable and its default.\n`);
  process.exit(1);
}
const { scaler, logLevel } = parsed.config;
const logger = createLogger(logLevel, 'scaler');

const actuator = new DockerActuator(
  {
    model: scaler.model,
    project: scaler.dockerProject,
    service: scaler.dockerService,
    drainTimeoutMs: DRAIN_TIMEOUT_MS,
  },
  undefined,
  logger,
  dockerEngine(scaler.dockerSocket),
);
const subscriber = new Subscriber({ linger: 0 });
subscriber.connect(scaler.subscribe);
subscriber.subscribe(DESIRED_TOPIC);
logger.info({ subscribe: scaler.subscribe, service: scaler.dockerService }, 'scaler running');

let stopping = false;
const stop = (signal: NodeJS.Signals) => {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'scaler stopping');
  subscriber.close();
  actuator.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

try {
  for await (const frames of subscriber) {
    const decoded = decodeDesired(frames);
    if (!decoded.ok) {
      logger.warn({ problem: decoded.error.message }, 'ignored a malformed desired-count message');
      continue;
    }
    actuator.reconcile(decoded.value.model, decoded.value.desiredWorkers);
  }
} catch (error) {
  if (!stopping) {
    logger.fatal({ err: error }, 'scaler subscription failed');
    process.exit(1);
  }
}
