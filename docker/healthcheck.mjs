#!/usr/bin/env node
// Container health probes (Dockerfile HEALTHCHECK). Plain Node, no dependencies; exit 0 = healthy.
//   node docker/healthcheck.mjs broker   GET http://127.0.0.1:$YOLOMQ_HTTP_PORT/healthz answers 2xx
//   node docker/healthcheck.mjs worker   the container holds an ESTABLISHED TCP connection to the broker
//                                        backend named by $YOLOMQ_BROKER_BACKEND (read from /proc/net/tcp*)
// The worker check is deliberately about the link, not a side channel: a worker that lost its broker,
// or never reached it, is unhealthy; the process itself dying ends the container anyway.
import { lookup } from 'node:dns/promises';
import { readFile } from 'node:fs/promises';

// under the HEALTHCHECK timeout (10 s): on a busy machine even starting node takes seconds
const TIMEOUT_MS = 8000;
const ESTABLISHED = '01';

async function brokerHealthy() {
  const port = process.env.YOLOMQ_HTTP_PORT || '8080';
  const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  return { ok: res.ok, detail: `GET /healthz -> ${res.status}` };
}

/** "0100007F:15B4" (little-endian IPv4 hex, port hex) or the 32-hex-digit IPv6 form -> {ip, port} */
export function parseProcAddress(field) {
  const [ipHex, portHex] = field.split(':');
  const port = Number.parseInt(portHex, 16);
  if (ipHex.length === 8) {
    const bytes = ipHex.match(/../g).map((h) => Number.parseInt(h, 16));
    return { ip: bytes.reverse().join('.'), port };
  }
  // IPv6: four little-endian 32-bit words; an IPv4-mapped address ends in the IPv4 word
  const words = ipHex.match(/.{8}/g).map((w) => w.match(/../g).reverse().join('').toLowerCase());
  const hex = words.join('');
  if (hex.startsWith('00000000000000000000ffff')) {
    const v4 = hex
      .slice(24)
      .match(/../g)
      .map((h) => Number.parseInt(h, 16));
    return { ip: v4.join('.'), port };
  }
  return { ip: hex, port };
}

/** An address as dns.lookup gives it, in the form parseProcAddress returns (IPv4 dotted, IPv6 32 hex digits). */
export function canonicalAddress(address) {
  if (!address.includes(':')) return address;
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (v4) return v4[1];
  const [head, tail = ''] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = address.includes('::') && tail ? tail.split(':') : [];
  const groups = address.includes('::')
    ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return groups.map((g) => g.padStart(4, '0').toLowerCase()).join('');
}

/** Remote endpoints of ESTABLISHED connections in a /proc/net/tcp(6) table. */
export function establishedRemotes(table) {
  return table
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((cols) => cols.length > 3 && cols[3] === ESTABLISHED)
    .map((cols) => parseProcAddress(cols[2]));
}

async function workerHealthy() {
  const endpoint = process.env.YOLOMQ_BROKER_BACKEND || 'tcp://127.0.0.1:5556';
  const m = /^tcp:\/\/\[?([^\]]+?)\]?:(\d+)$/.exec(endpoint);
  if (!m) return { ok: false, detail: `YOLOMQ_BROKER_BACKEND is not tcp://host:port: ${endpoint}` };
  const [, host, portText] = m;
  const port = Number(portText);
  const addresses = new Set((await lookup(host, { all: true })).map((a) => canonicalAddress(a.address)));
  const tables = await Promise.all(['/proc/net/tcp', '/proc/net/tcp6'].map((f) => readFile(f, 'utf8').catch(() => '')));
  const links = tables.flatMap(establishedRemotes).filter((r) => r.port === port && addresses.has(r.ip));
  return {
    ok: links.length > 0,
    detail: links.length > 0 ? `connected to ${endpoint}` : `no established connection to ${endpoint}`,
  };
}

const checks = { broker: brokerHealthy, worker: workerHealthy };
const which = process.argv[2];
if (import.meta.url === `file://${process.argv[1]}`) {
  const check = checks[which];
  if (!check) {
    console.error(`usage: healthcheck.mjs ${Object.keys(checks).join('|')}`);
    process.exit(2);
  }
  try {
    const { ok, detail } = await check();
    console.log(`${which}: ${ok ? 'healthy' : 'unhealthy'}: ${detail}`);
    process.exit(ok ? 0 : 1);
  } catch (err) {
    console.log(`${which}: unhealthy: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}
