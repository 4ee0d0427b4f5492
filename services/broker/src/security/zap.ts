/**
 * The ZAP handler (ZeroMQ RFC 27): libzmq asks it, over inproc://zeromq.zap.01 in the same context,
 * whether each CURVE peer may connect. The broker's two ROUTERs set different ZAP domains ("clients",
 * "workers"), so each has its own allow-list. A REP socket and a `for await` loop; the decision is the
 * pure `zapDecision`.
 */
import { Reply } from 'zeromq';
import type { Logger } from '../logger.js';

export const ZAP_ENDPOINT = 'inproc://zeromq.zap.01';

export interface ZapDecision {
  status: '200' | '400' | '500';
  text: string;
}

/**
 * Decides one ZAP request (frames: version, request id, domain, address, identity, mechanism,
 * credentials...). Only CURVE peers whose public key is in their domain's allow-list are let in.
 */
export function zapDecision(frames: readonly Buffer[], allow: ReadonlyMap<string, ReadonlySet<string>>): ZapDecision {
  if (frames.length < 6 || frames[0]!.toString() !== '1.0') return { status: '500', text: 'malformed ZAP request' };
  const domain = frames[2]!.toString();
  const mechanism = frames[5]!.toString();
  if (mechanism !== 'CURVE') return { status: '400', text: `mechanism ${mechanism} is not allowed` };
  const key = frames[6];
  const keys = allow.get(domain);
  if (keys === undefined) return { status: '400', text: `unknown ZAP domain ${domain}` };
  if (key === undefined || key.length !== 32 || !keys.has(key.toString('hex'))) {
    return { status: '400', text: 'public key not in the allow-list' };
  }
  return { status: '200', text: 'OK' };
}

export interface ZapHandler {
  close(): Promise<void>;
}

/** Binds the ZAP handler and answers requests until closed. */
export async function startZapHandler(
  allow: ReadonlyMap<string, ReadonlySet<string>>,
  logger: Logger,
): Promise<ZapHandler> {
  const log = logger.child({ component: 'zap' });
  const socket = new Reply({ linger: 0 });
  await socket.bind(ZAP_ENDPOINT);
  const loop = (async () => {
    try {
      for await (const frames of socket) {
        const decision = zapDecision(frames, allow);
        if (decision.status !== '200') {
          log.warn(
            { domain: frames[2]?.toString(), address: frames[3]?.toString(), reason: decision.text },
            'peer refused',
          );
        }
        // version, request id, status code, status text, user id, metadata
        await socket.send([frames[0] ?? '1.0', frames[1] ?? '', decision.status, decision.text, '', '']);
      }
    } catch (error) {
      if (!socket.closed) log.error({ err: error }, 'ZAP handler stopped');
    }
  })();
  return {
    async close() {
      socket.close();
      await loop;
    },
  };
}
