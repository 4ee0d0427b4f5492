/**
 * The client: many requests in flight over one DEALER socket, matched to replies by request id.
 *
 * Reliability is Lazy Pirate (ZeroMQ guide, chapter 4): every request has a timer per attempt. When an
 * attempt's timer fires and the request has retries left, the client concludes the broker is gone or
 * lost the message: after a backoff it closes its socket, opens a new one (new routing id) and resends
 * every request still pending. A broker that restarts on the same endpoint is thus survived without the
 * program restarting. Each attempt also tells the broker its deadline (options.timeoutMs), and the client
 * waits a grace period past it, so a live but busy broker answers DEADLINE_EXCEEDED before the client
 * gives up on it.
 */
import { performance } from 'node:perf_hooks';
import {
  type BrokerToClient,
  type DetectionResult,
  ErrorCode,
  encodePing,
  encodeRequest,
  type ProtocolError,
  parseResult,
  validateOptions,
} from '@yolomq/protocol';
import { ClientError, ClientErrorCode, DetectionError } from './errors.js';
import { type ImageInput, readImage } from './image-input.js';
import { BrokerLink } from './link.js';
import {
  attemptWaitMs,
  backoffDelay,
  type DetectRequestOptions,
  type ResolvedClientOptions,
  splitRequestOptions,
} from './options.js';
import { requestIdGenerator } from './request-ids.js';

/** A detection result as the SDK returns it: the worker's result plus what the client saw. */
export interface DetectResult extends DetectionResult {
  requestId: string;
  /** how many times the request was sent (1 = no retry) */
  attempts: number;
  /** from detect() having the image bytes to the reply, in ms (includes retries) */
  latencyMs: number;
}

/** Counters since the client was created. */
export interface ClientStats {
  /** requests accepted by detect() */
  requests: number;
  /** messages sent, resends included */
  sends: number;
  /** sends beyond each request's first */
  resends: number;
  /** attempts that got no reply in time */
  timeouts: number;
  /** times the socket was replaced (Lazy Pirate reconnects) */
  reconnects: number;
  /** requests waiting for a reply now */
  inFlight: number;
}

interface PendingRequest {
  readonly id: string;
  readonly frames: Buffer[];
  /** how long the client waits for each attempt */
  readonly waitMs: number;
  readonly retries: number;
  readonly startedAt: number;
  sends: number;
  /** attempts that timed out */
  failures: number;
  /** answers with a retryable code (SHUTTING_DOWN) */
  refusals: number;
  timer: NodeJS.Timeout | undefined;
  resolve(result: DetectResult): void;
  reject(error: Error): void;
}

interface PendingPing {
  readonly startedAt: number;
  readonly timer: NodeJS.Timeout;
  resolve(rttMs: number): void;
  reject(error: Error): void;
}

export class YolomqClient {
  readonly endpoint: string;
  private readonly options: ResolvedClientOptions;
  private readonly link: BrokerLink;
  private readonly pending = new Map<string, PendingRequest>();
  private readonly pings = new Map<string, PendingPing>();
  private readonly nextId = requestIdGenerator();
  private reconnectTimer: NodeJS.Timeout | undefined;
  private consecutiveReconnects = 0;
  private closed = false;
  private readonly counters = { requests: 0, sends: 0, resends: 0, timeouts: 0, reconnects: 0 };

  /** Use connect() rather than this constructor: it validates options and can check the broker answers. */
  constructor(endpoint: string, options: ResolvedClientOptions) {
    this.endpoint = endpoint;
    this.options = options;
    this.link = new BrokerLink(
      endpoint,
      {
        onMessage: (message) => this.onMessage(message),
        onUndecodable: (error, id) => this.onUndecodable(error, id),
      },
      options.logger,
      options.curve,
    );
  }

