/**
 * A minimal client of the broker's frontend for the eval script: one DEALER, requests in flight
 * matched to replies by request id. (The product client SDK lives in services/client; the worker may
 * not import it, so this speaks the protocol directly through @yolomq/protocol's codec.)
 */
import {
  DetectionError,
  type DetectionResult,
  type DetectOptions,
  decodeBrokerToClient,
  encodeRequest,
  parseResult,
} from '@yolomq/protocol';
import { Dealer } from 'zeromq';

export class BrokerClient {
  private readonly socket = new Dealer({ linger: 0 });
  private readonly pending = new Map<string, { resolve: (r: DetectionResult) => void; reject: (e: Error) => void }>();
  private readonly outbox: Buffer[][] = [];
  private sending = false;
  private seq = 0;

  constructor(
    endpoint: string,
    private readonly model = '',
  ) {
    this.socket.connect(endpoint);
    void this.receive();
  }

  detect(image: Buffer, options: DetectOptions): Promise<DetectionResult> {
    const id = `eval-${process.pid}-${++this.seq}`;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.outbox.push(encodeRequest(id, this.model, options, image));
      void this.pump();
    });
  }

  close(): void {
    this.socket.close();
    for (const p of this.pending.values()) p.reject(new Error('client closed'));
    this.pending.clear();
  }

  private async pump(): Promise<void> {
    if (this.sending) return;
    this.sending = true;
    try {
      while (this.outbox.length > 0) await this.socket.send(this.outbox.shift()!);
    } finally {
      this.sending = false;
    }
  }

  private async receive(): Promise<void> {
    try {
      for await (const frames of this.socket) {
        const msg = decodeBrokerToClient(frames);
        if (!msg.ok || msg.value.command === 'PONG') continue;
        const pending = this.pending.get(msg.value.requestId);
        if (pending === undefined) continue;
        this.pending.delete(msg.value.requestId);
        if (msg.value.command === 'ERROR') {
          pending.reject(new DetectionError(msg.value.code, msg.value.message, msg.value.requestId));
        } else {
          const result = parseResult(msg.value.result);
          if (result.ok) pending.resolve(result.value);
          else pending.reject(new Error(result.error.message));
        }
      }
    } catch {
      // the socket was closed
    }
  }
}
