/**
 * `yolomq status`: the broker's workers and queues, as tables, from its HTTP /status. The rendering is
 * driven by the JSON itself (arrays or maps of records become tables; other fields become lines), so a
 * field the broker adds shows up without a CLI change.
 */
import type { CliContext } from './context.js';
import { CliFailure, ExitCode } from './exit-codes.js';
import { formatSeconds } from './output/format.js';
import { styleFor } from './output/style.js';
import { renderTable } from './output/table.js';

export interface StatusCommandOptions {
  http: string;
  /** ms */
  timeout: number;
  json: boolean;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonRecord = { [key: string]: Json };

function isRecord(value: Json | undefined): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function cell(value: Json | undefined): string {
  if (value === undefined || value === null) return '-';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toFixed(2);
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (Array.isArray(value))
    return value.every((v) => !isRecord(v) && !Array.isArray(v)) ? value.map(cell).join(',') : `[${value.length}]`;
  return Object.entries(value)
    .map(([k, v]) => `${k}=${cell(v)}`)
    .join(' ');
}

/** Flattens one level of nesting: {credit: {total: 4, used: 1}} -> credit.total, credit.used. */
function flatten(record: JsonRecord): Array<[string, Json]> {
  const out: Array<[string, Json]> = [];
  for (const [key, value] of Object.entries(record)) {
    if (isRecord(value) && Object.values(value).every((v) => !isRecord(v))) {
      for (const [k, v] of Object.entries(value)) out.push([`${key}.${k}`, v]);
    } else out.push([key, value]);
  }
  return out;
}

/** Rows of records as a table; a map of records gets its keys as the first column, named keyHeader. */
function recordsTable(rows: JsonRecord[], indent: string): string {
  const flat = rows.map((r) => new Map(flatten(r)));
  const headers = [...new Set(flat.flatMap((m) => [...m.keys()]))];
  const numeric = headers.map((h) => flat.every((m) => m.get(h) === undefined || typeof m.get(h) === 'number'));
  return renderTable(
    headers.map((header, i) => ({ header, align: numeric[i] ? ('right' as const) : ('left' as const) })),
    flat.map((m) => headers.map((h) => cell(m.get(h)))),
    indent,
  );
}

function asRows(value: Json, keyName: string): JsonRecord[] | undefined {
  if (Array.isArray(value) && value.length > 0 && value.every(isRecord)) return value as JsonRecord[];
  if (isRecord(value)) {
    const entries = Object.entries(value);
    if (entries.length > 0 && entries.every(([, v]) => isRecord(v))) {
      return entries.map(([k, v]) => ({ [keyName]: k, ...(v as JsonRecord) }));
    }
  }
  return undefined;
}

const SINGULAR: Record<string, string> = { workers: 'worker', queues: 'model', models: 'model', clients: 'client' };

interface ViewColumn {
  key: string;
  header: string;
  format?: (value: Json | undefined) => string;
}

const ago = (value: Json | undefined) => (typeof value === 'number' ? formatSeconds(value / 1000) : cell(value));

/** The columns worth a terminal's width for the sections the broker is known to send; --json has all. */
const VIEWS: Record<string, ViewColumn[]> = {
  workers: [
    { key: 'workerId', header: 'worker' },
    { key: 'model', header: 'model' },
    { key: 'credit', header: 'credit' },
    { key: 'inflight', header: 'in flight' },
    { key: 'served', header: 'served' },
    { key: 'concurrency', header: 'threads' },
    { key: 'accepting', header: 'accepting' },
    { key: 'lastHeartbeatAgeMs', header: 'last heard', format: ago },
    { key: 'registeredAgoMs', header: 'up', format: ago },
    { key: 'host', header: 'host' },
    { key: 'pid', header: 'pid' },
  ],
  queues: [
    { key: 'model', header: 'model' },
    { key: 'queued', header: 'queued' },
    { key: 'queuedBytes', header: 'queued bytes' },
    { key: 'inflight', header: 'in flight' },
    { key: 'liveWorkers', header: 'workers' },
    { key: 'credit', header: 'credit' },
    { key: 'clients', header: 'clients waiting' },
  ],
  clients: [
    { key: 'id', header: 'client' },
    { key: 'pending', header: 'pending' },
    { key: 'requests', header: 'requests' },
    { key: 'lastSeenAgoMs', header: 'last seen', format: ago },
  ],
};

function viewTable(rows: JsonRecord[], view: ViewColumn[], indent: string): string | undefined {
  const columns = view.filter((c) => rows.some((r) => r[c.key] !== undefined));
  if (columns.length === 0) return undefined;
  const numeric = columns.map((c) => !c.format && rows.every((r) => r[c.key] == null || typeof r[c.key] === 'number'));
  return renderTable(
    columns.map((c, i) => ({ header: c.header, align: numeric[i] ? ('right' as const) : ('left' as const) })),
    rows.map((r) => columns.map((c) => (c.format ?? cell)(r[c.key]))),
    indent,
  );
}

function table(key: string, rows: JsonRecord[]): string {
  const view = VIEWS[key];
  return (view && viewTable(rows, view, '  ')) ?? recordsTable(rows, '  ');
}

const SCALAR_LABELS: Record<string, string> = {
  status: 'status',
  uptimeMs: 'up',
  defaultModel: 'default model',
  pending: 'pending requests',
  clientsSeenLastMinute: 'clients (1 min)',
};

function scalarLine(key: string, value: Json): string {
  const label = SCALAR_LABELS[key] ?? key;
  const text = key === 'uptimeMs' && typeof value === 'number' ? formatSeconds(value / 1000) : cell(value);
  return `${label.padEnd(17)} ${text}`;
}

export function renderStatus(status: Json, ctx: Pick<CliContext, 'stdout' | 'env'>): string {
  const style = styleFor(ctx.stdout, ctx.env);
  if (!isRecord(status)) return `${JSON.stringify(status)}\n`;
  const scalars: string[] = [];
  const sections: string[] = [];
  for (const [key, value] of Object.entries(status)) {
    const rows = asRows(value, SINGULAR[key] ?? 'name');
    const empty = (Array.isArray(value) && value.length === 0) || (isRecord(value) && Object.keys(value).length === 0);
    if (rows) sections.push(`${style.bold(`${key} (${rows.length})`)}\n${table(key, rows)}`);
    else if (empty) sections.push(`${style.bold(`${key} (0)`)}\n  ${style.dim('none')}`);
    else scalars.push(scalarLine(key, value));
  }
  return `${[scalars.join('\n'), ...sections].filter((s) => s.length > 0).join('\n\n')}\n`;
}

export async function fetchStatus(http: string, timeoutMs: number): Promise<Json> {
  const url = `${http}/status`;
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    const reason = e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (e.cause?.code ?? e.message);
    throw new CliFailure(
      `cannot reach the broker's HTTP endpoint ${url}: ${reason}\nIs the broker running? Point the CLI at it with --http or YOLOMQ_BROKER_HTTP.`,
      ExitCode.UNREACHABLE,
    );
  }
  const body = await response.text();
  if (!response.ok)
    throw new CliFailure(`${url} answered HTTP ${response.status}: ${body.slice(0, 200)}`, ExitCode.FAILED);
  try {
    return JSON.parse(body) as Json;
  } catch {
    throw new CliFailure(`${url} did not answer JSON: ${body.slice(0, 200)}`, ExitCode.FAILED);
  }
}

export async function runStatus(opts: StatusCommandOptions, ctx: CliContext): Promise<ExitCode> {
  const status = await fetchStatus(opts.http, opts.timeout);
  ctx.stdout.write(opts.json ? `${JSON.stringify(status)}\n` : renderStatus(status, ctx));
  return ExitCode.OK;
}