  /** Requests waiting for a reply. */
  get inFlight(): number {
    return this.pending.size;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  stats(): ClientStats {
    return { ...this.counters, inFlight: this.pending.size };
  }

  /**
   * Runs detection on one image. Resolves with the result, or rejects with a DetectionError (the broker
   * or worker refused or failed it: BAD_REQUEST, DEADLINE_EXCEEDED, ...) or a ClientError (TIMEOUT,
   * CLOSED, IO_ERROR, INVALID_ARGUMENT).
   */
  async detect(image: ImageInput, options?: DetectRequestOptions): Promise<DetectResult> {
    this.assertOpen();
    const request = splitRequestOptions(options, this.options);
    const valid = validateOptions(request.detect);
    if (!valid.ok) throw new DetectionError(valid.error.code, valid.error.message);
    const bytes = await readImage(image, this.options.maxImageBytes);
    this.assertOpen();
    const id = this.nextId();
    const frames = encodeRequest(id, request.model, valid.value, bytes);
    this.counters.requests++;
    return new Promise<DetectResult>((resolve, reject) => {
      const pending: PendingRequest = {
        id,
        frames,
        waitMs: attemptWaitMs(request.timeoutMs, this.options.replyGraceMs),
        retries: request.retries,
        startedAt: performance.now(),
        sends: 0,
        failures: 0,
        refusals: 0,
        timer: undefined,
        resolve,
        reject,
      };
      this.pending.set(id, pending);
      // While a reconnect is scheduled, new requests wait for the fresh socket (it resends all pending).
      if (this.reconnectTimer === undefined) this.transmit(pending);
    });
  }

  /** Sends a PING and resolves with the round-trip time in ms, or rejects with ClientError UNREACHABLE. */
  async ping(timeoutMs = this.options.connectTimeoutMs): Promise<number> {
    this.assertOpen();
    const token = `${this.nextId()}`;
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pings.delete(token);
        reject(
          new ClientError(
            ClientErrorCode.UNREACHABLE,
            `cannot reach the yolomq broker at ${this.endpoint}: no answer to PING within ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      timer.unref();
      this.pings.set(token, { startedAt: performance.now(), timer, resolve, reject });
      this.link.send(encodePing(Buffer.from(token, 'utf8')));
    });
  }

  /**
   * Closes the socket, rejects every pending request and ping with ClientError CLOSED and clears every
   * timer, so nothing of the client keeps the process alive. Safe to call twice.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const closedError = (id?: string) =>
      new ClientError(ClientErrorCode.CLOSED, 'the yolomq client was closed while the request was pending', id);
    for (const request of this.pending.values()) {
      clearTimeout(request.timer);
      request.reject(closedError(request.id));
    }
    this.pending.clear();
    for (const ping of this.pings.values()) {
      clearTimeout(ping.timer);
      ping.reject(closedError());
    }
    this.pings.clear();
    this.link.close();
  }

  // ---- internals -------------------------------------------------------------------------------

  private assertOpen(): void {
    if (this.closed) throw new ClientError(ClientErrorCode.CLOSED, 'the yolomq client is closed');
  }

  /** Sends one attempt of a request and arms its timer. */
  private transmit(request: PendingRequest): void {
    if (request.sends > 0) this.counters.resends++;
    request.sends++;
    this.counters.sends++;
    clearTimeout(request.timer);
    request.timer = setTimeout(() => this.onAttemptTimeout(request), request.waitMs);
    // The socket's receive keeps the process alive while the client is open; timers must not.
    request.timer.unref();
    this.link.send(request.frames);
  }

  private settle(request: PendingRequest): boolean {
    if (this.pending.get(request.id) !== request) return false;
    this.pending.delete(request.id);
    clearTimeout(request.timer);
    request.timer = undefined;
    return true;
  }

  private onAttemptTimeout(request: PendingRequest): void {
    request.timer = undefined;
    if (this.pending.get(request.id) !== request) return;
    this.counters.timeouts++;
    request.failures++;
    if (request.failures > request.retries) {
      this.settle(request);
      const attempts = request.sends;
      request.reject(
        new ClientError(
          ClientErrorCode.TIMEOUT,
          `no reply from the yolomq broker at ${this.endpoint} after ${attempts} attempt${attempts === 1 ? '' : 's'} ` +
            `of ${request.waitMs} ms`,
          request.id,
        ),
      );
      return;
    }
    this.scheduleReconnect(request);
  }

  private scheduleReconnect(cause: PendingRequest): void {
    if (this.reconnectTimer !== undefined || this.closed) return;
    const delay = backoffDelay(
      this.consecutiveReconnects++,
      this.options.backoffMs,
      this.options.backoffMaxMs,
      Math.random,
    );
    this.options.logger.warn(
      { requestId: cause.id, attempt: cause.sends, endpoint: this.endpoint, backoffMs: delay },
      'no reply from the broker in time; reconnecting after a backoff',
    );
    this.reconnectTimer = setTimeout(() => this.reconnect(), delay);
    this.reconnectTimer.unref();
  }

  /** Lazy Pirate: a fresh socket (new routing id), then every pending request is sent again. */
  private reconnect(): void {
    this.reconnectTimer = undefined;
    if (this.closed) return;
    this.counters.reconnects++;
    this.link.reset();
    this.options.logger.debug(
      { endpoint: this.endpoint, pending: this.pending.size, reconnects: this.counters.reconnects },
      'new socket to the broker; resending pending requests',
    );
    for (const request of this.pending.values()) this.transmit(request);
  }

  /**
   * A retryable error reply (SHUTTING_DOWN by default): resend this request alone after a backoff. A
   * broker that is draining refuses new work for as long as its drain lasts, so these resends are not
   * counted against `retries`; they go on, backing off, while the request's whole budget lasts
   * ((retries + 1) attempts' wait). retries: 0 means no resend of any kind.
   */
  private retryLater(request: PendingRequest, error: DetectionError): void {
    const delay = backoffDelay(request.refusals++, this.options.backoffMs, this.options.backoffMaxMs, Math.random);
    const budgetMs = request.waitMs * (request.retries + 1);
    if (request.retries === 0 || performance.now() - request.startedAt + delay > budgetMs) {
      this.settle(request);
      request.reject(error);
      return;
    }
    clearTimeout(request.timer);
    request.timer = setTimeout(() => {
      request.timer = undefined;
      if (this.pending.get(request.id) !== request) return;
      if (this.reconnectTimer === undefined) this.transmit(request);
    }, delay);
    request.timer.unref();
  }

  private onMessage(message: BrokerToClient): void {
    // Any answer shows the broker is there: the next reconnect starts from the shortest backoff.
    this.consecutiveReconnects = 0;
    switch (message.command) {
      case 'REPLY': {
        const request = this.pending.get(message.requestId);
        if (request === undefined) {
          this.options.logger.debug({ requestId: message.requestId }, 'reply for a request no longer pending');
          return;
        }
        this.settle(request);
        const parsed = parseResult(message.result);
        if (!parsed.ok) {
          request.reject(new DetectionError(parsed.error.code, parsed.error.message, request.id));
          return;
        }
        request.resolve({
          ...parsed.value,
          requestId: request.id,
          attempts: request.sends,
          latencyMs: Math.round((performance.now() - request.startedAt) * 1000) / 1000,
        });
        return;
      }
      case 'ERROR': {
        const request = this.pending.get(message.requestId);
        if (request === undefined) return;
        const error = new DetectionError(message.code, message.message, request.id);
        if (this.options.retryOn.has(message.code)) {
          this.retryLater(request, error);
          return;
        }
        this.settle(request);
        request.reject(error);
        return;
      }
      case 'PONG': {
        const token = message.token.toString('utf8');
        const ping = this.pings.get(token);
        if (ping === undefined) return;
        this.pings.delete(token);
        clearTimeout(ping.timer);
        ping.resolve(performance.now() - ping.startedAt);
        return;
      }
    }
  }

  private onUndecodable(error: ProtocolError, id: string | undefined): void {
    this.options.logger.warn({ code: error.code, requestId: id }, `undecodable message from broker: ${error.message}`);
    const request = id === undefined ? undefined : this.pending.get(id);
    if (request === undefined) return;
    this.settle(request);
    request.reject(
      new DetectionError(ErrorCode.INTERNAL, `the broker's answer could not be decoded: ${error.message}`, id),
    );
  }
}
