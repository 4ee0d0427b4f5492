/**
 * The scheduler: the broker's every decision, with no I/O. It takes events (a request arrived, a worker
 * registered, answered, spoke or went away, time passed) with the current time, and emits what to do
 * into a SchedulerSink. Same events and times in, same actions out.
 *
 * Invariants it keeps:
 * - A request gets exactly one answer: it is answered once and then forgotten by its client; a worker's
 *   answer counts only if it carries the job id of the request's current attempt and comes from the
 *   worker that attempt went to (each dispatch gets a fresh job id, so a late reply to an earlier
 *   attempt, or a second reply, matches nothing).
 * - A model's queue is non-empty only while none of its workers has free credit: whenever credit
 *   frees up (answer, new worker, worker lost), the queue drains into it.
 * - An expired request is never dispatched; it is answered DEADLINE_EXCEEDED when its deadline
 *   passes, queued or in flight.
 */
import { ErrorCode, type WorkerInfo } from '@yolomq/protocol';
import { WorkerRegistry } from '../workers/registry.js';
import { WorkerState } from '../workers/worker.js';
import { leastLoaded } from './choose-worker.js';
import { type ClientState, ClientTable } from './clients.js';
import { DeadlineHeap } from './deadline-heap.js';
import { Job, JobState } from './job.js';
import { ModelQueue } from './model-queue.js';
import type { SchedulerSink, WorkerLossReason } from './sink.js';

/** Most distinct models the broker learns of (from configuration and workers' READY). */
export const MAX_MODELS = 256;

export interface SchedulerOptions {
  /** the model of requests that name none; undefined: the first model a worker registers */
  defaultModel: string | undefined;
  /** models known before any worker registers them */
  models: readonly string[];
  maxRetries: number;
  defaultTimeoutMs: number;
  queueMaxRequests: number;
  queueMaxBytes: number;
  maxInflightPerClient: number;
  heartbeatMs: number;
  heartbeatLiveness: number;
  /** clients idle this long with nothing pending are forgotten (default 60 s) */
  clientIdleMs?: number;
  /** prefix of job ids, different per broker process so a worker's reply to an earlier broker matches nothing */
  jobIdPrefix?: string;
  /** bytes (images + options) one client may have pending at once (default: no bound) */
  maxQueuedBytesPerClient?: number;
  /**
   * Start-up grace (default 0: none): for this long after `startedAt`, a request for a model not known
   * yet (or naming none while no default is known) waits for a worker to register it instead of being
   * answered UNKNOWN_MODEL at once; so a restarted broker does not refuse the requests that reach it
   * before its workers have reconnected. Its deadline applies while it waits.
   */
  startupGraceMs?: number;
  startedAt?: number;
}

/** A request waiting, during the start-up grace, for its model to become known. */
interface WaitingRequest {
  client: ClientState;
  request: IncomingRequest;
  arrivedAt: number;
  deadline: number;
}

/** The request fields the scheduler needs (the protocol's ClientRequest has them). */
export interface IncomingRequest {
  requestId: string;
  requestIdFrame: Buffer;
  model: string;
  options: { timeoutMs?: number };
  optionsFrame: Buffer;
  image: Buffer;
}

/** Per-model state: its queue and how many of its requests workers hold. */
export interface ModelState {
  readonly name: string;
  readonly queue: ModelQueue;
  /** requests of this model held by workers (including expired ones whose slot is still held) */
  inflight: number;
}

export class Scheduler {
  readonly workers: WorkerRegistry<Job>;
  readonly clients: ClientTable;
  private readonly models = new Map<string, ModelState>();
  /** jobs held by workers, by current job id */
  private readonly jobs = new Map<string, Job>();
  private readonly deadlines = new DeadlineHeap();
  private defaultModelName: string | undefined;
  private dispatchSeq = 0;
  private jobSeq = 0;
  private readonly jobIdPrefix: string;
  /** how long a worker keeps the credit slot of a request that expired while it held it */
  private readonly expiredSlotGraceMs: number;
  private draining = false;
  /** accepted requests not yet answered (queued or in flight) */
  private activeCount = 0;
  private readonly bounds: { maxRequests: number; maxBytes: number };
  /** requests waiting for their model during the start-up grace, by client key and request id */
  private readonly lobby = new Map<string, WaitingRequest>();
  private lobbyBytes = 0;
  private readonly graceEnds: number;

