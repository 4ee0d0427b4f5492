// What runs inside each attached thread of `yolomq serve`: the service's own wiring, thread-shaped.
// It does what the service's main.js does in a process (parse the config from this thread's own copy
// of the environment, make the logger, call start<Service>(config, logger)), with two differences a
// thread needs: the logger writes to the thread's stdout (the launcher reads it and merges the lines),
// and the stop request arrives as a message from the launcher (signals are not delivered to threads).
// The service code itself (start<Service> and everything under it) is exactly what a process or a
// container runs.
import { parentPort, workerData } from 'node:worker_threads';
import { pino } from 'pino';

const SERVICES = {
  broker: { module: '@yolomq/broker', parse: 'parseBrokerConfig', start: 'startBroker' },
  worker: { module: '@yolomq/worker', parse: 'parseWorkerConfig', start: 'startWorker' },
  gateway: { module: '@yolomq/gateway', parse: 'parseGatewayConfig', start: 'startGateway' },
};

async function run() {
  const { service } = workerData;
  const spec = SERVICES[service];
  const mod = await import(spec.module);
  const parse = mod[spec.parse];
  const start = mod[spec.start];
  if (typeof parse !== 'function' || typeof start !== 'function') {
    throw new Error(`${spec.module} does not export ${spec.parse}() and ${spec.start}()`);
  }
  const parsed = parse(process.env);
  if (!parsed.ok) {
    process.stderr.write(`${parsed.message}\nSee .env.example for every variable and its default.\n`);
    process.exitCode = 1;
    return;
  }
  const logger = pino(
    { name: service, level: parsed.config.logLevel ?? 'info', base: { pid: process.pid, service } },
    process.stdout,
  );
  let handle;
  try {
    handle = await start(parsed.config, logger);
  } catch (err) {
    logger.fatal({ err }, `${service} failed to start`);
    process.exitCode = 1;
    return;
  }
  parentPort.on('message', async (message) => {
    if (message?.type !== 'stop') return;
    logger.info({ signal: 'stop (launcher)' }, 'shutting down');
    try {
      await handle.close();
    } catch (err) {
      logger.error({ err }, 'shutdown failed');
      process.exitCode = 1;
    }
    // nothing else keeps the thread alive once the service has closed its sockets and timers
    parentPort.close();
  });
}

await run();
