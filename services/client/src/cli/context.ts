import type { Logger } from 'pino';
import { ClientError, ClientErrorCode, type ClientOptions, connect, type YolomqClient } from '../sdk/index.js';
import type { CliConfig } from './config.js';
import { CliFailure, ExitCode } from './exit-codes.js';

/** What a command gets from main: its streams, configuration, logger and an interrupt signal. */
export interface CliContext {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  env: Record<string, string | undefined>;
  config: CliConfig;
  logger: Logger;
  /** aborted on Ctrl-C: commands stop starting work, finish or cancel what is in flight, and report */
  interrupt: AbortSignal;
}

/** Connects and checks the broker answers; an unreachable broker ends the command with exit code 3. */
export async function connectOrFail(endpoint: string, options: ClientOptions): Promise<YolomqClient> {
  try {
    return await connect(endpoint, options);
  } catch (err) {
    if (err instanceof ClientError && err.code === ClientErrorCode.UNREACHABLE) {
      throw new CliFailure(
        `${err.message}\nIs the broker running? Point the CLI at it with --broker or YOLOMQ_BROKER.`,
        ExitCode.UNREACHABLE,
      );
    }
    if (err instanceof ClientError && err.code === ClientErrorCode.INVALID_ARGUMENT) {
      throw new CliFailure(err.message, ExitCode.USAGE);
    }
    throw err;
  }
}
