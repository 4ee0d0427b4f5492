/**
 * The docker actuator against an in-memory Engine API stand-in (the dockerode calls it makes): compose
 * scale-up copies a running container's config with the next container number and the service alias,
 * restarts stopped containers first, scale-down takes the highest numbers (or, with the broker at hand,
 * drains the least-loaded worker before its container is stopped), scale to zero keeps the last
 * container as the template, Swarm gets its replicas set, and decisions for another model are ignored.
 * The real engine is exercised by `make test-compose`.
 */
import { hostname } from 'node:os';
import type Docker from 'dockerode';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { WorkerControl } from '../src/autoscale/actuators/actuator.js';
import { DockerActuator, modelOfWorkerEnv } from '../src/autoscale/actuators/docker.js';

const logger = pino({ level: 'silent' });
const PROJECT = 'p';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface FakeContainer {
  id: string;
  name: string;
  number: number;
  state: 'running' | 'exited';
  env: string[];
  aliases: string[];
  service: string;
}

/** The slice of the Engine API the actuator uses, kept in memory, with a journal of what was done. */
class FakeEngine {
  readonly containers = new Map<string, FakeContainer>();
  readonly journal: string[] = [];
  readonly created: Record<string, unknown>[] = [];
  swarm: { replicas: number; version: number; updates: unknown[] } | undefined;
  private seq = 0;

  add(number: number, state: FakeContainer['state'] = 'running', separator = '_'): FakeContainer {
    const id = `${String(++this.seq).padStart(12, 'c')}${'0'.repeat(52)}`;
    const c: FakeContainer = {
      id,
      name: `/${[PROJECT, 'worker', number].join(separator)}`,
      number,
      state,
      env: ['YOLOMQ_MODEL=/models/yolov8n.onnx', 'LOG_LEVEL=info'],
      aliases: ['worker', id.slice(0, 12)],
      service: 'worker',
    };
    this.containers.set(id, c);
    return c;
  }

  running(): number[] {
    return [...this.containers.values()]
      .filter((c) => c.state === 'running')
      .map((c) => c.number)
      .sort((a, b) => a - b);
  }

  private labels(c: FakeContainer): Record<string, string> {
    return {
      'com.docker.compose.project': PROJECT,
      'com.docker.compose.service': c.service,
      'com.docker.compose.oneoff': 'False',
      'com.docker.compose.container-number': String(c.number),
    };
  }

  api(): Docker {
    const container = (id: string) => {
      const c = this.containers.get(id);
      if (c === undefined) throw Object.assign(new Error('no such container'), { statusCode: 404 });
      return c;
    };
    return {
      info: async () => ({ Swarm: this.swarm ? { LocalNodeState: 'active', ControlAvailable: true } : {} }),
      listContainers: async (opts: { filters: string }) => {
        const wanted: string[] = JSON.parse(opts.filters).label;
        return [...this.containers.values()]
          .filter((c) => wanted.every((l) => `${l.split('=')[0]}=${this.labels(c)[l.split('=')[0]!]}` === l))
          .map((c) => ({ Id: c.id, Names: [c.name], State: c.state, Labels: this.labels(c) }));
      },
      getContainer: (id: string) => ({
        inspect: async () => {
          const c = container(id);
          return {
            Id: c.id,
            Name: c.name,
            Config: { Image: 'yolomq/worker', Env: c.env, Hostname: c.id.slice(0, 12), Labels: this.labels(c) },
            HostConfig: { Init: true, RestartPolicy: { Name: 'unless-stopped' }, Binds: ['/m:/models:ro'] },
            NetworkSettings: { Networks: { p_default: { Aliases: c.aliases } } },
          };
        },
        start: async () => {
          container(id).state = 'running';
          this.journal.push(`start ${container(id).number}`);
        },
        stop: async (opts: { t: number }) => {
          container(id).state = 'exited';
          this.journal.push(`stop ${container(id).number} t=${opts.t}`);
        },
        remove: async () => {
          this.journal.push(`remove ${container(id).number}`);
          this.containers.delete(id);
        },
      }),
      createContainer: async (body: Record<string, unknown>) => {
        this.created.push(body);
        const labels = body.Labels as Record<string, string>;
        const c = this.add(Number(labels['com.docker.compose.container-number']), 'exited');
        c.name = `/${body.name as string}`;
        this.journal.push(`create ${c.number}`);
        return { id: c.id, start: async () => this.api().getContainer(c.id).start() };
      },
      getNetwork: () => ({ connect: async () => {} }),
      listServices: async () => (this.swarm ? [{ ID: 'svc1', Spec: { Name: `${PROJECT}_worker` } }] : []),
      getService: () => ({
        inspect: async () => ({
          Version: { Index: this.swarm!.version },
          Spec: {
            Name: `${PROJECT}_worker`,
            Mode: { Replicated: { Replicas: this.swarm!.replicas } },
            TaskTemplate: { ContainerSpec: { Env: ['YOLOMQ_MODEL_NAME=yolo'] } },
          },
        }),
        update: async (opts: {
          _query: { version: number };
          _body: { Mode: { Replicated: { Replicas: number } } };
        }) => {
          this.swarm!.updates.push(opts._query);
          this.swarm!.replicas = opts._body.Mode.Replicated.Replicas;
          this.swarm!.version++;
        },
      }),
    } as unknown as Docker;
  }
}

