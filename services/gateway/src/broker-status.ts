/**
 * Reads the broker's /status and /metrics over HTTP (the broker's own monitoring port). The gateway
 * never reaches into the broker any other way: detections go over ZeroMQ through the client SDK.
 */
import { type MetricsSample, parseBrokerMetrics } from './traffic.js';

export type StatusSnapshot =
  | { ok: true; at: number; status: BrokerStatus }
  | { ok: false; at: number; message: string };

/**
 * The parts of the broker's /status the gateway reads itself (the dashboard reads the rest). The
 * broker owns the document; fields the gateway does not know pass through untouched.
 */
export interface BrokerStatus {
  workers?: Array<{ model?: unknown; [key: string]: unknown }>;
  [key: string]: unknown;
}

/** One GET of `${baseUrl}/status`, never throwing: failures become `{ ok: false }` snapshots. */
export async function readBrokerStatus(baseUrl: string, timeoutMs: number): Promise<StatusSnapshot> {
  const at = Date.now();
  try {
    const response = await fetch(`${baseUrl}/status`, {
      signal: AbortSignal.timeout(timeoutMs),
      headers: { accept: 'application/json' },
    });
    if (!response.ok) {
      await response.body?.cancel();
      return { ok: false, at, message: `broker /status answered HTTP ${response.status}` };
    }
    const status = (await response.json()) as unknown;
    if (typeof status !== 'object' || status === null || Array.isArray(status)) {
      return { ok: false, at, message: 'broker /status is not a JSON object' };
    }
    return { ok: true, at, status: status as BrokerStatus };
  } catch (err) {
    const reason = err instanceof Error ? (err.name === 'TimeoutError' ? 'timed out' : err.message) : String(err);
    return { ok: false, at, message: `broker /status at ${baseUrl} is unreachable: ${reason}` };
  }
}

/** One GET of `${baseUrl}/metrics`, parsed; undefined when it cannot be read (the charts then go blank). */
export async function readBrokerMetrics(baseUrl: string, timeoutMs: number): Promise<MetricsSample | undefined> {
  try {
    const response = await fetch(`${baseUrl}/metrics`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) {
      await response.body?.cancel();
      return undefined;
    }
    return parseBrokerMetrics(await response.text());
  } catch {
    return undefined;
  }
}
