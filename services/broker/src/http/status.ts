/** The /status document: a JSON snapshot of workers, queues and clients, built from the scheduler. */
import type { Scheduler } from '../scheduler/scheduler.js';

export interface WorkerStatus {
  workerId: string;
  model: string;
  credit: number;
  inflight: number;
  /** jobs this worker answered since it registered */
  served: number;
  /** ms since the worker last sent anything (heartbeats, answers) */
  lastHeartbeatAgeMs: number;
  /** false once it answered SHUTTING_DOWN (it gets no new jobs) */
  accepting: boolean;
  concurrency: number | null;
  host: string;
  pid: number;
  version: string;
  registeredAgoMs: number;
}

export interface QueueStatus {
  model: string;
  /** requests waiting for a worker */
  queued: number;
  queuedBytes: number;
  /** clients with requests waiting */
  clients: number;
  /** requests held by workers */
  inflight: number;
  liveWorkers: number;
  /** total credit of the live workers */
  credit: number;
}

export interface ClientStatus {
  /** the client's ROUTER routing id, hex */
  id: string;
  /** requests queued or in flight */
  pending: number;
  /** requests received since the broker first saw it */
  requests: number;
  lastSeenAgoMs: number;
}

export interface BrokerStatus {
  status: 'serving' | 'draining';
  version: string;
  pid: number;
  uptimeMs: number;
  defaultModel: string | null;
  endpoints: { frontend: string; backend: string };
  /** accepted requests not answered yet */
  pending: number;
  workers: WorkerStatus[];
  queues: QueueStatus[];
  /** clients seen in the last minute (or with requests pending); at most 1000 listed */
  clients: ClientStatus[];
  clientsSeenLastMinute: number;
}

const MAX_CLIENTS_LISTED = 1000;
const CLIENT_WINDOW_MS = 60_000;

export interface StatusMeta {
  version: string;
  startedAt: number;
  frontend: string;
  backend: string;
}

export function buildStatus(scheduler: Scheduler, now: number, meta: StatusMeta): BrokerStatus {
  const workers: WorkerStatus[] = [];
  for (const w of scheduler.workers.all()) {
    workers.push({
      workerId: w.info.workerId,
      model: w.model,
      credit: w.credit,
      inflight: w.inflight,
      served: w.served,
      lastHeartbeatAgeMs: Math.round(now - w.lastSeen),
      accepting: w.accepting,
      concurrency: w.info.concurrency ?? null,
      host: w.info.host,
      pid: w.info.pid,
      version: w.info.version,
      registeredAgoMs: Math.round(now - w.registeredAt),
    });
  }
  const clients: ClientStatus[] = [];
  let seen = 0;
  for (const c of scheduler.clients.values()) {
    if (c.active === 0 && now - c.lastSeen > CLIENT_WINDOW_MS) continue;
    seen++;
    if (clients.length < MAX_CLIENTS_LISTED) {
      clients.push({
        id: c.routingId.toString('hex'),
        pending: c.active,
        requests: c.requests,
        lastSeenAgoMs: Math.round(now - c.lastSeen),
      });
    }
  }
  return {
    status: scheduler.isDraining ? 'draining' : 'serving',
    version: meta.version,
    pid: process.pid,
    uptimeMs: Math.round(now - meta.startedAt),
    defaultModel: scheduler.defaultModel ?? null,
    endpoints: { frontend: meta.frontend, backend: meta.backend },
    pending: scheduler.active,
    workers,
    queues: modelSummaries(scheduler),
    clients,
    clientsSeenLastMinute: seen,
  };
}

/** Per-model numbers shared by /status and the gauges. */
export function modelSummaries(scheduler: Scheduler): QueueStatus[] {
  const out: QueueStatus[] = [];
  for (const m of scheduler.knownModels()) {
    let credit = 0;
    const live = scheduler.workers.forModel(m.name);
    for (const w of live) credit += w.credit;
    out.push({
      model: m.name,
      queued: m.queue.count,
      queuedBytes: m.queue.bytes,
      clients: m.queue.clients,
      inflight: m.inflight,
      liveWorkers: live.length,
      credit,
    });
  }
  return out;
}