const make = (engine: FakeEngine, control?: WorkerControl, model?: string, project: string | null = PROJECT) =>
  new DockerActuator(
    { model, project: project ?? undefined, service: 'worker', drainTimeoutMs: 5000, pollMs: 10 },
    control,
    logger,
    engine.api(),
  );

/** One reconcile pass to completion (passes never overlap, so wait until the next one is accepted). */
async function settle(actuator: DockerActuator, model: string, desired: number): Promise<void> {
  actuator.reconcile(model, desired);
  await sleep(30);
  await actuator.close().catch(() => {});
}

describe('docker actuator, compose', () => {
  it('scales up by copying a running container with the next numbers and the service alias only', async () => {
    const engine = new FakeEngine();
    const template = engine.add(1);
    const actuator = make(engine);
    await settle(actuator, 'yolov8n', 3);
    expect(engine.running()).toEqual([1, 2, 3]);
    expect(engine.created.map((b) => b.name)).toEqual(['p_worker_2', 'p_worker_3']);
    const body = engine.created[0] as {
      Image: string;
      Env: string[];
      HostConfig: unknown;
      Labels: Record<string, string>;
      NetworkingConfig: { EndpointsConfig: Record<string, { Aliases: string[] }> };
    };
    expect(body.Image).toBe('yolomq/worker');
    expect(body.Env).toEqual(template.env);
    expect(body.HostConfig).toMatchObject({ Init: true, RestartPolicy: { Name: 'unless-stopped' } });
    expect(body.Labels['com.docker.compose.container-number']).toBe('2');
    expect(body.Labels['com.docker.compose.project']).toBe(PROJECT);
    expect(body.NetworkingConfig.EndpointsConfig.p_default!.Aliases).toEqual(['worker']);
    expect(actuator.counts()).toEqual({ running: 3, draining: 0 });
  });

  it('names new containers the way the compose version in use does (v2: dashes)', async () => {
    const engine = new FakeEngine();
    engine.add(1, 'running', '-');
    await settle(make(engine), 'yolov8n', 2);
    expect(engine.created.map((b) => b.name)).toEqual(['p-worker-2']);
  });

  it('starts stopped containers before creating new ones', async () => {
    const engine = new FakeEngine();
    engine.add(1);
    engine.add(2, 'exited');
    await settle(make(engine), 'yolov8n', 3);
    expect(engine.journal).toEqual(['start 2', 'create 3', 'start 3']);
    expect(engine.running()).toEqual([1, 2, 3]);
  });

  it('scales down from the highest numbers: SIGTERM with the drain timeout, then removal', async () => {
    const engine = new FakeEngine();
    for (const n of [1, 2, 3]) engine.add(n);
    await settle(make(engine), 'yolov8n', 1);
    expect(engine.running()).toEqual([1]);
    expect(engine.journal.sort()).toEqual(['remove 2', 'remove 3', 'stop 2 t=5', 'stop 3 t=5']);
  });

  it('scaling to zero keeps the last container, stopped, as the template to scale back from', async () => {
    const engine = new FakeEngine();
    engine.add(1);
    const actuator = make(engine);
    await settle(actuator, 'yolov8n', 0);
    expect(engine.journal).toEqual(['stop 1 t=5']);
    expect(engine.containers.size).toBe(1);
    await settle(make(engine), 'yolov8n', 2);
    expect(engine.running()).toEqual([1, 2]);
  });

  it('with the broker at hand: drains the least-loaded worker and stops its container only when it holds nothing', async () => {
    const engine = new FakeEngine();
    const [a, b] = [engine.add(1), engine.add(2)];
    const workerOf = (c: FakeContainer) => `w-${c.id.slice(0, 12)}-7-x`;
    const held = new Map([
      [workerOf(a), 1],
      [workerOf(b), 3],
    ]);
    const stopped: string[] = [];
    const control: WorkerControl = {
      liveWorkers: () => [...held.keys()],
      stopRouting: (id) => stopped.push(id) > 0,
      inflight: (id) => held.get(id),
    };
    const actuator = make(engine, control);
    actuator.reconcile('yolov8n', 1);
    await sleep(60);
    // container 1 holds fewer jobs: it is the one drained, though compose would take number 2
    expect(stopped).toEqual([workerOf(a)]);
    expect(engine.journal).toEqual([]);
    expect(actuator.counts()).toEqual({ running: 1, draining: 1 });
    held.set(workerOf(a), 0);
    await actuator.close();
    expect(engine.journal).toEqual(['stop 1 t=5', 'remove 1']);
    expect(engine.running()).toEqual([2]);
  });

  it('ignores decisions for another model than the one the containers serve', async () => {
    const engine = new FakeEngine();
    engine.add(1);
    const actuator = make(engine);
    expect(await actuator.servedModel()).toBe('yolov8n');
    await settle(actuator, 'other-model', 3);
    expect(engine.running()).toEqual([1]);
  });

  it('without a configured project, scales the compose project of the container it runs in', async () => {
    const engine = new FakeEngine();
    engine.add(1);
    // the scaler's own container: its hostname is its id, its labels name project p and service scaler
    const own = { ...engine.add(1), id: hostname(), service: 'scaler' };
    engine.containers.delete([...engine.containers.keys()].at(-1)!);
    engine.containers.set(own.id, own);
    const actuator = make(engine, undefined, undefined, null);
    expect(await actuator.resolveTarget()).toEqual({ kind: 'compose', project: PROJECT });
    await settle(actuator, 'yolov8n', 2);
    expect(engine.created.map((b) => b.name)).toEqual(['p_worker_2']);
  });

  it('without a configured project and not in a container, says which variable to set', async () => {
    const engine = new FakeEngine();
    engine.add(1);
    await expect(make(engine, undefined, undefined, null).resolveTarget()).rejects.toThrow(
      /YOLOMQ_SCALER_DOCKER_PROJECT/,
    );
  });

  it('with no container to copy, reports the problem and creates nothing (never throws)', async () => {
    const engine = new FakeEngine();
    const actuator = make(engine, undefined, 'yolov8n');
    expect(() => actuator.reconcile('yolov8n', 2)).not.toThrow();
    await sleep(30);
    expect(engine.containers.size).toBe(0);
    await expect(make(engine).servedModel()).rejects.toThrow(/YOLOMQ_SCALER_MODEL/);
  });
});

