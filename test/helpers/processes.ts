/** Test helper: start Node processes and stop them by PID, always. Never imported by product code. */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';

export interface Started {
  child: ChildProcess;
  pid: number;
  /** everything printed so far (stdout and stderr) */
  output(): string;
  /** resolves when the output contains text (or rejects after timeoutMs) */
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<void>;
  /** resolves with the exit code once the process has exited */
  exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL after graceMs; resolves with the exit code */
  stop(graceMs?: number): Promise<number | null>;
}

const running = new Set<Started>();

/**
 * Starts `node script args` with env added to this process's. `prefix` runs it through another command,
 * e.g. ['ip', 'netns', 'exec', 'ns1'] (which execs node, so the PID and signals are node's).
 */
export function startNode(
  script: string,
  env: Record<string, string> = {},
  args: string[] = [],
  prefix: string[] = [],
): Started {
  const argv = [...prefix.slice(1), process.execPath, script, ...args];
  const child = spawn(prefix[0] ?? process.execPath, prefix.length > 0 ? argv : [script, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const waiters: Array<() => void> = [];
  const onData = (d: Buffer) => {
    out += d.toString();
    if (out.length > 4_000_000) out = out.slice(-2_000_000);
    for (const w of waiters.splice(0)) w();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
  const started: Started = {
    child,
    pid: child.pid ?? -1,
    output: () => out,
    exited,
    waitFor(text, timeoutMs = 15_000) {
      const has = () => (typeof text === 'string' ? out.includes(text) : text.test(out));
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`timed out waiting for ${text} in output:\n${out.slice(-3000)}`)),
          timeoutMs,
        );
        const check = () => {
          if (has()) {
            clearTimeout(timer);
            resolve();
          } else if (child.exitCode !== null || child.signalCode !== null) {
            clearTimeout(timer);
            reject(new Error(`process exited before printing ${text}; output:\n${out.slice(-3000)}`));
          } else waiters.push(check);
        };
        check();
      });
    },
    kill(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
    async stop(graceMs = 5000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGCONT');
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
      running.delete(started);
      return child.exitCode;
    },
  };
  child.once('exit', () => running.delete(started));
  running.add(started);
  return started;
}

/** Stops every process this helper started that is still running (call from afterAll/afterEach). */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((p) => p.stop(2000)));
}

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

process.once('exit', () => {
  for (const p of running) p.kill('SIGKILL');
});
