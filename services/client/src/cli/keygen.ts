/**
 * `yolomq keygen [--out PREFIX]`: makes a CurveZMQ key pair (Z85 text). With --out, writes
 * PREFIX.key (the secret key, mode 0600) and PREFIX.pub (the public key, for the broker's allow-list or,
 * for the broker's own pair, for clients' and workers' YOLOMQ_CURVE_SERVER_KEY); without it, prints both.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { curveKeyPair } from 'zeromq';
import type { CliContext } from './context.js';
import { CliFailure, ExitCode } from './exit-codes.js';

export interface KeygenOptions {
  out?: string;
  force?: boolean;
}

export function runKeygen(opts: KeygenOptions, ctx: Pick<CliContext, 'stdout'>): ExitCode {
  const pair = curveKeyPair();
  if (opts.out === undefined) {
    ctx.stdout.write(`public ${pair.publicKey}\nsecret ${pair.secretKey}\n`);
    return ExitCode.OK;
  }
  const secretFile = `${opts.out}.key`;
  const publicFile = `${opts.out}.pub`;
  for (const file of [secretFile, publicFile]) {
    if (existsSync(file) && !opts.force) {
      throw new CliFailure(`${file} exists; refusing to overwrite a key (use --force)`, ExitCode.USAGE);
    }
  }
  try {
    writeFileSync(secretFile, `${pair.secretKey}\n`, { mode: 0o600 });
    writeFileSync(publicFile, `${pair.publicKey}\n`, { mode: 0o644 });
  } catch (err) {
    throw new CliFailure(`cannot write the key pair: ${(err as Error).message}`, ExitCode.FAILED);
  }
  ctx.stdout.write(`wrote ${secretFile} (secret, keep it private) and ${publicFile} (public: ${pair.publicKey})\n`);
  return ExitCode.OK;
}
