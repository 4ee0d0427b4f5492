/**
 * startBroker: the imperative shell around the scheduler. Two ROUTER receive loops (sockets/) feed
 * messages through Inbound (decoding) to the scheduler with the current time; one heartbeat interval
 * and one deadline timer drive time; the scheduler's decisions come back through BrokerEffects. Never reads process.env and
 * never exits the process, so it can run in a worker_thread or a test.
 *
 * The broker is not a zmq_proxy: it must choose the worker, hold requests when none is free, and track
 * credits, heartbeats and deadlines, so it is its own loop over two ROUTER sockets (the poller pattern,
 * written as two async receive loops).
 */
import { randomBytes } from 'node:crypto';
import { Autoscaler } from './autoscale/autoscaler.js';
import { defaultScalerConfig } from './autoscale/config.js';
import { MeteredSink } from './autoscale/metered-sink.js';
import { type AutoscaleShell, connectAddress, startAutoscale } from './autoscale/shell.js';
import type { BrokerConfig } from './config.js';
import { BrokerEffects } from './effects.js';
import { BrokerMetrics } from './http/metrics.js';
import { startHttpServer } from './http/server.js';
import { buildStatus, modelSummaries } from './http/status.js';
import { Inbound } from './inbound.js';
import { type Logger, LogRateLimiter } from './logger.js';
import { Scheduler } from './scheduler/scheduler.js';
import { CLIENTS_DOMAIN, loadCurveMaterial, WORKERS_DOMAIN } from './security/curve-config.js';
import { startZapHandler, type ZapHandler } from './security/zap.js';
import { RouterEndpoint } from './sockets/router-endpoint.js';

export const BROKER_VERSION = '0.1.0';

export interface BrokerHandle {
  /** the endpoints actually bound (a `*` port resolved) */
  readonly frontend: string;
  readonly backend: string;
  readonly http: { host: string; port: number };
  /**
   * Graceful shutdown: new requests are answered SHUTTING_DOWN, accepted ones get up to the drain
   * timeout to finish, the rest are answered SHUTTING_DOWN, workers are told DISCONNECT, and every
   * socket, timer and the HTTP server are closed. Idempotent.
   */
  close(): Promise<void>;
  /** the scheduler, read-only use (status, tests) */
  readonly scheduler: Scheduler;
}

const SEND_LINGER_MS = 1000;

/** Monotonic clock in ms: every time the scheduler sees comes from here. */
const clock = () => performance.now();

