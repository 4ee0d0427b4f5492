/**
 * Allow-list files of CurveZMQ public keys: one Z85 key (40 characters) per line; blank lines and
 * lines starting with # are ignored, and anything after the key on a line is a comment (a name).
 * Parsing is pure and reports the first bad line by number.
 */
import { decodeZ85 } from './z85.js';

export type AllowListResult = { ok: true; keys: Set<string> } | { ok: false; message: string };

/** Parses an allow-list; keys are returned as the hex of their 32 bytes. */
export function parseAllowList(text: string, source: string): AllowListResult {
  const keys = new Set<string>();
  const lines = text.split(/\r?\n/);
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const key = line.split(/\s+/)[0]!;
    const bytes = key.length === 40 ? decodeZ85(key) : undefined;
    if (bytes === undefined) {
      return { ok: false, message: `${source} line ${i + 1}: not a Z85 CurveZMQ public key (40 characters)` };
    }
    keys.add(bytes.toString('hex'));
  }
  return { ok: true, keys };
}