  constructor(
    private readonly options: SchedulerOptions,
    private readonly sink: SchedulerSink,
  ) {
    this.workers = new WorkerRegistry<Job>(options.heartbeatMs, options.heartbeatLiveness);
    this.clients = new ClientTable(options.clientIdleMs ?? 60_000);
    this.defaultModelName = options.defaultModel;
    this.jobIdPrefix = options.jobIdPrefix ?? '';
    this.expiredSlotGraceMs = options.heartbeatMs * options.heartbeatLiveness;
    this.bounds = { maxRequests: options.queueMaxRequests, maxBytes: options.queueMaxBytes };
    this.graceEnds = (options.startedAt ?? 0) + (options.startupGraceMs ?? 0);
    if (options.defaultModel !== undefined) this.modelState(options.defaultModel);
    for (const name of options.models) this.modelState(name);
  }

  // ---- queries ---------------------------------------------------------------------------------

  get defaultModel(): string | undefined {
    return this.defaultModelName;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  /** accepted requests not answered yet */
  get active(): number {
    return this.activeCount;
  }

  /** the next time `expire` has work to do (Infinity when none) */
  nextDue(): number {
    let due = this.deadlines.nextDue();
    if (this.lobby.size > 0) {
      due = Math.min(due, this.graceEnds);
      for (const waiting of this.lobby.values()) due = Math.min(due, waiting.deadline);
    }
    return due;
  }

  /** requests waiting for their model during the start-up grace */
  get waitingForModel(): number {
    return this.lobby.size;
  }

  knownModels(): IterableIterator<ModelState> {
    return this.models.values();
  }

  model(name: string): ModelState | undefined {
    return this.models.get(name);
  }

  // ---- client events ---------------------------------------------------------------------------

  /** A client spoke without a request (PING): it counts as seen. */
  clientSeen(routingId: Buffer, key: string, now: number): void {
    this.clients.see(routingId, key, now);
  }

  /** A decoded REQUEST from a client. Accepts it (dispatch or queue) or rejects it with a reason. */
  submit(routingId: Buffer, clientKey: string, request: IncomingRequest, now: number): void {
    const client = this.clients.see(routingId, clientKey, now);
    client.requests++;
    this.accept(client, request, now, now);
  }

  /** Accepts or rejects a request that arrived at `arrivedAt` (earlier than now when it waited in the lobby). */
  private accept(client: ClientState, request: IncomingRequest, arrivedAt: number, now: number): void {
    const { requestId, requestIdFrame } = request;
    if (this.draining) {
      this.sink.reject(
        client,
        requestIdFrame,
        requestId,
        request.model,
        ErrorCode.SHUTTING_DOWN,
        'broker is shutting down',
      );
      return;
    }
    const name = request.model === '' ? this.defaultModelName : request.model;
    const model = name === undefined ? undefined : this.models.get(name);
    if (model === undefined && now < this.graceEnds) {
      this.wait(client, request, arrivedAt);
      return;
    }
    if (model === undefined) {
      const message =
        name === undefined
          ? 'no default model yet: no worker has registered and YOLOMQ_DEFAULT_MODEL is not set'
          : `model ${JSON.stringify(name)} is not served here`;
      this.sink.reject(client, requestIdFrame, requestId, request.model, ErrorCode.UNKNOWN_MODEL, message);
      return;
    }
    const pending = client.pending.get(requestId);
    if (pending !== undefined) {
      // The same client re-sent a request id it is still waiting on (a client-side retry): the first
      // copy keeps running and its one answer serves both; running it twice would answer twice.
      this.sink.duplicate(pending);
      return;
    }
    if (client.pending.size >= this.options.maxInflightPerClient) {
      const message = `client has ${client.pending.size} requests pending, the limit is ${this.options.maxInflightPerClient}`;
      this.sink.reject(client, requestIdFrame, requestId, model.name, ErrorCode.TOO_MANY_REQUESTS, message);
      return;
    }
    const requestBytes = request.image.length + request.optionsFrame.length;
    const maxClientBytes = this.options.maxQueuedBytesPerClient ?? Number.POSITIVE_INFINITY;
    if (client.pendingBytes + requestBytes > maxClientBytes) {
      const message = `client has ${client.pendingBytes} bytes pending and this request adds ${requestBytes}, the limit is ${maxClientBytes}`;
      this.sink.reject(client, requestIdFrame, requestId, model.name, ErrorCode.TOO_MANY_REQUESTS, message);
      return;
    }
    const timeoutMs = request.options.timeoutMs ?? this.options.defaultTimeoutMs;
    if (arrivedAt + timeoutMs <= now) {
      const message = `deadline of ${timeoutMs} ms passed while waiting for model ${model.name}`;
      this.sink.reject(client, requestIdFrame, requestId, model.name, ErrorCode.DEADLINE_EXCEEDED, message);
      return;
    }
    const job = new Job(
      client,
      requestId,
      requestIdFrame,
      model.name,
      request.optionsFrame,
      request.image,
      arrivedAt,
      arrivedAt + timeoutMs,
    );
    const worker = model.queue.count === 0 ? leastLoaded(this.workers.forModel(model.name)) : undefined;
    if (worker === undefined) {
      if (!model.queue.hasRoom(job.bytes, this.bounds)) {
        const q = model.queue;
        const message = `queue of model ${model.name} is full (${q.count} requests, ${q.bytes} bytes)`;
        this.sink.reject(client, requestIdFrame, requestId, model.name, ErrorCode.QUEUE_FULL, message);
        return;
      }
      model.queue.enqueue(job);
    }
    client.pending.set(requestId, job);
    client.pendingBytes += job.bytes;
    this.activeCount++;
    this.deadlines.push(job);
    if (worker !== undefined) this.dispatch(job, worker, model, now);
  }

  // ---- worker events ---------------------------------------------------------------------------

  /** Any message from a worker's routing id: liveness. Returns whether that routing id is registered. */
  workerSpoke(key: string, now: number): boolean {
    return this.workers.touch(key, now) !== undefined;
  }

  /**
   * READY: registers the worker (replacing an earlier registration of the same routing id). A worker
   * naming a new model past MAX_MODELS is refused with DISCONNECT: every model costs a queue and metric
   * series for the broker's lifetime, so their number is bounded whatever workers send.
   */
  workerReady(routingId: Buffer, key: string, model: string, info: WorkerInfo, now: number): void {
    if (!this.models.has(model) && this.models.size >= MAX_MODELS) {
      this.sink.refused(
        routingId,
        `${MAX_MODELS} models are known already; refusing a worker for ${JSON.stringify(model)}`,
      );
      this.sink.disconnect(routingId);
      return;
    }
    const previous = this.workers.get(key);
    if (previous !== undefined) this.dropWorker(previous, 'replaced', now);
    const worker = new WorkerState<Job>(routingId, key, model, info, now);
    this.workers.add(worker);
    const state = this.modelState(model);
    if (this.defaultModelName === undefined) this.defaultModelName = model;
    this.sink.workerJoined(worker);
    this.releaseLobby(now);
    this.drainQueue(state, now);
  }

  /** A worker's REPLY. */
  workerReply(key: string, routingId: Buffer, jobId: string, result: Buffer, now: number): void {
    const job = this.settle(key, routingId, jobId, now);
    if (job === undefined) return;
    const model = this.models.get(job.model)!;
    this.finish(job);
    this.sink.reply(job, result, now);
    this.drainQueue(model, now);
  }

  /**
   * A worker's ERROR for a job. The worker's code is the request's answer (INVALID_IMAGE, ...), except
   * SHUTTING_DOWN: a worker that is leaving did not fail the request, so the request goes back to the
   * front of the queue for another worker without spending a retry (scale-down must not cost requests),
   * and the leaving worker gets no new jobs. It cannot bounce forever: each leaving worker returns it at
   * most once, and its deadline still applies.
   */
  workerError(key: string, routingId: Buffer, jobId: string, code: ErrorCode, message: string, now: number): void {
    const job = this.settle(key, routingId, jobId, now);
    if (job === undefined) return;
    const model = this.models.get(job.model)!;
    if (code === ErrorCode.SHUTTING_DOWN) {
      const worker = this.workers.get(key);
      if (worker !== undefined) worker.accepting = false;
      job.state = JobState.QUEUED;
      model.queue.requeue(job);
    } else {
      this.finish(job);
      this.sink.fail(job, code, message, now);
    }
    this.drainQueue(model, now);
  }

  /** HEARTBEAT: liveness; a routing id that is not registered is told DISCONNECT, so it registers again. */
  workerHeartbeat(key: string, routingId: Buffer, now: number): void {
    if (this.workers.touch(key, now) === undefined) this.sink.disconnect(routingId);
  }

  /**
   * A worker's answer to a job that could not be decoded (an oversized result, an unknown error code):
   * the request is answered INTERNAL rather than left to its deadline. Another worker would most likely
   * produce the same answer, so it is not retried.
   */
  workerInvalidAnswer(key: string, routingId: Buffer, jobId: string, problem: string, now: number): void {
    const job = this.settle(key, routingId, jobId, now);
    if (job === undefined) return;
    const model = this.models.get(job.model)!;
    this.finish(job);
    this.sink.fail(job, ErrorCode.INTERNAL, `worker sent an invalid answer: ${problem}`, now);
    this.drainQueue(model, now);
  }

  /** DISCONNECT from a worker. */
  workerDisconnected(key: string, now: number): void {
    const worker = this.workers.get(key);
    if (worker !== undefined) this.dropWorker(worker, 'disconnected', now);
  }

  /** A send to this worker failed (its connection is gone): drop it now rather than waiting for silence. */
  workerUnreachable(key: string, now: number): void {
    const worker = this.workers.get(key);
    if (worker !== undefined) this.dropWorker(worker, 'unreachable', now);
  }

  // ---- time ------------------------------------------------------------------------------------

  /** Answers every request whose deadline has passed; frees credit slots whose grace period ended. */
  expire(now: number): void {
    if (this.lobby.size > 0) this.expireLobby(now);
    const heap = this.deadlines;
    for (let job = heap.peek(); job !== undefined && job.due <= now; job = heap.peek()) {
      heap.remove(job);
      const model = this.models.get(job.model)!;
      switch (job.state) {
        case JobState.QUEUED:
          model.queue.remove(job);
          this.finish(job);
          this.sink.fail(job, ErrorCode.DEADLINE_EXCEEDED, this.deadlineMessage(job, 'in the queue'), now);
          break;
        case JobState.IN_FLIGHT: {
          // Answer the client now; the worker keeps the slot until it answers or the grace ends.
          job.state = JobState.EXPIRED_AT_WORKER;
          this.forget(job);
          const where = `at worker ${job.worker?.info.workerId ?? '?'}`;
          this.sink.fail(job, ErrorCode.DEADLINE_EXCEEDED, this.deadlineMessage(job, where), now);
          job.releasePayload();
          job.due = now + this.expiredSlotGraceMs;
          heap.push(job);
          break;
        }
        case JobState.EXPIRED_AT_WORKER:
          this.releaseSlot(job);
          job.state = JobState.DONE;
          this.drainQueue(model, now);
          break;
      }
    }
  }

  /** Heartbeat tick: drops silent workers, heartbeats the rest, forgets idle clients. */
  tick(now: number): void {
    for (const worker of this.workers.silent(now)) this.dropWorker(worker, 'silent', now);
    for (const worker of this.workers.all()) this.sink.heartbeat(worker);
    this.clients.prune(now);
  }

  // ---- shutdown --------------------------------------------------------------------------------

  /** From now on new requests are answered SHUTTING_DOWN; accepted ones keep being served. */
  beginDrain(): void {
    this.draining = true;
  }

  /** Answers every accepted request still unanswered with SHUTTING_DOWN. */
  abortAll(now: number): void {
    for (const [key, waiting] of [...this.lobby]) {
      this.leaveLobby(key, waiting);
      this.rejectWaiting(waiting, ErrorCode.SHUTTING_DOWN, 'broker shut down before the request finished');
    }
    for (const job of [...this.deadlines.values()]) {
      if (job.state === JobState.QUEUED) {
        this.models.get(job.model)!.queue.remove(job);
        this.finish(job);
        this.sink.fail(job, ErrorCode.SHUTTING_DOWN, 'broker shut down before the request finished', now);
      } else if (job.state === JobState.IN_FLIGHT) {
        this.releaseSlot(job);
        this.finish(job);
        this.sink.fail(job, ErrorCode.SHUTTING_DOWN, 'broker shut down before the request finished', now);
      }
    }
  }

  /** Tells every worker DISCONNECT and forgets them. */
  disconnectAll(): void {
    for (const worker of [...this.workers.all()]) {
      this.sink.disconnect(worker.routingId);
      this.workers.remove(worker);
    }
  }

  // ---- internals -------------------------------------------------------------------------------

  /** Parks a request for a model not known yet, during the start-up grace (bounded like a queue). */
  private wait(client: ClientState, request: IncomingRequest, arrivedAt: number): void {
    const key = `${client.key}\u0000${request.requestId}`;
    // A client-side retry of a request already waiting: the first copy's one answer serves both.
    if (this.lobby.has(key)) return;
    const bytes = request.image.length + request.optionsFrame.length;
    if (this.lobby.size >= this.bounds.maxRequests || this.lobbyBytes + bytes > this.bounds.maxBytes) {
      const message = `too many requests waiting for models to register (${this.lobby.size} requests, ${this.lobbyBytes} bytes)`;
      this.sink.reject(client, request.requestIdFrame, request.requestId, request.model, ErrorCode.QUEUE_FULL, message);
      return;
    }
    const timeoutMs = request.options.timeoutMs ?? this.options.defaultTimeoutMs;
    this.lobby.set(key, { client, request, arrivedAt, deadline: arrivedAt + timeoutMs });
    this.lobbyBytes += bytes;
  }

  private leaveLobby(key: string, waiting: WaitingRequest): void {
    this.lobby.delete(key);
    this.lobbyBytes -= waiting.request.image.length + waiting.request.optionsFrame.length;
  }

  private rejectWaiting(waiting: WaitingRequest, code: ErrorCode, message: string): void {
    const { request, client } = waiting;
    this.sink.reject(client, request.requestIdFrame, request.requestId, request.model, code, message);
  }

  /** A worker registered: waiting requests whose model is now known are accepted, in arrival order. */
  private releaseLobby(now: number): void {
    for (const [key, waiting] of [...this.lobby]) {
      const name = waiting.request.model === '' ? this.defaultModelName : waiting.request.model;
      if (name === undefined || !this.models.has(name)) continue;
      this.leaveLobby(key, waiting);
      this.accept(waiting.client, waiting.request, waiting.arrivedAt, now);
    }
  }

  /** Answers waiting requests whose deadline passed, and, once the grace is over, all the rest UNKNOWN_MODEL. */
  private expireLobby(now: number): void {
    const graceOver = now >= this.graceEnds;
    for (const [key, waiting] of [...this.lobby]) {
      if (waiting.deadline <= now) {
        this.leaveLobby(key, waiting);
        const message = `deadline of ${Math.round(waiting.deadline - waiting.arrivedAt)} ms passed while waiting for a worker to register the model`;
        this.rejectWaiting(waiting, ErrorCode.DEADLINE_EXCEEDED, message);
      } else if (graceOver) {
        this.leaveLobby(key, waiting);
        const name = waiting.request.model;
        const message =
          name === ''
            ? 'no default model: no worker registered within the start-up grace and YOLOMQ_DEFAULT_MODEL is not set'
            : `model ${JSON.stringify(name)} is not served here (no worker registered it within the start-up grace)`;
        this.rejectWaiting(waiting, ErrorCode.UNKNOWN_MODEL, message);
      }
    }
  }

  private modelState(name: string): ModelState {
    let state = this.models.get(name);
    if (state === undefined) {
      state = { name, queue: new ModelQueue(name), inflight: 0 };
      this.models.set(name, state);
    }
    return state;
  }

  private dispatch(job: Job, worker: WorkerState<Job>, model: ModelState, now: number): void {
    const jobId = this.jobIdPrefix + (++this.jobSeq).toString(36);
    job.jobId = jobId;
    job.state = JobState.IN_FLIGHT;
    job.worker = worker;
    job.attempts++;
    job.dispatchedAt = now;
    this.jobs.set(jobId, job);
    worker.jobs.add(job);
    worker.lastDispatch = ++this.dispatchSeq;
    model.inflight++;
    this.sink.dispatch(job, worker, job.deadline - now, now - job.acceptedAt);
  }

  /** Hands waiting requests to workers of the model while any has free credit. */
  private drainQueue(model: ModelState, now: number): void {
    const queue = model.queue;
    if (queue.count === 0) return;
    const workers = this.workers.forModel(model.name);
    while (queue.count > 0) {
      const worker = leastLoaded(workers);
      if (worker === undefined) return;
      const job = queue.dequeue()!;
      if (job.deadline <= now) {
        // Its deadline passed in this same instant (the deadline heap has not reached it yet): an
        // expired request is never dispatched.
        this.finish(job);
        this.sink.fail(job, ErrorCode.DEADLINE_EXCEEDED, this.deadlineMessage(job, 'in the queue'), now);
        continue;
      }
      this.dispatch(job, worker, model, now);
    }
  }

  /**
   * Matches a worker's answer to the job it holds and frees the credit slot. Returns the job when the
   * answer is the request's (to be delivered), undefined when it is to be discarded.
   */
  private settle(key: string, routingId: Buffer, jobId: string, now: number): Job | undefined {
    const worker = this.workers.touch(key, now);
    if (worker === undefined) {
      // Not registered (dropped as silent, or never sent READY): its answer is late by definition.
      // DISCONNECT tells it to register again (Majordomo); the request was already re-sent or answered.
      this.sink.discard(key, jobId, 'late-reply');
      this.sink.disconnect(routingId);
      return undefined;
    }
    const job = this.jobs.get(jobId);
    if (job === undefined || job.worker !== worker) {
      this.sink.discard(key, jobId, job === undefined ? 'unknown-job' : 'wrong-worker');
      return undefined;
    }
    this.releaseSlot(job);
    worker.served++;
    if (job.state === JobState.EXPIRED_AT_WORKER) {
      // Already answered DEADLINE_EXCEEDED: the slot is free again, the answer goes nowhere.
      this.deadlines.remove(job);
      job.state = JobState.DONE;
      this.sink.discard(key, jobId, 'late-reply');
      this.drainQueue(this.models.get(job.model)!, now);
      return undefined;
    }
    return job;
  }

  /** Takes a job off its worker (job id forgotten, credit slot freed). */
  private releaseSlot(job: Job): void {
    const worker = job.worker;
    if (worker === undefined) return;
    this.jobs.delete(job.jobId);
    worker.jobs.delete(job);
    job.worker = undefined;
    this.models.get(job.model)!.inflight--;
  }

  /** The request is answered: forget it everywhere. */
  private finish(job: Job): void {
    this.deadlines.remove(job);
    this.forget(job);
    job.state = JobState.DONE;
    job.releasePayload();
  }

  /** The client has its answer: the request id is free again and no longer counts against the client. */
  private forget(job: Job): void {
    const pending = job.client.pending;
    if (pending.get(job.requestId) === job) {
      pending.delete(job.requestId);
      job.client.pendingBytes -= job.bytes;
      this.activeCount--;
    }
  }

  /** A job came back from a worker without an answer: queue it again at the front, or give up. */
  private retryOrFail(job: Job, now: number): boolean {
    job.failures++;
    if (job.failures > this.options.maxRetries) {
      this.finish(job);
      const message = `workers failed on all ${job.attempts} attempts (limit: ${this.options.maxRetries} retries)`;
      this.sink.fail(job, ErrorCode.WORKER_FAILED, message, now);
      return false;
    }
    job.state = JobState.QUEUED;
    this.models.get(job.model)!.queue.requeue(job);
    return true;
  }

  private dropWorker(worker: WorkerState<Job>, reason: WorkerLossReason, now: number): void {
    this.workers.remove(worker);
    let requeued = 0;
    let failed = 0;
    // In dispatch order, so requests go back to the front of the queue oldest first.
    for (const job of [...worker.jobs]) {
      this.releaseSlot(job);
      if (job.state === JobState.EXPIRED_AT_WORKER) {
        this.deadlines.remove(job);
        job.state = JobState.DONE;
      } else if (this.retryOrFail(job, now)) requeued++;
      else failed++;
    }
    this.sink.workerLost(worker, reason, requeued, failed);
    const model = this.models.get(worker.model);
    if (model !== undefined) this.drainQueue(model, now);
  }

  private deadlineMessage(job: Job, where: string): string {
    return `deadline of ${Math.round(job.deadline - job.acceptedAt)} ms passed ${where}`;
  }
}
