/** CurveZMQ helpers: Z85, allow-list files, and the ZAP decision (pure; the socket is tested in test/faults). */

import { describe, expect, it } from 'vitest';
import { curveKeyPair } from 'zeromq';
import { parseAllowList } from '../src/security/allow-list.js';
import { decodeZ85, encodeZ85, isCurveKey } from '../src/security/z85.js';
import { zapDecision } from '../src/security/zap.js';

describe('Z85', () => {
  it('round-trips the RFC 32 test vector and key pairs', () => {
    const bytes = Buffer.from([0x86, 0x4f, 0xd2, 0x6f, 0xb5, 0x59, 0xf7, 0x5b]);
    expect(encodeZ85(bytes)).toBe('HelloWorld');
    expect(decodeZ85('HelloWorld')).toEqual(bytes);
    const pair = curveKeyPair();
    expect(isCurveKey(pair.publicKey)).toBe(true);
    expect(encodeZ85(decodeZ85(pair.publicKey)!)).toBe(pair.publicKey);
  });

  it('refuses text that is not Z85', () => {
    expect(decodeZ85('Hello')).toBeDefined();
    expect(decodeZ85('Hell')).toBeUndefined();
    expect(decodeZ85('Hell~')).toBeUndefined();
    expect(decodeZ85('#####')).toBeUndefined(); // over 2^32
    expect(isCurveKey('x'.repeat(39))).toBe(false);
  });
});

describe('allow-list files', () => {
  it('reads one key per line with comments, and names the first bad line', () => {
    const a = curveKeyPair().publicKey;
    const b = curveKeyPair().publicKey;
    const ok = parseAllowList(`# clients\n\n${a} alice\n  ${b}\n`, 'clients.allow');
    expect(ok).toEqual({ ok: true, keys: new Set([decodeZ85(a)!.toString('hex'), decodeZ85(b)!.toString('hex')]) });
    expect(parseAllowList(`${a}\nnot-a-key\n`, 'clients.allow')).toEqual({
      ok: false,
      message: 'clients.allow line 2: not a Z85 CurveZMQ public key (40 characters)',
    });
  });
});

describe('ZAP decision', () => {
  const key = decodeZ85(curveKeyPair().publicKey)!;
  const allow = new Map([['clients', new Set([key.toString('hex')])]]);
  const request = (domain: string, mechanism: string, credential?: Buffer) => [
    Buffer.from('1.0'),
    Buffer.from('7'),
    Buffer.from(domain),
    Buffer.from('127.0.0.1'),
    Buffer.alloc(0),
    Buffer.from(mechanism),
    ...(credential ? [credential] : []),
  ];

  it('admits a listed CURVE key in its own domain only', () => {
    expect(zapDecision(request('clients', 'CURVE', key), allow).status).toBe('200');
    expect(zapDecision(request('workers', 'CURVE', key), allow).status).toBe('400');
  });

  it('refuses unknown keys, other mechanisms and malformed requests', () => {
    expect(zapDecision(request('clients', 'CURVE', Buffer.alloc(32, 1)), allow).status).toBe('400');
    expect(zapDecision(request('clients', 'NULL'), allow).status).toBe('400');
    expect(zapDecision(request('clients', 'CURVE'), allow).status).toBe('400');
    expect(zapDecision([Buffer.from('2.0')], allow).status).toBe('500');
  });
});
