// Turns the JSON log lines of the cluster's services (pino: one JSON object per line) into one readable
// line each, prefixed with the unit that wrote it, so that `make run` shows one merged, legible stream.
// Pure functions over strings; the launcher feeds them lines. pino-pretty is not a dependency: this is
// the small subset the services need.

const LEVELS = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const COLORS = { TRACE: 90, DEBUG: 36, INFO: 32, WARN: 33, ERROR: 31, FATAL: 35 };
/** fields every line has, or that the prefix already says */
const HIDDEN = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'name', 'service', 'v']);
const PREFIX_COLORS = [36, 35, 34, 33, 32, 96, 95, 94, 93, 92];

const paint = (color, text, enabled) => (enabled ? `\x1b[${color}m${text}\x1b[0m` : text);

function clock(time) {
  const d = typeof time === 'number' || typeof time === 'string' ? new Date(time) : new Date();
  if (Number.isNaN(d.getTime())) return '--:--:--.---';
  return d.toISOString().slice(11, 23);
}

function fieldText(value) {
  if (typeof value === 'string') return /[\s"=]/.test(value) || value === '' ? JSON.stringify(value) : value;
  return JSON.stringify(value);
}

/** `key=value` pairs for the fields a line carries beyond the standard ones; an error shows its message. */
function fields(entry) {
  const parts = [];
  let stack = '';
  for (const [key, value] of Object.entries(entry)) {
    if (HIDDEN.has(key) || value === undefined) continue;
    if (key === 'err' && value && typeof value === 'object') {
      parts.push(`err=${fieldText(value.message ?? String(value))}`);
      if (typeof value.stack === 'string') stack = `\n${value.stack}`;
      continue;
    }
    parts.push(`${key}=${fieldText(value)}`);
  }
  return { text: parts.join(' '), stack };
}

/**
 * One line of a unit's output -> one readable line. `prefix` names the unit (broker, worker-1, ...);
 * `width` pads it so the columns line up; `color` adds ANSI colours (for a terminal).
 */
export function formatLine(prefix, line, { width = prefix.length, color = false, colorIndex = 0 } = {}) {
  const tag = paint(PREFIX_COLORS[colorIndex % PREFIX_COLORS.length], prefix.padEnd(width), color);
  const trimmed = line.trimEnd();
  let entry;
  if (trimmed.startsWith('{')) {
    try {
      entry = JSON.parse(trimmed);
    } catch {
      entry = undefined;
    }
  }
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) return `${tag} | ${trimmed}`;
  const level = LEVELS[entry.level] ?? (typeof entry.level === 'string' ? entry.level.toUpperCase() : 'INFO');
  const { text: rest, stack } = fields(entry);
  const msg = typeof entry.msg === 'string' ? entry.msg : '';
  const text = [msg, rest].filter(Boolean).join('  ');
  return `${tag} | ${clock(entry.time)} ${paint(COLORS[level] ?? 0, level.padEnd(5), color)} ${text}${stack}`;
}

/** Splits a byte stream into lines; calls onLine for each complete line, keeps the remainder. */
export function lineSplitter(onLine) {
  let pending = '';
  return {
    push(chunk) {
      pending += chunk.toString();
      let newline = pending.indexOf('\n');
      while (newline !== -1) {
        onLine(pending.slice(0, newline));
        pending = pending.slice(newline + 1);
        newline = pending.indexOf('\n');
      }
    },
    flush() {
      if (pending !== '') onLine(pending);
      pending = '';
    },
  };
}