export async function startBroker(config: BrokerConfig, logger: Logger): Promise<BrokerHandle> {
  const log = logger.child({ component: 'broker' });
  const startedAt = clock();
  // CurveZMQ: the key and allow-lists are read before any socket exists; a ZAP handler (same context)
  // admits only listed public keys, clients and workers each from their own list.
  let zap: ZapHandler | undefined;
  let curveSecretKey: string | undefined;
  if (config.curve !== undefined) {
    const material = loadCurveMaterial(config.curve);
    if (!material.ok) throw new Error(`CurveZMQ: ${material.message}`);
    curveSecretKey = material.value.secretKey;
    zap = await startZapHandler(material.value.allow, log);
  }
  const curveFor = (zapDomain: string) =>
    curveSecretKey === undefined ? undefined : { secretKey: curveSecretKey, zapDomain };
  const malformedLog = new LogRateLimiter(10, 10_000);
  let healthy = true;

  const onSendError = (socket: 'frontend' | 'backend') => (routingId: Buffer, error: unknown) => {
    const code = (error as { code?: string }).code;
    if (socket === 'backend' && (code === 'EHOSTUNREACH' || code === 'EAGAIN')) {
      // The worker's connection is gone (or it stopped reading): drop it now and re-send its requests.
      scheduler.workerUnreachable(routingId.toString('latin1'), clock());
      return;
    }
    if (malformedLog.allow(`send-${socket}`, clock()) >= 0) log.warn({ socket, code, err: error }, 'send failed');
  };
  const frontend = new RouterEndpoint(
    'frontend',
    {
      // Twice the image limit: an image up to 2x over it still arrives whole and is answered
      // IMAGE_TOO_LARGE; a frame beyond that gets its connection dropped by libzmq before it is buffered.
      maxMessageSize: Math.min(2_147_483_647, config.maxMessageBytes * 2),
      // Replies are bounded per client by YOLOMQ_MAX_INFLIGHT_PER_CLIENT; leave room for them and PONGs.
      sendHighWaterMark: Math.max(1000, config.maxInflightPerClient * 2),
      mandatory: false,
      lingerMs: SEND_LINGER_MS,
      curve: curveFor(CLIENTS_DOMAIN),
    },
    onSendError('frontend'),
  );
  const backend = new RouterEndpoint(
    'backend',
    {
      maxMessageSize: config.maxMessageBytes,
      // Unlimited: what a worker is sent is bounded by its credit (<= 1024 jobs) plus heartbeats.
      sendHighWaterMark: 0,
      mandatory: true,
      lingerMs: SEND_LINGER_MS,
      curve: curveFor(WORKERS_DOMAIN),
    },
    onSendError('backend'),
  );

  // The closures below read `scheduler` only when called (on scrape, on events), after it exists.
  const metrics: BrokerMetrics = new BrokerMetrics({
    models: () => modelSummaries(scheduler),
    clients: () => scheduler.clients.size,
  });
  const effects: BrokerEffects = new BrokerEffects(
    frontend,
    backend,
    metrics,
    log,
    (name: string): boolean => scheduler.model(name) !== undefined,
  );
  // without YOLOMQ_SCALER_* (a config built in code): measure and decide for /status and /metrics only
  const scalerConfig = config.scaler ?? { ...defaultScalerConfig(), pubBind: undefined };
  const autoscaler = new Autoscaler({ policy: scalerConfig.policy, clientWindowMs: scalerConfig.clientWindowMs });
  const scheduler: Scheduler = new Scheduler(
    {
      defaultModel: config.defaultModel,
      models: config.models,
      maxRetries: config.maxRetries,
      defaultTimeoutMs: config.defaultTimeoutMs,
      queueMaxRequests: config.queueMaxRequests,
      queueMaxBytes: config.queueMaxBytes,
      maxInflightPerClient: config.maxInflightPerClient,
      maxQueuedBytesPerClient: config.maxQueuedBytesPerClient,
      startupGraceMs: config.startupGraceMs,
      startedAt,
      heartbeatMs: config.heartbeatMs,
      heartbeatLiveness: config.heartbeatLiveness,
      jobIdPrefix: `${randomBytes(3).toString('hex')}.`,
    },
    new MeteredSink(effects, autoscaler),
  );

  // ---- time: one deadline timer armed for the earliest due time, one heartbeat interval ----------

  let deadlineTimer: NodeJS.Timeout | undefined;
  let deadlineTimerAt = Number.POSITIVE_INFINITY;
  const onDeadlineTimer = () => {
    deadlineTimer = undefined;
    deadlineTimerAt = Number.POSITIVE_INFINITY;
    scheduler.expire(clock());
    armDeadlineTimer();
  };
  /** Re-arms only when the earliest due time moved earlier than the armed one (rare: not per request). */
  const armDeadlineTimer = () => {
    const due = scheduler.nextDue();
    if (due >= deadlineTimerAt) return;
    if (deadlineTimer !== undefined) clearTimeout(deadlineTimer);
    deadlineTimerAt = due;
    deadlineTimer = setTimeout(onDeadlineTimer, Math.max(0, Math.ceil(due - clock())));
  };
  const heartbeatTimer = setInterval(() => scheduler.tick(clock()), config.heartbeatMs);

  // ---- the two receive loops ---------------------------------------------------------------------

  const inbound = new Inbound({
    scheduler,
    frontend,
    metrics,
    log,
    limiter: malformedLog,
    maxImageBytes: config.maxMessageBytes,
    clock,
    onRequest: armDeadlineTimer,
  });

  const onHandlerError = (socket: string) => (error: unknown) => {
    if (malformedLog.allow(`handler-${socket}`, clock()) >= 0) {
      log.error({ socket, err: error }, 'internal error while handling a message');
    }
  };

  let frontendAddress: string;
  let backendAddress: string;
  try {
    frontendAddress = await frontend.bind(config.frontendBind);
    backendAddress = await backend.bind(config.backendBind);
  } catch (error) {
    clearInterval(heartbeatTimer);
    frontend.close();
    backend.close();
    await zap?.close();
    throw error;
  }

  const loopEnded = (socket: string) => (error?: unknown) => {
    if (closing) return;
    healthy = false;
    log.fatal({ socket, err: error }, 'receive loop ended unexpectedly');
  };
  let closing = false;
  const frontendLoop = frontend.run(inbound.client, onHandlerError('frontend')).then(
    () => loopEnded('frontend')(),
    (e) => loopEnded('frontend')(e),
  );
  const backendLoop = backend.run(inbound.worker, onHandlerError('backend')).then(
    () => loopEnded('backend')(),
    (e) => loopEnded('backend')(e),
  );

  const readiness = () => {
    if (closing || scheduler.isDraining) return { ready: false, reason: 'shutting down' };
    const model = scheduler.defaultModel;
    if (model === undefined) return { ready: false, reason: 'no default model yet: no worker has registered' };
    const live = scheduler.workers.forModel(model).length;
    return live > 0
      ? { ready: true, reason: `${live} worker(s) serve the default model ${model}` }
      : { ready: false, reason: `no live worker serves the default model ${model}` };
  };

  let autoscale: AutoscaleShell;
  try {
    autoscale = await startAutoscale(scalerConfig, autoscaler, config.workerEnv ?? {}, {
      scheduler,
      backend: connectAddress(backendAddress),
      registry: metrics.registry,
      logger,
      clock,
    });
  } catch (error) {
    closing = true;
    clearInterval(heartbeatTimer);
    frontend.close();
    backend.close();
    await zap?.close();
    throw error;
  }

  let http: Awaited<ReturnType<typeof startHttpServer>>;
  try {
    http = await startHttpServer(config.httpHost, config.httpPort, {
      healthy: () => healthy && !frontend.socket.closed && !backend.socket.closed,
      readiness,
      status: () =>
        autoscale.decorateStatus(
          buildStatus(scheduler, clock(), {
            version: BROKER_VERSION,
            startedAt,
            frontend: frontendAddress,
            backend: backendAddress,
          }),
        ),
      metrics: () => metrics.text(),
      metricsContentType: metrics.contentType,
    });
  } catch (error) {
    closing = true;
    await autoscale.close();
    clearInterval(heartbeatTimer);
    frontend.close();
    backend.close();
    throw error;
  }

  log.info(
    {
      frontend: frontendAddress,
      backend: backendAddress,
      http: `http://${http.host}:${http.port}`,
      defaultModel: config.defaultModel ?? null,
      models: config.models,
      curve: config.curve !== undefined,
    },
    'broker listening',
  );

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      scheduler.beginDrain();
      const drainStart = clock();
      log.info({ pending: scheduler.active, drainTimeoutMs: config.drainTimeoutMs }, 'draining');
      while (scheduler.active > 0 && clock() - drainStart < config.drainTimeoutMs) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const unfinished = scheduler.active;
      // the actuator's workers are stopped (gracefully) once accepted requests are done
      await autoscale.close();
      scheduler.abortAll(clock());
      scheduler.disconnectAll();
      closing = true;
      clearInterval(heartbeatTimer);
      if (deadlineTimer !== undefined) clearTimeout(deadlineTimer);
      frontend.close();
      backend.close();
      await Promise.all([frontendLoop, backendLoop]);
      await http.close();
      await zap?.close();
      log.info({ unfinished, drainedMs: Math.round(clock() - drainStart) }, 'broker stopped');
    })();
    return closed;
  };

  return {
    frontend: frontendAddress,
    backend: backendAddress,
    http: { host: http.host, port: http.port },
    close,
    scheduler,
  };
}
