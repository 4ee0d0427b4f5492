/**
 * The autoscaler's imperative shell inside the broker: one interval timer that measures every model
 * (from the scheduler's state and the events the MeteredSink and the frontend loop report), runs the
 * policy, publishes each decision on the PUB socket, exports it as gauges, and hands it to the
 * actuator. Also the broker's side of the actuator contract (WorkerControl): stop routing to a worker,
 * report what it still holds.
 */
import { Gauge, type Registry } from 'prom-client';
import type { BrokerStatus, QueueStatus } from '../http/status.js';
import { modelSummaries } from '../http/status.js';
import type { Logger } from '../logger.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import type { Actuator, ActuatorCounts, WorkerControl } from './actuators/actuator.js';
import { DRAIN_TIMEOUT_MS, noActuator, workerModelName } from './actuators/actuator.js';
import { DockerActuator, dockerEngine } from './actuators/docker.js';
import { ProcessActuator } from './actuators/process.js';
import type { Autoscaler, ModelScaling } from './autoscaler.js';
import type { ScalerConfig } from './config.js';
import { DesiredPublisher } from './publisher.js';

export interface AutoscaleShell {
  readonly autoscaler: Autoscaler;
  /** the PUB endpoint actually bound (undefined: not publishing) */
  readonly publishing: string | undefined;
  /** Adds the autoscaler's numbers to a /status document (queues[] fields and an `autoscale` section). */
  decorateStatus(status: BrokerStatus): BrokerStatus & { autoscale: AutoscaleStatus };
  /** Stops the actuator's workers (after the broker drained), the timer and the PUB socket. */
  close(): Promise<void>;
}

export interface AutoscaleStatus {
  scaler: string;
  model: string | null;
  publish: string | null;
  policy: ScalerConfig['policy'];
  actuator: ActuatorCounts;
}

/** /status queue fields added by the autoscaler. */
export type QueueScaling = Omit<ModelScaling, 'model' | 'queued' | 'inflight' | 'liveWorkers'>;

export interface AutoscaleDeps {
  scheduler: Scheduler;
  /** the endpoint workers connect to (the backend bind with a wildcard host made loopback) */
  backend: string;
  registry: Registry;
  logger: Logger;
  clock: () => number;
}

/** The broker's side of the actuator contract, over the scheduler's worker registry. */
export function workerControl(scheduler: Scheduler): WorkerControl {
  const key = (workerId: string) => Buffer.from(workerId, 'utf8').toString('latin1');
  return {
    liveWorkers: (model) => scheduler.workers.forModel(model).map((w) => w.info.workerId),
    stopRouting(workerId) {
      const worker = scheduler.workers.get(key(workerId));
      if (worker === undefined) return false;
      // the scheduler's leastLoaded() skips a worker that is not accepting: no new job goes to it
      worker.accepting = false;
      return true;
    },
    inflight: (workerId) => scheduler.workers.get(key(workerId))?.inflight,
  };
}

/** A bind address as a connect address: tcp://0.0.0.0:5556 and tcp://*:5556 become tcp://127.0.0.1:5556. */
export function connectAddress(bound: string): string {
  return bound.replace(/^tcp:\/\/(0\.0\.0\.0|\*|\[::\])(?=:)/, 'tcp://127.0.0.1');
}

