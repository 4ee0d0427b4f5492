import { YolomqClient } from './client.js';
import { ClientError, ClientErrorCode } from './errors.js';
import { type ClientOptions, resolveClientOptions } from './options.js';

/** ZeroMQ endpoints the client can connect to. */
const ENDPOINT = /^(tcp:\/\/[^\s]+:\d+|ipc:\/\/\S+|inproc:\/\/\S+)$/;

/**
 * Opens a client to a broker's frontend (e.g. "tcp://127.0.0.1:5555"). Unless `verify: false`, waits for
 * the broker to answer a PING within `connectTimeoutMs` and otherwise rejects with ClientError
 * UNREACHABLE naming the endpoint. Call `close()` when done.
 */
export async function connect(endpoint: string, options: ClientOptions = {}): Promise<YolomqClient> {
  const resolved = resolveClientOptions(options);
  if (typeof endpoint !== 'string' || !ENDPOINT.test(endpoint)) {
    throw new ClientError(
      ClientErrorCode.INVALID_ARGUMENT,
      `invalid broker endpoint ${JSON.stringify(endpoint)}: expected tcp://host:port, ipc://path or inproc://name`,
    );
  }
  let client: YolomqClient;
  try {
    client = new YolomqClient(endpoint, resolved);
  } catch (err) {
    throw new ClientError(
      ClientErrorCode.INVALID_ARGUMENT,
      `cannot connect to ${endpoint}: ${(err as Error).message}`,
      undefined,
      { cause: err },
    );
  }
  if (resolved.verify) {
    try {
      await client.ping(resolved.connectTimeoutMs);
    } catch (err) {
      await client.close();
      throw err;
    }
  }
  return client;
}
