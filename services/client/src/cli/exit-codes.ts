/** The CLI's exit codes (also printed by `yolomq --help`). */
export const ExitCode = {
  /** everything worked */
  OK: 0,
  /** some images or requests failed (each is reported with its error code) */
  FAILED: 1,
  /** the command line is wrong (unknown option, bad value, no input files) */
  USAGE: 2,
  /** the broker could not be reached (or stopped answering every request) */
  UNREACHABLE: 3,
  /** interrupted (Ctrl-C) */
  INTERRUPTED: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export const EXIT_CODES_HELP = `Exit codes:
  0  success
  1  some images or requests failed (see the error codes in the output)
  2  usage error (bad option or value, no input images)
  3  broker unreachable (no answer to PING within --connect-timeout, or no reply to any request)
  130 interrupted`;

/** A failure that ends the command with a message and an exit code (no stack trace). */
export class CliFailure extends Error {
  override readonly name = 'CliFailure';
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
  }
}

export function usageError(message: string): CliFailure {
  return new CliFailure(message, ExitCode.USAGE);
}
