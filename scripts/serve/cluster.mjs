// A whole yolomq cluster on this machine: one broker and M workers, as attached threads of this process
// or as child processes. Every unit talks to the others over tcp on loopback, exactly as containers or
// separate machines would; the launcher only starts units, merges their logs and stops them in order.
import { formatLine } from './log-format.mjs';
import { startProcessUnit, startThreadUnit } from './units.mjs';

/** A worker that dies this soon after starting is misconfigured (bad model, bad env): not restarted. */
const STARTUP_FAILURE_MS = 5000;
const RESTART_DELAY_MS = 1000;
const BROKER_GRACE_MS = 20_000;
const WORKER_GRACE_MS = 10_000;

/** "tcp://0.0.0.0:5556" (a bind address) -> "tcp://127.0.0.1:5556" (where a local peer connects). */
export function connectAddress(bind) {
  const m = /^tcp:\/\/(.+):(\d+)$/.exec(bind);
  if (!m) throw new Error(`cannot derive a connect address from ${bind}: use tcp://host:port with a fixed port`);
  const host = m[1] === '0.0.0.0' || m[1] === '*' ? '127.0.0.1' : m[1] === '[::]' ? '[::1]' : m[1];
  return `tcp://${host}:${m[2]}`;
}

/** The msg of a pino JSON line, or the line itself. */
function messageOf(line) {
  try {
    const entry = JSON.parse(line);
    return typeof entry?.msg === 'string' ? entry.msg : line;
  } catch {
    return line;
  }
}

/**
 * Starts the cluster. Returns { ready, done, stop }: `ready` resolves once the broker listens and every
 * worker has reported ready; `done` resolves with the exit status once everything has stopped;
 * `stop()` stops the broker (it drains accepted requests while the workers are still up), then the workers.
 */