export async function startAutoscale(
  config: ScalerConfig,
  autoscaler: Autoscaler,
  workerEnv: Record<string, string | undefined>,
  deps: AutoscaleDeps,
): Promise<AutoscaleShell> {
  const log = deps.logger.child({ component: 'autoscale' });
  const { scheduler } = deps;

  let publisher: DesiredPublisher | undefined;
  let publishing: string | undefined;
  if (config.pubBind !== undefined) {
    const pub = new DesiredPublisher();
    try {
      publishing = await pub.bind(config.pubBind);
      publisher = pub;
    } catch (error) {
      pub.close();
      if (config.pubBindExplicit) throw error;
      // the default endpoint is taken (another broker on this host): run without publishing
      log.warn(
        { endpoint: config.pubBind, err: error },
        'desired worker counts are not published: the default YOLOMQ_SCALER_PUB_BIND is in use (set a free endpoint, or off)',
      );
    }
  }

  // the process actuator's workers get the broker's environment, so they serve the model it names
  const spawnedModel = config.kind === 'process' ? workerModelName(workerEnv) : undefined;
  const control = workerControl(scheduler);
  let actuator: Actuator = noActuator;
  // the docker actuator's workers serve what their containers say (read once the engine answers)
  let dockerActuator: DockerActuator | undefined;
  const scaledModel = () => config.model ?? dockerActuator?.knownModel ?? scheduler.defaultModel ?? spawnedModel;
  if (config.kind === 'process') {
    const model = scaledModel();
    if (model === undefined) {
      publisher?.close();
      throw new Error(
        "YOLOMQ_SCALER=process needs the model to scale: set YOLOMQ_SCALER_MODEL, YOLOMQ_DEFAULT_MODEL or YOLOMQ_MODEL (the workers' model file)",
      );
    }
    actuator = new ProcessActuator(
      {
        model,
        workerScript: config.workerScript,
        env: workerEnv,
        backend: deps.backend,
        drainTimeoutMs: DRAIN_TIMEOUT_MS,
      },
      control,
      deps.logger,
    );
  } else if (config.kind === 'docker') {
    // the service's workers may serve a model this broker has not heard of yet: the actuator reads it
    // from their containers unless YOLOMQ_SCALER_MODEL names it
    const docker = new DockerActuator(
      {
        model: config.model,
        project: config.dockerProject,
        service: config.dockerService,
        drainTimeoutMs: DRAIN_TIMEOUT_MS,
      },
      control,
      deps.logger,
      dockerEngine(config.dockerSocket),
    );
    actuator = dockerActuator = docker;
  }
  let servedModelWarned = false;

  const gaugeNames: string[] = [];
  const gauge = (name: string, help: string, pick: (s: ModelScaling) => number | null) => {
    gaugeNames.push(name);
    new Gauge({
      name,
      help,
      labelNames: ['model'],
      registers: [deps.registry],
      collect() {
        this.reset();
        for (const s of autoscaler.all()) {
          const v = pick(s);
          if (v !== null) this.set({ model: s.model }, v);
        }
      },
    });
  };
  gauge('yolomq_desired_workers', 'Workers the autoscaling policy wants for the model', (s) => s.desiredWorkers);
  gauge(
    'yolomq_littles_law_workers',
    "Little's law cross-check: ceil(arrival rate x service time / target)",
    (s) => s.littleWorkers,
  );
  gauge(
    'yolomq_ongoing_requests',
    'Queued plus in-flight requests, smoothed (what the policy divides by target)',
    (s) => s.ongoing,
  );
  gauge('yolomq_arrival_rate', 'Requests accepted per second (EMA)', (s) => s.arrivalRate);
  gauge('yolomq_completion_rate', 'Requests answered per second (EMA)', (s) => s.completionRate);
  gauge('yolomq_service_time_mean_seconds', 'Mean dispatch-to-result time of the latest requests', (s) =>
    s.serviceTimeMeanMs === null ? null : s.serviceTimeMeanMs / 1000,
  );
  gauge('yolomq_service_time_p95_seconds', '95th percentile dispatch-to-result time of the latest requests', (s) =>
    s.serviceTimeP95Ms === null ? null : s.serviceTimeP95Ms / 1000,
  );
  gauge('yolomq_active_clients', 'Distinct clients seen in the sliding window', (s) => s.activeClients);
  gauge('yolomq_utilisation', 'In-flight requests / total credit of the live workers', (s) => s.utilisation);

  const tick = () => {
    try {
      const now = deps.clock();
      for (const m of scheduler.knownModels()) {
        if (m.queue.count > 0)
          for (const key of m.queue.depthByClient().keys()) autoscaler.clientSeen(m.name, key, now);
      }
      // never awaited: start-up and ticks do not wait for the engine (concurrent asks share one lookup)
      if (dockerActuator !== undefined && dockerActuator.knownModel === undefined) {
        dockerActuator.servedModel().catch((error: unknown) => {
          if (servedModelWarned) return;
          servedModelWarned = true;
          log.warn({ err: error }, 'the docker actuator cannot tell the served model yet; it asks again every tick');
        });
      }
      const model = scaledModel();
      const models = modelSummaries(scheduler);
      // the scaled model before the scheduler knows it (no worker yet, no YOLOMQ_DEFAULT_MODEL): zero load, so
      // the policy asks for min workers and the actuator starts them
      if (model !== undefined && !models.some((m) => m.model === model)) {
        models.push({ model, queued: 0, queuedBytes: 0, clients: 0, inflight: 0, liveWorkers: 0, credit: 0 });
      }
      const decisions = autoscaler.tick(now, models);
      for (const d of decisions) {
        publisher?.publish(d);
        if (d.model === model) actuator.reconcile(d.model, d.desiredWorkers);
      }
    } catch (error) {
      log.error({ err: error }, 'autoscale tick failed');
    }
  };
  const timer = setInterval(tick, config.intervalMs);
  tick();

  log.info(
    { scaler: config.kind, model: scaledModel() ?? null, publish: publishing ?? null, policy: config.policy },
    'autoscaler running',
  );

  return {
    autoscaler,
    publishing,
    decorateStatus(status) {
      const queues = status.queues.map((q: QueueStatus) => {
        const s = autoscaler.scaling(q.model);
        if (s === undefined) return { ...q, desiredWorkers: null };
        const { model: _m, queued: _q, inflight: _i, liveWorkers: _l, ...rest } = s;
        return { ...q, ...rest };
      });
      return {
        ...status,
        queues,
        autoscale: {
          scaler: config.kind,
          model: scaledModel() ?? null,
          publish: publishing ?? null,
          policy: config.policy,
          actuator: actuator.counts(),
        },
      };
    },
    async close() {
      clearInterval(timer);
      await actuator.close();
      publisher?.close();
      for (const name of gaugeNames) deps.registry.removeSingleMetric(name);
    },
  };
}
