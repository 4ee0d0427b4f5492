/**
 * YOLOMQ_SCALER=docker: scales the worker service through the Docker Engine API (dockerode on the
 * socket), the way `docker compose up --scale worker=N` does, or, when the project runs as a Swarm
 * stack, by setting the service's replicas.
 *
 * Compose: the service's containers are the ones with the compose labels of the project and service.
 * Scale-up starts the stopped ones first, then creates new containers from a running one's config
 * (image, env, mounts, restart policy, init, networks with the service alias, labels with the next
 * container number), named as the compose version in use names them; compose then sees them as its
 * own (`docker compose ps`, `down`). Scale-down takes the highest numbers first (as compose does), or
 * with the broker at hand the ones holding the fewest jobs: the broker stops routing to the worker and
 * waits for its jobs, then the container is stopped (SIGTERM: the worker finishes what it holds, hands
 * back what it had not started, says DISCONNECT) and removed. The last container is stopped but kept,
 * so scaling back from zero has a config to copy.
 *
 * Each reconcile is one pass over the engine's state; passes never overlap and stops run in the
 * background, so a slow engine never blocks the broker's loop.
 */
import { hostname } from 'node:os';
import Docker from 'dockerode';
import type { Logger } from '../../logger.js';
import { type Actuator, type ActuatorCounts, type WorkerControl, workerModelName } from './actuator.js';

/** The Engine API on a unix socket. Calls time out, so a hung engine delays a pass but never stops scaling. */
export function dockerEngine(socketPath: string): Docker {
  // the longest call is a stop, which the engine answers after up to the drain timeout
  return new Docker({ socketPath, timeout: 2 * 60_000 });
}

export interface DockerActuatorOptions {
  /** the model the service's workers serve (decisions for others are ignored); undefined: read from the
   * service's container env (YOLOMQ_MODEL_NAME, else the YOLOMQ_MODEL file's name) */
  model: string | undefined;
  /** the compose project or stack; undefined: the one of the container this code runs in */
  project: string | undefined;
  /** the compose service (stack service without the stack prefix) to scale */
  service: string;
  /** how long a stopped worker may take to finish its jobs before Docker kills it */
  drainTimeoutMs: number;
  /** how often a draining worker's in-flight count is checked (with the broker at hand) */
  pollMs?: number;
}

const LABEL = {
  project: 'com.docker.compose.project',
  service: 'com.docker.compose.service',
  number: 'com.docker.compose.container-number',
  oneoff: 'com.docker.compose.oneoff',
  stack: 'com.docker.stack.namespace',
} as const;

type Target = { kind: 'compose'; project: string } | { kind: 'swarm'; serviceId: string; name: string };

export class DockerActuator implements Actuator {
  readonly kind = 'docker';
  private target: Target | undefined;
  private served: string | undefined;
  /** the lookup of the served model in progress, shared by every caller until it settles */
  private servedLookup: Promise<string> | undefined;
  private busy = false;
  private closing = false;
  private running = 0;
  /** containers being drained and stopped, by id */
  private readonly stopping = new Map<string, Promise<void>>();
  private readonly log: Logger;

  constructor(
    private readonly options: DockerActuatorOptions,
    /** the broker's worker registry; undefined when this runs outside the broker (the scaler service) */
    private readonly control: WorkerControl | undefined,
    logger: Logger,
    private readonly docker: Docker,
  ) {
    this.log = logger.child({ component: 'scaler', actuator: 'docker', service: options.service });
  }

  counts(): ActuatorCounts {
    return { running: this.running, draining: this.stopping.size };
  }

  reconcile(model: string, desired: number): void {
    if (this.closing || this.busy) return;
    // until the served model is known (first pass) a decision for another model is dropped in the pass
    const known = this.knownModel;
    if (known !== undefined && model !== known) return;
    this.busy = true;
    this.pass(model, desired)
      .catch((error: unknown) => this.log.error({ err: error, desired }, 'docker scaling pass failed; retrying'))
      .finally(() => {
        this.busy = false;
      });
  }

