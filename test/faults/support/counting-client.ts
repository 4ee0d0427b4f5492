/**
 * A raw ZeroMQ client that counts: every REQUEST it sends and every answer it gets, per request id.
 * It never retries, so a duplicated answer cannot hide behind an SDK's retry logic, and a lost one
 * shows as a request id with no answer. Never imported by product code.
 */
import { decodeBrokerToClient, encodeRequest } from '@yolomq/protocol';
import { Dealer } from 'zeromq';

export interface Answer {
  kind: 'REPLY' | 'ERROR';
  code?: string;
  at: number;
}

export interface Tally {
  sent: number;
  answered: number;
  /** sent and never answered */
  lost: number;
  /** request ids answered more than once */
  duplicated: number;
  results: number;
  errors: Record<string, number>;
  /** answers to request ids never sent */
  strays: number;
}

export class CountingClient {
  readonly socket: Dealer;
  private readonly sent = new Map<string, { at: number; answers: Answer[] }>();
  private outbox: Buffer[][] = [];
  private pumping = false;
  private strays = 0;
  private waiters: Array<() => void> = [];
  private loop: Promise<void>;
  private seq = 0;

  constructor(
    endpoint: string,
    readonly name: string,
    socketOptions: ConstructorParameters<typeof Dealer>[0] = {},
  ) {
    this.socket = new Dealer({ linger: 0, ...socketOptions });
    this.socket.connect(endpoint);
    this.loop = this.receive();
  }

  private async receive(): Promise<void> {
    try {
      for await (const frames of this.socket) {
        const decoded = decodeBrokerToClient(frames);
        if (!decoded.ok) continue;
        const msg = decoded.value;
        if (msg.command === 'PONG') continue;
        const entry = this.sent.get(msg.requestId);
        if (entry === undefined) {
          this.strays++;
          continue;
        }
        entry.answers.push(
          msg.command === 'REPLY'
            ? { kind: 'REPLY', at: performance.now() }
            : { kind: 'ERROR', code: msg.code, at: performance.now() },
        );
        for (const w of this.waiters.splice(0)) w();
      }
    } catch {
      // socket closed
    }
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    while (this.outbox.length > 0) {
      const msg = this.outbox.shift()!;
      try {
        await this.socket.send(msg);
      } catch {
        break;
      }
    }
    this.pumping = false;
  }

  /** Sends one request; returns its id. */
  send(image: Buffer, options: { timeoutMs?: number } = {}, model = ''): string {
    const id = `${this.name}-${++this.seq}`;
    this.sent.set(id, { at: performance.now(), answers: [] });
    this.outbox.push(encodeRequest(id, model, options, image));
    void this.pump();
    return id;
  }

  /** Sends pre-encoded frames as they are (fuzzing); not counted. */
  sendRaw(frames: Buffer[]): void {
    this.outbox.push(frames);
    void this.pump();
  }

  has(id: string): boolean {
    return this.sent.has(id);
  }

  /** ids sent and not answered yet */
  pendingIds(): string[] {
    const out: string[] = [];
    for (const [id, e] of this.sent) if (e.answers.length === 0) out.push(id);
    return out;
  }

  answers(id: string): Answer[] {
    return this.sent.get(id)?.answers ?? [];
  }

  /** requests sent and not answered yet */
  get outstanding(): number {
    let n = 0;
    for (const e of this.sent.values()) if (e.answers.length === 0) n++;
    return n;
  }

  /** Resolves at the next answer (or after ms). */
  nextAnswer(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.waiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  /** Waits until every request is answered or ms passed. */
  async settle(ms: number): Promise<void> {
    const end = performance.now() + ms;
    while (this.outstanding > 0 && performance.now() < end) await this.nextAnswer(end - performance.now());
  }

  /** Latency of each answered request (first answer), ms. */
  latencies(): number[] {
    const out: number[] = [];
    for (const e of this.sent.values()) if (e.answers[0]) out.push(e.answers[0].at - e.at);
    return out;
  }

  tally(): Tally {
    const t: Tally = { sent: 0, answered: 0, lost: 0, duplicated: 0, results: 0, errors: {}, strays: this.strays };
    for (const e of this.sent.values()) {
      t.sent++;
      if (e.answers.length === 0) t.lost++;
      else t.answered++;
      if (e.answers.length > 1) t.duplicated++;
      const first = e.answers[0];
      if (first?.kind === 'REPLY') t.results++;
      else if (first?.kind === 'ERROR') t.errors[first.code!] = (t.errors[first.code!] ?? 0) + 1;
    }
    return t;
  }

  async close(): Promise<void> {
    this.socket.close();
    await this.loop;
  }
}

export function sumTallies(tallies: Tally[]): Tally {
  const t: Tally = { sent: 0, answered: 0, lost: 0, duplicated: 0, results: 0, errors: {}, strays: 0 };
  for (const x of tallies) {
    t.sent += x.sent;
    t.answered += x.answered;
    t.lost += x.lost;
    t.duplicated += x.duplicated;
    t.results += x.results;
    t.strays += x.strays;
    for (const [k, v] of Object.entries(x.errors)) t.errors[k] = (t.errors[k] ?? 0) + v;
  }
  return t;
}

/**
 * Steady load: each client keeps `window` requests outstanding until stop() is called, then waits for
 * the rest to be answered (up to settleMs).
 */
export class SteadyLoad {
  private running = true;
  private loops: Promise<void>[] = [];

  constructor(
    readonly clients: CountingClient[],
    private readonly image: () => Buffer,
    private readonly window: number,
    private readonly options: { timeoutMs?: number } = {},
  ) {
    for (const c of clients) this.loops.push(this.drive(c));
  }

  private async drive(c: CountingClient): Promise<void> {
    while (this.running) {
      while (this.running && c.outstanding < this.window) c.send(this.image(), this.options);
      await c.nextAnswer(200);
    }
  }

  async stop(settleMs: number): Promise<Tally> {
    this.running = false;
    await Promise.all(this.loops);
    await Promise.all(this.clients.map((c) => c.settle(settleMs)));
    return sumTallies(this.clients.map((c) => c.tally()));
  }
}
