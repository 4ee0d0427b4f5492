// Static checks of the deployment files (no Docker needed): the compose files parse and describe the
// services, ports, healthchecks and scaling rules of the design, stay within what both Compose v1.29
// and v2 accept, and every Dockerfile is plain (no BuildKit) syntax whose CMD names a file its build makes.
// The real proof on a running engine is `make test-compose` (scripts/test-compose.sh).
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = resolve(import.meta.dirname, '../..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

type Service = Record<string, unknown> & {
  build?: { context: string; dockerfile: string };
  environment?: string[] | Record<string, string>;
  healthcheck?: { test: string[] };
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition?: string; required?: boolean }>;
  deploy?: { replicas?: unknown };
  profiles?: string[];
};
type ComposeFile = Record<string, unknown> & { services: Record<string, Service> };

const compose = parse(read('docker-compose.yml')) as ComposeFile;
const workersCompose = parse(read('docker-compose.workers.yml')) as ComposeFile;
/** the services whose images this repository builds; the gateway's Dockerfile is checked more loosely below */
const SERVICES = ['broker', 'worker', 'client'] as const;
const COMPOSE_SERVICES = ['broker', 'worker', 'gateway', 'client'];
/** optional services run from another service's image */
const EXTRA_SERVICES = ['scaler'];

/** environment as a list of NAME=value strings, whichever form the file uses */
function envList(service: Service): string[] {
  const env = service.environment ?? [];
  return Array.isArray(env) ? env : Object.entries(env).map(([k, v]) => `${k}=${v}`);
}

/** `${expr}` written out, as the compose files spell an interpolation (e.g. ref('A:-1') is "${A:-1}"). */
const ref = (expr: string) => `\${${expr}}`;