  /** Leaves the containers as they are (they outlive the scaler), but waits for stops in progress. */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.allSettled(this.stopping.values());
  }

  /** The project (compose) or service (Swarm) to scale, found once. */
  async resolveTarget(): Promise<Target> {
    if (this.target !== undefined) return this.target;
    let project = this.options.project;
    if (project === undefined) {
      // inside a container its hostname is its short id: its labels name the project or stack
      const own = await this.docker
        .getContainer(hostname())
        .inspect()
        .catch(() => undefined);
      const labels = own?.Config.Labels ?? {};
      project = labels[LABEL.project] ?? labels[LABEL.stack];
      if (project === undefined) {
        throw new Error(
          'YOLOMQ_SCALER_DOCKER_PROJECT is not set and this process does not run in a compose or stack container',
        );
      }
    }
    const info = await this.docker.info();
    if (info.Swarm?.LocalNodeState === 'active' && info.Swarm.ControlAvailable) {
      const name = `${project}_${this.options.service}`;
      const services = await this.docker.listServices({ filters: JSON.stringify({ name: [name] }) });
      const found = services.find((s) => s.Spec?.Name === name);
      if (found?.ID !== undefined) this.target = { kind: 'swarm', serviceId: found.ID, name };
    }
    this.target ??= { kind: 'compose', project };
    this.log.info({ target: this.target }, 'scaling target found');
    return this.target;
  }

  /** The served model once known (configured, or read by servedModel()). */
  get knownModel(): string | undefined {
    return this.options.model ?? this.served;
  }

  /**
   * The model the service serves: configured, else read from a worker container's (or task's) env,
   * once (a failed lookup is tried again by the next caller).
   */
  servedModel(): Promise<string> {
    this.servedLookup ??= this.lookUpServedModel().then(
      (model) => {
        this.served = model;
        return model;
      },
      (error: unknown) => {
        this.servedLookup = undefined;
        throw error;
      },
    );
    return this.servedLookup;
  }

  private async lookUpServedModel(): Promise<string> {
    let model = this.options.model;
    if (model === undefined) {
      const target = await this.resolveTarget();
      let env: string[] = [];
      if (target.kind === 'swarm') {
        const info = await this.docker.getService(target.serviceId).inspect();
        env = info.Spec?.TaskTemplate?.ContainerSpec?.Env ?? [];
      } else {
        const [first] = await this.listService(target.project);
        if (first !== undefined) env = (await this.docker.getContainer(first.Id).inspect()).Config.Env ?? [];
      }
      model = modelOfWorkerEnv(env);
      if (model === undefined) {
        throw new Error(
          `cannot tell which model service ${this.options.service} serves (no container yet, or no YOLOMQ_MODEL in its env): set YOLOMQ_SCALER_MODEL`,
        );
      }
    }
    return model;
  }

  private listService(project: string): Promise<Docker.ContainerInfo[]> {
    return this.docker.listContainers({
      all: true,
      filters: JSON.stringify({
        label: [`${LABEL.project}=${project}`, `${LABEL.service}=${this.options.service}`, `${LABEL.oneoff}=False`],
      }),
    });
  }

  private async pass(model: string, desired: number): Promise<void> {
    if (model !== (await this.servedModel())) return;
    const target = await this.resolveTarget();
    if (target.kind === 'swarm') await this.scaleSwarm(target, desired);
    else await this.scaleCompose(target.project, desired);
  }

  private async scaleSwarm(target: Extract<Target, { kind: 'swarm' }>, desired: number): Promise<void> {
    const service = this.docker.getService(target.serviceId);
    const info = await service.inspect();
    const replicas: number | undefined = info.Spec?.Mode?.Replicated?.Replicas;
    if (replicas === undefined) throw new Error(`Swarm service ${target.name} is not replicated (mode global?)`);
    this.running = replicas;
    if (replicas === desired) return;
    // Swarm stops extra tasks with SIGTERM and the service's stop_grace_period, as a compose stop would
    const spec = { ...info.Spec, Mode: { Replicated: { Replicas: desired } } };
    await service.update({ _query: { version: info.Version.Index }, _body: spec });
    this.running = desired;
    this.log.info({ service: target.name, from: replicas, to: desired }, 'service replicas updated');
  }

  private async scaleCompose(project: string, desired: number): Promise<void> {
    const all = await this.listService(project);
    const number = (c: Docker.ContainerInfo) => Number(c.Labels[LABEL.number] ?? 0);
    const live = all.filter((c) => c.State === 'running' && !this.stopping.has(c.Id));
    this.running = live.length;
    if (live.length < desired) {
      let missing = desired - live.length;
      // stopped containers of the service come back first, lowest numbers first (as compose does)
      const stopped = all
        .filter((c) => c.State !== 'running' && !this.stopping.has(c.Id))
        .sort((a, b) => number(a) - number(b));
      for (const c of stopped.slice(0, missing)) {
        await this.docker.getContainer(c.Id).start();
        this.log.info({ container: c.Names[0], number: number(c) }, 'worker container started');
        missing--;
      }
      if (missing > 0) {
        const template = live[0] ?? all[0];
        if (template === undefined) {
          throw new Error(
            `no container of service ${this.options.service} in project ${project} to copy: start the project (docker compose up) first`,
          );
        }
        let next = Math.max(0, ...all.map(number)) + 1;
        for (; missing > 0; missing--) await this.createFrom(template.Id, project, next++);
      }
      this.running = desired;
    } else if (live.length > desired) {
      const victims = this.pickVictims(live, live.length - desired, number);
      // containers that stay (running or stopped): none left means the last victim is kept as the template
      const staying = all.length - this.stopping.size - victims.length;
      for (const [i, victim] of victims.entries()) {
        const remove = staying > 0 || i < victims.length - 1;
        const done = this.retire(victim, remove).finally(() => this.stopping.delete(victim.Id));
        this.stopping.set(victim.Id, done);
      }
      this.running = desired;
    }
  }

  /** With the broker at hand: fewest held jobs first; else the highest container numbers (compose's order). */
  private pickVictims(
    live: Docker.ContainerInfo[],
    n: number,
    number: (c: Docker.ContainerInfo) => number,
  ): Docker.ContainerInfo[] {
    const held = (c: Docker.ContainerInfo) =>
      this.workersOf(c).reduce((sum, id) => sum + (this.control?.inflight(id) ?? 0), 0);
    return [...live].sort((a, b) => held(a) - held(b) || number(b) - number(a)).slice(0, n);
  }

  /** The broker's ids of the workers running in a container (their default id holds the hostname = short id). */
  private workersOf(container: Docker.ContainerInfo): string[] {
    const model = this.knownModel;
    if (this.control === undefined || model === undefined) return [];
    const prefix = `w-${container.Id.slice(0, 12)}-`;
    return this.control.liveWorkers(model).filter((id) => id.startsWith(prefix));
  }

  /** Drain (with the broker at hand), stop with SIGTERM, and remove unless it is kept as the template. */
  private async retire(victim: Docker.ContainerInfo, remove: boolean): Promise<void> {
    const name = victim.Names[0];
    const workers = this.workersOf(victim);
    if (workers.length > 0) {
      for (const id of workers) this.control?.stopRouting(id);
      this.log.info({ container: name, workers }, 'draining worker container');
      const began = Date.now();
      const holding = () => workers.reduce((sum, id) => sum + (this.control?.inflight(id) ?? 0), 0);
      while (holding() > 0 && Date.now() - began < this.options.drainTimeoutMs) {
        await new Promise((resolve) => setTimeout(resolve, this.options.pollMs ?? 100));
      }
    }
    const container = this.docker.getContainer(victim.Id);
    // SIGTERM, then SIGKILL only after the drain timeout: the worker finishes what it holds
    await container
      .stop({ t: Math.ceil(this.options.drainTimeoutMs / 1000) })
      .catch((error: { statusCode?: number }) => {
        if (error.statusCode !== 304) throw error; // 304: already stopped
      });
    if (remove) await container.remove();
    this.log.info({ container: name, removed: remove }, 'worker container stopped');
  }

  /** A new container of the service from a running one's config, as `docker compose up --scale` makes it. */
  private async createFrom(templateId: string, project: string, number: number): Promise<void> {
    const template = await this.docker.getContainer(templateId).inspect();
    const { Config: c, HostConfig: host } = template;
    const service = this.options.service;
    // compose v1 names containers project_service_N, v2 project-service-N
    const separator = template.Name.endsWith(`${project}_${service}_${template.Config.Labels[LABEL.number]}`)
      ? '_'
      : '-';
    const name = [project, service, number].join(separator);
    const shortId = template.Id.slice(0, 12);
    const networks = Object.entries(template.NetworkSettings.Networks ?? {}).map(([network, settings]) => ({
      network,
      // the service name alias (and any configured ones), not the template's own id
      aliases: (settings.Aliases ?? []).filter(
        (a: string) => a !== shortId && a !== c.Hostname && a !== template.Name.slice(1),
      ),
    }));
    const [first, ...others] = networks;
    const created = await this.docker.createContainer({
      name,
      Image: c.Image,
      Env: c.Env,
      Cmd: c.Cmd,
      Entrypoint: c.Entrypoint,
      WorkingDir: c.WorkingDir,
      User: c.User,
      Labels: { ...c.Labels, [LABEL.number]: String(number) },
      Healthcheck: c.Healthcheck,
      StopSignal: (c as { StopSignal?: string }).StopSignal,
      ExposedPorts: c.ExposedPorts,
      Volumes: c.Volumes,
      HostConfig: host,
      // engines before API 1.44 accept one network at creation: the others are connected after
      NetworkingConfig:
        first === undefined ? undefined : { EndpointsConfig: { [first.network]: { Aliases: first.aliases } } },
    });
    for (const n of others) {
      await this.docker
        .getNetwork(n.network)
        .connect({ Container: created.id, EndpointConfig: { Aliases: n.aliases } });
    }
    await created.start();
    this.log.info({ container: name, number, image: c.Image }, 'worker container created');
  }
}

/** The model a worker container serves, from its env (NAME=value strings), by the worker's own rule. */
export function modelOfWorkerEnv(env: string[]): string | undefined {
  return workerModelName(
    Object.fromEntries(env.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])),
  );
}
