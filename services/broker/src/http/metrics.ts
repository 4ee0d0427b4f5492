/**
 * The broker's Prometheus metrics, in a prom-client Registry of its own (never the global one, so
 * several brokers can live in one process, e.g. in tests or worker threads).
 *
 * Why the hot path is cheap: prom-client hashes the label set on every inc()/observe() (a few hundred
 * ns each). Here the per-request path touches only plain numbers and typed arrays held per model
 * (ModelMetrics: counts per outcome, a pre-bound recorder per histogram). Counters are handed to
 * prom-client in their `collect` callbacks when /metrics is scraped, histograms report their
 * recorders (FastHistogram), and gauges are read from the scheduler's state at scrape time.
 */
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { FastHistogram, type HistogramRecorder } from './fast-histogram.js';

/** Bucket upper bounds in seconds, shared by the latency histograms (0.5 ms .. 60 s). */
export const LATENCY_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
] as const;

/** One model's state as the gauges show it. */
export interface ModelGauges {
  model: string;
  queued: number;
  queuedBytes: number;
  inflight: number;
  liveWorkers: number;
  credit: number;
}

/** The gauges' source: read at scrape time. */
export interface GaugeSource {
  models(): Iterable<ModelGauges>;
  clients(): number;
}

/** Everything recorded per request for one model: plain fields, no label hashing. */
export class ModelMetrics {
  /** requests answered, by outcome ('ok' or an error code) */
  readonly outcomes = new Map<string, number>();
  retries = 0;

  constructor(
    readonly model: string,
    /** acceptance to dispatch, each attempt (seconds) */
    readonly queueWait: HistogramRecorder,
    /** dispatch to the worker's result (seconds) */
    readonly service: HistogramRecorder,
    /** acceptance to answer (seconds) */
    readonly latency: HistogramRecorder,
  ) {}

  outcome(outcome: string): void {
    this.outcomes.set(outcome, (this.outcomes.get(outcome) ?? 0) + 1);
  }
}

export class BrokerMetrics {
  readonly registry = new Registry();
  private readonly perModel = new Map<string, ModelMetrics>();
  /** counts not tied to a request, keyed by label value */
  private readonly workerLosses = new Map<string, number>();
  private readonly malformed = new Map<string, number>();
  private readonly discarded = new Map<string, number>();
  private duplicates = 0;
  private readonly queueWait: FastHistogram<'model'>;
  private readonly service: FastHistogram<'model'>;
  private readonly latency: FastHistogram<'model'>;

  constructor(source: GaugeSource) {
    const registers = [this.registry];
    const perModel = this.perModel;
    const drainCounter = (counter: Counter<string>, counts: Map<string, number>, label: string) => {
      for (const [value, n] of counts) if (n > 0) counter.inc({ [label]: value }, n);
      counts.clear();
    };

    new Counter({
      name: 'yolomq_broker_requests_total',
      help: 'Requests answered, by model and outcome (ok or the error code sent)',
      labelNames: ['model', 'outcome'],
      registers,
      collect() {
        for (const m of perModel.values()) {
          for (const [outcome, n] of m.outcomes) if (n > 0) this.inc({ model: m.model, outcome }, n);
          m.outcomes.clear();
        }
      },
    });
    new Counter({
      name: 'yolomq_broker_retries_total',
      help: 'Requests sent again to another worker after the worker holding them was lost',
      labelNames: ['model'],
      registers,
      collect() {
        for (const m of perModel.values()) {
          if (m.retries > 0) this.inc({ model: m.model }, m.retries);
          m.retries = 0;
        }
      },
    });
    const losses = this.workerLosses;
    new Counter({
      name: 'yolomq_broker_worker_losses_total',
      help: 'Workers dropped, by reason (silent, disconnected, unreachable, replaced)',
      labelNames: ['reason'],
      registers,
      collect() {
        drainCounter(this, losses, 'reason');
      },
    });
    const malformed = this.malformed;
    new Counter({
      name: 'yolomq_broker_malformed_messages_total',
      help: 'Messages that could not be decoded, by socket (frontend, backend)',
      labelNames: ['socket'],
      registers,
      collect() {
        drainCounter(this, malformed, 'socket');
      },
    });
    const discarded = this.discarded;
    new Counter({
      name: 'yolomq_broker_discarded_answers_total',
      help: 'Worker answers dropped: late (after a deadline or from a dropped worker) or matching no job',
      labelNames: ['reason'],
      registers,
      collect() {
        drainCounter(this, discarded, 'reason');
      },
    });
    const self = this;
    new Counter({
      name: 'yolomq_broker_duplicate_requests_total',
      help: 'Requests ignored because the same client already had that request id pending',
      registers,
      collect() {
        if (self.duplicates > 0) this.inc(self.duplicates);
        self.duplicates = 0;
      },
    });

    this.queueWait = new FastHistogram(
      'yolomq_broker_queue_wait_seconds',
      'Time from acceptance to dispatch to a worker (each attempt)',
      'model',
      LATENCY_BUCKETS,
      registers,
    );
    this.service = new FastHistogram(
      'yolomq_broker_service_seconds',
      "Time from dispatch to the worker's result (successful requests)",
      'model',
      LATENCY_BUCKETS,
      registers,
    );
    this.latency = new FastHistogram(
      'yolomq_broker_latency_seconds',
      'Time from acceptance to the answer being sent (every accepted request)',
      'model',
      LATENCY_BUCKETS,
      registers,
    );

    const gauge = (name: string, help: string, pick: (m: ModelGauges) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['model'],
        registers,
        collect() {
          this.reset();
          for (const m of source.models()) this.set({ model: m.model }, pick(m));
        },
      });
    gauge('yolomq_broker_queue_depth', 'Requests waiting in the model queue', (m) => m.queued);
    gauge('yolomq_broker_queue_bytes', 'Bytes held by requests waiting in the model queue', (m) => m.queuedBytes);
    gauge('yolomq_broker_inflight', 'Requests held by workers', (m) => m.inflight);
    gauge('yolomq_broker_live_workers', 'Workers registered and heartbeating', (m) => m.liveWorkers);
    gauge('yolomq_broker_credit', 'Total credit of the live workers', (m) => m.credit);
    new Gauge({
      name: 'yolomq_broker_clients',
      help: 'Clients seen in the last minute or with requests pending',
      registers,
      collect() {
        this.set(source.clients());
      },
    });
    collectDefaultMetrics({ register: this.registry });
  }

  /** The per-model recorder (created on first use; models are bounded by what workers registered). */
  model(name: string): ModelMetrics {
    let m = this.perModel.get(name);
    if (m === undefined) {
      m = new ModelMetrics(
        name,
        this.queueWait.recorder(name),
        this.service.recorder(name),
        this.latency.recorder(name),
      );
      this.perModel.set(name, m);
    }
    return m;
  }

  workerLost(reason: string): void {
    this.workerLosses.set(reason, (this.workerLosses.get(reason) ?? 0) + 1);
  }

  malformedMessage(socket: 'frontend' | 'backend'): void {
    this.malformed.set(socket, (this.malformed.get(socket) ?? 0) + 1);
  }

  discardedAnswer(reason: string): void {
    this.discarded.set(reason, (this.discarded.get(reason) ?? 0) + 1);
  }

  duplicateRequest(): void {
    this.duplicates++;
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