/** Every ${NAME...} a text interpolates. */
function interpolated(text: string): string[] {
  return [...text.matchAll(/\$\{([A-Z_][A-Z0-9_]*)/g)].map((m) => m[1]!);
}

describe('docker-compose.yml', () => {
  it('has the broker, worker, gateway, client and scaler services and no v2-only keys', () => {
    expect(Object.keys(compose.services).sort()).toEqual([...COMPOSE_SERVICES, ...EXTRA_SERVICES].sort());
    for (const key of ['name', 'include', 'version']) expect(compose).not.toHaveProperty(key);
    for (const file of [compose, workersCompose]) {
      for (const service of Object.values(file.services)) {
        for (const dep of Object.values(service.depends_on ?? {})) expect(dep).not.toHaveProperty('required');
        // `develop`, `provider`, `models` and `gpus` are service keys Compose v1 rejects
        for (const key of ['develop', 'provider', 'models', 'gpus']) expect(service).not.toHaveProperty(key);
      }
    }
  });

  it('builds each service from its own Dockerfile with the repository root as context', () => {
    for (const name of COMPOSE_SERVICES) {
      const build = compose.services[name]!.build!;
      expect(build.context).toBe('.');
      expect(build.dockerfile).toBe(`services/${name}/Dockerfile`);
      expect(existsSync(join(ROOT, build.dockerfile))).toBe(true);
      expect(compose.services[name]!.init).toBe(true);
    }
  });

  it('publishes the broker frontend, backend and HTTP ports from .env, and checks /healthz', () => {
    const broker = compose.services.broker!;
    const ports = broker.ports ?? [];
    const byContainerPort = new Map(ports.map((p) => [p.split(':').at(-1), p]));
    expect([...byContainerPort.keys()].sort()).toEqual(['5555', '5556', '8080']);
    expect(byContainerPort.get('5555')).toMatch(/\$\{BROKER_FRONTEND_PORT:-5555\}:5555$/);
    expect(byContainerPort.get('5556')).toMatch(/\$\{BROKER_BACKEND_PORT:-5556\}:5556$/);
    expect(byContainerPort.get('8080')).toMatch(/\$\{BROKER_HTTP_PORT:-8080\}:8080$/);
    expect(broker.healthcheck?.test).toEqual(['CMD', 'node', 'docker/healthcheck.mjs', 'broker']);
    expect(read('docker/healthcheck.mjs')).toContain('/healthz');
  });

  it('lets the worker scale: no container_name, no host ports, restart, after a healthy broker', () => {
    for (const file of [compose, workersCompose]) {
      const worker = file.services.worker!;
      expect(worker).not.toHaveProperty('container_name');
      expect(worker).not.toHaveProperty('ports');
      expect(worker.restart).toBe('unless-stopped');
      expect(worker.healthcheck?.test).toEqual(['CMD', 'node', 'docker/healthcheck.mjs', 'worker']);
      expect(worker.volumes).toContain(`${ref('YOLOMQ_MODELS_DIR:-./models')}:/models:ro`);
      expect(envList(worker)).toContain(`YOLOMQ_MODEL=/models/${ref('YOLOMQ_MODEL_FILE:-yolov8n.onnx')}`);
      expect(String(worker.deploy?.replicas)).toBe(`${ref('YOLOMQ_WORKERS:-2')}`);
    }
    const worker = compose.services.worker!;
    expect(worker.depends_on).toEqual({ broker: { condition: 'service_healthy' } });
    expect(envList(worker)).toContain('YOLOMQ_BROKER_BACKEND=tcp://broker:5556');
  });

  it('publishes the gateway (API and dashboard) once the broker is healthy', () => {
    const gateway = compose.services.gateway!;
    expect(gateway.ports).toEqual([`${ref('YOLOMQ_PUBLISH_ADDRESS:-0.0.0.0')}:${ref('GATEWAY_HTTP_PORT:-8081')}:8081`]);
    expect(gateway.depends_on).toEqual({ broker: { condition: 'service_healthy' } });
    expect(envList(gateway)).toContain('YOLOMQ_BROKER=tcp://broker:5555');
    expect(gateway.restart).toBe('unless-stopped');
  });

  it('runs the client only on demand (tools profile) with a data volume', () => {
    const client = compose.services.client!;
    expect(client.profiles).toEqual(['tools']);
    expect(client.volumes).toContain(`${ref('YOLOMQ_DATA_DIR:-./data')}:/data:ro`);
    expect(envList(client)).toContain('YOLOMQ_BROKER=tcp://broker:5555');
  });

  it('runs the docker scaler only on demand (autoscale profile): the broker image, the socket, the broker PUB', () => {
    const scaler = compose.services.scaler!;
    expect(scaler.profiles).toEqual(['autoscale']);
    expect(scaler.build).toEqual(compose.services.broker!.build);
    expect(scaler.image).toBe(compose.services.broker!.image);
    expect(scaler.command).toEqual(['node', 'services/broker/dist/scaler-main.js']);
    expect(existsSync(join(ROOT, 'services/broker/src/scaler-main.ts'))).toBe(true);
    expect(scaler.volumes).toEqual([`${ref('YOLOMQ_DOCKER_SOCKET:-/var/run/docker.sock')}:/var/run/docker.sock`]);
    expect(envList(scaler)).toEqual(
      expect.arrayContaining(['YOLOMQ_SCALER=docker', 'YOLOMQ_SCALER_SUBSCRIBE=tcp://broker:5557']),
    );
    // the broker decides (its policy variables pass through), the scaler only acts; the broker gets no socket
    expect(envList(compose.services.broker!)).toEqual(
      expect.arrayContaining(['YOLOMQ_SCALER_MIN', 'YOLOMQ_SCALER_MAX', 'YOLOMQ_SCALER_TARGET']),
    );
    expect(compose.services.broker!.volumes ?? []).toEqual([]);
  });
});

describe('docker-compose.workers.yml', () => {
  it('runs only workers, pointed at BROKER_HOST, which it requires', () => {
    expect(Object.keys(workersCompose.services)).toEqual(['worker']);
    const worker = workersCompose.services.worker!;
    expect(worker.build).toEqual(compose.services.worker!.build);
    expect(worker).not.toHaveProperty('depends_on');
    const backend = envList(worker).find((e) => e.startsWith('YOLOMQ_BROKER_BACKEND='));
    expect(backend).toMatch(
      /^YOLOMQ_BROKER_BACKEND=tcp:\/\/\$\{BROKER_HOST:\?[^}]+\}:\$\{BROKER_BACKEND_PORT:-5556\}$/,
    );
  });
});

