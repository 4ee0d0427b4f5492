/**
 * CurveZMQ keys of a connecting peer (client or worker): the broker's public key (Z85 text or a file
 * holding it) and the peer's own key pair (files, as `yolomq keygen --out PREFIX` writes them). All
 * three or none. Shared by every peer that connects to the broker, so the rules are written once; the
 * caller names its own environment variables for the error messages.
 */
import { readFileSync } from 'node:fs';

export interface CurveClientKeys {
  serverKey: string;
  publicKey: string;
  secretKey: string;
}

const Z85_KEY = /^[0-9a-zA-Z.\-:+=^!/*?&<>()[\]{}@%$#]{40}$/;

function keyFrom(
  value: string,
  name: string,
  fileOnly: boolean,
): { ok: true; key: string } | { ok: false; message: string } {
  let text = value.trim();
  if (fileOnly || !Z85_KEY.test(text)) {
    try {
      text = readFileSync(text, 'utf8').trim().split(/\s+/)[0] ?? '';
    } catch (error) {
      return { ok: false, message: `${name}: cannot read ${value}: ${(error as Error).message}` };
    }
  }
  return Z85_KEY.test(text)
    ? { ok: true, key: text }
    : { ok: false, message: `${name}: not a Z85 CurveZMQ key (40 characters)` };
}

export function loadCurveClientKeys(
  vars: { serverKey?: string; publicKeyFile?: string; secretKeyFile?: string },
  names: { serverKey: string; publicKeyFile: string; secretKeyFile: string },
): { ok: true; value: CurveClientKeys | undefined } | { ok: false; message: string } {
  const given = [vars.serverKey, vars.publicKeyFile, vars.secretKeyFile].filter(
    (v) => v !== undefined && v.trim() !== '',
  );
  if (given.length === 0) return { ok: true, value: undefined };
  if (given.length < 3) {
    return {
      ok: false,
      message: `${names.serverKey}, ${names.publicKeyFile} and ${names.secretKeyFile}: set all three to use CurveZMQ, or none`,
    };
  }
  const server = keyFrom(vars.serverKey!, names.serverKey, false);
  if (!server.ok) return server;
  const pub = keyFrom(vars.publicKeyFile!, names.publicKeyFile, true);
  if (!pub.ok) return pub;
  const secret = keyFrom(vars.secretKeyFile!, names.secretKeyFile, true);
  if (!secret.ok) return secret;
  return { ok: true, value: { serverKey: server.key, publicKey: pub.key, secretKey: secret.key } };
}
