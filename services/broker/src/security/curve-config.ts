/**
 * Loads the broker's CurveZMQ material named by its configuration: its secret key and the allow-lists
 * of client and worker public keys. Reads files; returns a clear message instead of throwing.
 */
import { readFileSync } from 'node:fs';
import { parseAllowList } from './allow-list.js';
import { isCurveKey } from './z85.js';

export interface CurveFiles {
  secretKeyFile: string;
  publicKeyFile: string | undefined;
  clientsAllowFile: string;
  workersAllowFile: string;
}

export interface CurveMaterial {
  secretKey: string;
  publicKey: string | undefined;
  /** allowed public keys (hex of their 32 bytes) by ZAP domain */
  allow: Map<string, Set<string>>;
}

export const CLIENTS_DOMAIN = 'clients';
export const WORKERS_DOMAIN = 'workers';

function readKeyFile(path: string, what: string): { ok: true; key: string } | { ok: false; message: string } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch (error) {
    return { ok: false, message: `cannot read the ${what} file ${path}: ${(error as Error).message}` };
  }
  const key = text.split(/\s+/)[0] ?? '';
  if (!isCurveKey(key)) return { ok: false, message: `${path} does not hold a Z85 CurveZMQ ${what} (40 characters)` };
  return { ok: true, key };
}

export function loadCurveMaterial(
  files: CurveFiles,
): { ok: true; value: CurveMaterial } | { ok: false; message: string } {
  const secret = readKeyFile(files.secretKeyFile, 'secret key');
  if (!secret.ok) return secret;
  let publicKey: string | undefined;
  if (files.publicKeyFile !== undefined) {
    const pub = readKeyFile(files.publicKeyFile, 'public key');
    if (!pub.ok) return pub;
    publicKey = pub.key;
  }
  const allow = new Map<string, Set<string>>();
  for (const [domain, file] of [
    [CLIENTS_DOMAIN, files.clientsAllowFile],
    [WORKERS_DOMAIN, files.workersAllowFile],
  ] as const) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      return { ok: false, message: `cannot read the allow-list ${file}: ${(error as Error).message}` };
    }
    const parsed = parseAllowList(text, file);
    if (!parsed.ok) return parsed;
    allow.set(domain, parsed.keys);
  }
  return { ok: true, value: { secretKey: secret.key, publicKey, allow } };
}