export function startCluster({ mode, workers, env, entries, print, color = false }) {
  const frontendBind = env.YOLOMQ_FRONTEND_BIND || 'tcp://0.0.0.0:5555';
  const backendBind = env.YOLOMQ_BACKEND_BIND || 'tcp://0.0.0.0:5556';
  const httpPort = env.YOLOMQ_HTTP_PORT || '8080';
  const brokerEnv = { ...env, YOLOMQ_FRONTEND_BIND: frontendBind, YOLOMQ_BACKEND_BIND: backendBind };
  const workerEnv = { ...env, YOLOMQ_BROKER_BACKEND: connectAddress(backendBind) };
  // The HTTP gateway and dashboard: a client of the broker like any other (started when it is built).
  const withGateway = Boolean(entries.gateway) && env.YOLOMQ_SERVE_GATEWAY !== '0';
  const gatewayPort = env.YOLOMQ_GATEWAY_PORT || '8081';
  const gatewayEnv = {
    ...env,
    YOLOMQ_BROKER: connectAddress(frontendBind),
    YOLOMQ_BROKER_HTTP: `http://127.0.0.1:${httpPort}`,
  };
  const names = [
    'broker',
    ...Array.from({ length: workers }, (_, i) => `worker-${i + 1}`),
    ...(withGateway ? ['gateway'] : []),
  ];
  const width = Math.max('serve'.length, ...names.map((n) => n.length));
  const say = (text) => print(formatLine('serve', text, { width, color, colorIndex: names.length }));

  let stopping = false;
  let failed = false;
  const units = new Map();
  const readyWorkers = new Set();
  let resolveBrokerUp;
  let resolveReady;
  const brokerUp = new Promise((resolve) => {
    resolveBrokerUp = resolve;
  });
  const ready = new Promise((resolve) => {
    resolveReady = resolve;
  });
  let resolveDone;
  const done = new Promise((resolve) => {
    resolveDone = resolve;
  });

  function start(name) {
    const service = name === 'broker' || name === 'gateway' ? name : 'worker';
    const unitEnv = service === 'broker' ? brokerEnv : service === 'gateway' ? gatewayEnv : { ...workerEnv };
    const colorIndex = names.indexOf(name);
    const onLine = (line) => {
      print(formatLine(name, line, { width, color, colorIndex }));
      const msg = messageOf(line);
      if (service === 'broker' && /listening/i.test(msg)) resolveBrokerUp();
      if (service === 'worker' && /\bready\b/i.test(msg) && !readyWorkers.has(name)) {
        readyWorkers.add(name);
        if (readyWorkers.size === workers) resolveReady();
      }
    };
    const startedAt = Date.now();
    const unit =
      mode === 'threads'
        ? startThreadUnit({ name, service, env: unitEnv, onLine })
        : startProcessUnit({ name, entry: entries[service], env: unitEnv, onLine });
    units.set(name, unit);
    unit.exited.then(({ code, signal }) => {
      if (stopping) return;
      const how = signal ? `signal ${signal}` : `code ${code}`;
      if (service !== 'worker') {
        say(`${name} exited unexpectedly (${how}): stopping the cluster`);
        failed = true;
        void stop();
      } else if (Date.now() - startedAt < STARTUP_FAILURE_MS) {
        say(`${name} exited during start-up (${how}); see its lines above. Stopping the cluster.`);
        failed = true;
        void stop();
      } else {
        readyWorkers.delete(name);
        say(`${name} exited (${how}); restarting it in ${RESTART_DELAY_MS} ms`);
        setTimeout(() => stopping || start(name), RESTART_DELAY_MS);
      }
    });
  }

  let stopped;
  function stop() {
    stopped ??= (async () => {
      stopping = true;
      say('stopping: broker first (it drains accepted requests), then the workers');
      const results = new Map();
      // The gateway goes first of all: no new HTTP requests once the cluster is stopping.
      const gateway = units.get('gateway');
      if (gateway) results.set('gateway', await gateway.stop(BROKER_GRACE_MS));
      const broker = units.get('broker');
      if (broker) results.set('broker', await broker.stop(BROKER_GRACE_MS));
      await Promise.all(
        [...units.entries()]
          .filter(([name]) => name !== 'broker' && name !== 'gateway')
          .map(async ([name, unit]) => results.set(name, await unit.stop(WORKER_GRACE_MS))),
      );
      const unclean = [...results].filter(([, r]) => r.code !== 0);
      for (const [name, r] of unclean) say(`${name} ended with ${r.signal ? `signal ${r.signal}` : `code ${r.code}`}`);
      say(unclean.length === 0 && !failed ? 'stopped cleanly' : 'stopped');
      const status = failed || unclean.length > 0 ? 1 : 0;
      resolveDone(status);
      return status;
    })();
    return stopped;
  }

  /** Forced stop: no draining, every unit ended at once. */
  async function kill() {
    stopping = true;
    await Promise.all([...units.values()].map((unit) => unit.kill()));
  }

  say(`starting a broker and ${workers} worker${workers === 1 ? '' : 's'} as ${mode}`);
  start('broker');
  const brokerTimeout = setTimeout(() => {
    if (!stopping) {
      say('the broker did not report "listening" within 30 s: stopping');
      failed = true;
      void stop();
    }
  }, 30_000);
  brokerUp.then(() => {
    clearTimeout(brokerTimeout);
    if (stopping) return;
    for (const name of names.slice(1)) start(name);
    if (workers === 0) resolveReady();
  });
  ready.then(() => {
    if (stopping) return;
    const frontend = connectAddress(frontendBind);
    say(
      `ready: clients -> ${frontend}   workers -> ${workerEnv.YOLOMQ_BROKER_BACKEND}   ` +
        `http://127.0.0.1:${httpPort}/status (also /healthz /readyz /metrics)   ` +
        (withGateway ? `dashboard + HTTP API -> http://127.0.0.1:${gatewayPort}/   ` : '') +
        `${workers} worker(s) as ${mode}; Ctrl-C stops`,
    );
  });
  return { ready, done, stop, kill, units };
}