describe('docker actuator, Swarm', () => {
  it("sets the stack service's replicas, with the version the update needs", async () => {
    const engine = new FakeEngine();
    engine.swarm = { replicas: 1, version: 41, updates: [] };
    const actuator = make(engine);
    expect(await actuator.servedModel()).toBe('yolo');
    await settle(actuator, 'yolo', 3);
    expect(engine.swarm.replicas).toBe(3);
    expect(engine.swarm.updates).toEqual([{ version: 41 }]);
    await settle(make(engine), 'yolo', 3);
    expect(engine.swarm.updates).toHaveLength(1); // already there: no update
  });
});

describe('modelOfWorkerEnv', () => {
  it("follows the worker's rule: YOLOMQ_MODEL_NAME, else the model file's name", () => {
    expect(modelOfWorkerEnv(['YOLOMQ_MODEL=/models/yolov8n.onnx'])).toBe('yolov8n');
    expect(modelOfWorkerEnv(['YOLOMQ_MODEL=/models/a.onnx', 'YOLOMQ_MODEL_NAME=named'])).toBe('named');
    expect(modelOfWorkerEnv(['YOLOMQ_MODEL_NAME=', 'YOLOMQ_MODEL=/m/x=y.onnx'])).toBe('x=y');
    expect(modelOfWorkerEnv(['PATH=/bin'])).toBeUndefined();
  });
});