describe('.env.example', () => {
  it('documents every variable the compose files interpolate', () => {
    const documented = new Set([...read('.env.example').matchAll(/^#?\s*([A-Z_][A-Z0-9_]*)=/gm)].map((m) => m[1]!));
    const used = new Set([
      ...interpolated(read('docker-compose.yml')),
      ...interpolated(read('docker-compose.workers.yml')),
    ]);
    expect([...used].filter((name) => !documented.has(name))).toEqual([]);
  });
});

/** Dockerfile instructions: continuation lines joined, comments dropped. */
function instructions(text: string): Array<{ op: string; args: string }> {
  const joined = text.replace(/\\\r?\n/g, ' ');
  return joined
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [op, ...rest] = line.split(/\s+/);
      return { op: op!.toUpperCase(), args: rest.join(' ') };
    });
}

describe.each(SERVICES)('services/%s/Dockerfile', (name) => {
  const text = read(`services/${name}/Dockerfile`);
  const all = instructions(text);
  const stages = all.reduce<Array<typeof all>>((acc, ins) => {
    if (ins.op === 'FROM') acc.push([]);
    acc.at(-1)?.push(ins);
    return acc;
  }, []);
  const runtime = stages.at(-1)!;
  const pkg = JSON.parse(read(`services/${name}/package.json`)) as { name: string };

  it('uses plain Dockerfile syntax (no BuildKit-only features) and the glibc Node base everywhere', () => {
    expect(text).not.toMatch(/^#\s*syntax=/m);
    expect(text).not.toMatch(/--mount=|--link|--chmod|--parents|<<\s*['"]?[A-Z]+/);
    for (const from of all.filter((i) => i.op === 'FROM')) expect(from.args).toMatch(/^node:20-bookworm-slim\b/);
  });

  it('builds only this workspace (tsc -b) and installs only its production dependencies', () => {
    const runs = all.filter((i) => i.op === 'RUN').map((i) => i.args);
    expect(runs.some((r) => r.includes(`tsc -b services/${name}`))).toBe(true);
    expect(runs.some((r) => r.includes('npm ci --omit=dev') && r.includes(`--workspace=${pkg.name}`))).toBe(true);
    expect(existsSync(join(ROOT, `services/${name}/tsconfig.json`))).toBe(true);
  });

  it('runs as the non-root node user, with OCI labels and a health check (or none, for the one-off client)', () => {
    expect(runtime.find((i) => i.op === 'USER')?.args).toBe('node');
    const labels = runtime
      .filter((i) => i.op === 'LABEL')
      .map((i) => i.args)
      .join(' ');
    for (const key of ['title', 'description', 'version', 'revision']) {
      expect(labels).toContain(`org.opencontainers.image.${key}=`);
    }
    const health = runtime.find((i) => i.op === 'HEALTHCHECK')?.args;
    if (name === 'client') expect(health).toBe('NONE');
    else expect(health).toMatch(new RegExp(`CMD \\["node", "docker/healthcheck.mjs", "${name}"\\]$`));
  });

  it('starts a file the build produces: CMD/ENTRYPOINT -> services/<svc>/dist/X.js <- src/X.ts', () => {
    const exec = runtime.find((i) => i.op === (name === 'client' ? 'ENTRYPOINT' : 'CMD'))!;
    const argv = JSON.parse(exec.args) as string[];
    expect(argv[0]).toBe('node');
    const script = argv[1]!.replace(/^\/app\//, '');
    const m = new RegExp(`^services/${name}/dist/(.+)\\.js$`).exec(script);
    expect(m, `${script} is not under services/${name}/dist`).not.toBeNull();
    // tsc maps src/X.ts to dist/X.js (rootDir src, outDir dist)
    const tsconfig = JSON.parse(read(`services/${name}/tsconfig.json`)) as {
      compilerOptions: { rootDir: string; outDir: string };
    };
    expect(tsconfig.compilerOptions).toMatchObject({ rootDir: 'src', outDir: 'dist' });
    expect(existsSync(join(ROOT, `services/${name}/src/${m![1]}.ts`)), `services/${name}/src/${m![1]}.ts`).toBe(true);
    // and the runtime stage copies that build output from the build stage
    const copies = runtime.filter((i) => i.op === 'COPY').map((i) => i.args);
    expect(copies).toContain(`--from=build /app/services/${name}/dist/ services/${name}/dist/`);
    expect(copies).toContain('--from=build /app/packages/protocol/dist/ packages/protocol/dist/');
  });

  it('copies the health check script the HEALTHCHECK runs', () => {
    const copies = runtime.filter((i) => i.op === 'COPY').map((i) => i.args);
    if (name !== 'client') expect(copies).toContain('docker/healthcheck.mjs docker/');
  });
});

describe('services/gateway/Dockerfile', () => {
  // written with the gateway; held to the same rules that make it build here and start what it built
  const text = read('services/gateway/Dockerfile');
  const all = instructions(text);
  const runtimeStart = all.map((i) => i.op).lastIndexOf('FROM');
  const runtime = all.slice(runtimeStart);

  it('is plain syntax on the glibc Node base, non-root, health-checked, and starts what tsc builds', () => {
    expect(text).not.toMatch(/^#\s*syntax=/m);
    expect(text).not.toMatch(/--mount=|--link|--chmod|--parents/);
    for (const from of all.filter((i) => i.op === 'FROM')) expect(from.args).toMatch(/^node:20-bookworm-slim\b/);
    expect(runtime.find((i) => i.op === 'USER')?.args).toBe('node');
    expect(runtime.find((i) => i.op === 'HEALTHCHECK')?.args).toMatch(/\/healthz/);
    const argv = JSON.parse(runtime.find((i) => i.op === 'CMD')!.args) as string[];
    expect(argv).toEqual(['node', 'services/gateway/dist/main.js']);
    expect(existsSync(join(ROOT, 'services/gateway/src/main.ts'))).toBe(true);
  });
});

describe('.dockerignore', () => {
  it('keeps node_modules, build output, models and test data out of the build context', () => {
    const lines = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim());
    for (const entry of ['**/node_modules', '**/dist', 'models', 'test', '**/*.onnx', '.git', '.env']) {
      expect(lines).toContain(entry);
    }
  });
});
