// The two ways the launcher runs one service instance (a "unit"): an attached worker thread, or a child
// process. Both run the service's own code unchanged and give the launcher the same handle: its output
// line by line, a graceful stop, and how it ended. The launcher never reaches into a unit: it sees its
// log lines and its exit, nothing else.
import { spawn } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { lineSplitter } from './log-format.mjs';

const THREAD_ENTRY = new URL('./thread-entry.mjs', import.meta.url);

/** child processes still running: killed if the launcher itself exits without stopping them */
const liveChildren = new Set();
process.on('exit', () => {
  for (const child of liveChildren) {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
  }
});

/**
 * @typedef {object} Unit
 * @property {string} name
 * @property {Promise<{ code: number | null, signal: string | null }>} exited
 * @property {(graceMs: number) => Promise<{ code: number | null, signal: string | null }>} stop
 *   asks the unit to close gracefully (SIGTERM, or a stop message to a thread); forces it after graceMs
 * @property {() => Promise<{ code: number | null, signal: string | null }>} kill  ends it at once
 */

/** Starts `node <entry>` as a child process with its own environment; its stdout and stderr go to onLine. */
export function startProcessUnit({ name, entry, env, onLine }) {
  // own process group: a Ctrl-C in the terminal reaches only the launcher, which then stops the units
  // in order (broker drains first, with its workers still up)
  const child = spawn(process.execPath, [entry], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  for (const stream of [child.stdout, child.stderr]) {
    const lines = lineSplitter(onLine);
    stream.on('data', (chunk) => lines.push(chunk));
    stream.on('end', () => lines.flush());
  }
  const exited = new Promise((resolve) => {
    child.once('error', (err) => {
      onLine(`could not start: ${err.message}`);
      resolve({ code: 1, signal: null });
    });
    child.once('exit', (code, signal) => {
      liveChildren.delete(child);
      resolve({ code, signal });
    });
  });
  if (child.pid !== undefined) liveChildren.add(child);
  const alive = () => child.exitCode === null && child.signalCode === null;
  const signalGroup = (signal) => {
    try {
      process.kill(-child.pid, signal);
    } catch {
      if (alive()) child.kill(signal);
    }
  };
  return {
    name,
    pid: child.pid,
    exited,
    async kill() {
      if (alive()) signalGroup('SIGKILL');
      return exited;
    },
    async stop(graceMs) {
      if (alive()) {
        signalGroup('SIGTERM');
        const timer = setTimeout(() => signalGroup('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
      return exited;
    },
  };
}

/**
 * Starts a service inside an attached worker thread of this process, with its own copy of the
 * environment (worker_threads `env`), its own logger and its own ZeroMQ sockets; it talks to the other
 * units over tcp exactly as a separate process would. Signals do not reach threads: stop() posts a
 * stop message, which the thread turns into the service's graceful close().
 */
export function startThreadUnit({ name, service, env, onLine }) {
  const worker = new Worker(THREAD_ENTRY, { env, workerData: { service, name }, stdout: true, stderr: true });
  for (const stream of [worker.stdout, worker.stderr]) {
    const lines = lineSplitter(onLine);
    stream.on('data', (chunk) => lines.push(chunk));
    stream.on('end', () => lines.flush());
  }
  let running = true;
  const exited = new Promise((resolve) => {
    worker.once('error', (err) => onLine(`thread failed: ${err?.stack ?? err}`));
    worker.once('exit', (code) => {
      running = false;
      resolve({ code, signal: null });
    });
  });
  return {
    name,
    pid: process.pid,
    exited,
    async kill() {
      // terminate() is the last resort: zeromq.js aborts the process when a thread with open sockets
      // is torn down, so the launcher only uses it after a stop's grace period has run out
      if (running) await worker.terminate();
      return exited;
    },
    async stop(graceMs) {
      if (running) {
        worker.postMessage({ type: 'stop' });
        const timer = setTimeout(() => void worker.terminate(), graceMs);
        await exited;
        clearTimeout(timer);
      }
      return exited;
    },
  };
}
