/** Parsers for option values (pure); each throws commander's InvalidArgumentError with a readable reason. */
import { InvalidArgumentError } from 'commander';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "30s", "2m", "500ms", "1.5s", "1h"; a bare number is seconds. Returns milliseconds. */
export function parseDuration(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text);
  if (!match) throw new InvalidArgumentError(`"${text}" is not a duration (examples: 500ms, 30s, 2m, 1h)`);
  const ms = Number(match[1]) * UNITS[match[2] ?? 's']!;
  if (!Number.isFinite(ms) || ms <= 0) throw new InvalidArgumentError(`duration "${text}" must be above zero`);
  return Math.round(ms);
}

/** A duration of at most maxMs (e.g. a request timeout, which the protocol caps at one hour). */
export function parseDurationUpTo(maxMs: number, maxText: string): (text: string) => number {
  return (text) => {
    const ms = parseDuration(text);
    if (ms > maxMs) throw new InvalidArgumentError(`duration "${text}" must be at most ${maxText}`);
    return ms;
  };
}

export function parseIntegerIn(min: number, max: number): (text: string) => number {
  return (text) => {
    const value = Number(text);
    if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(value) || value < min || value > max) {
      throw new InvalidArgumentError(`"${text}" must be a whole number from ${min} to ${max}`);
    }
    return value;
  };
}

export function parsePositiveNumber(text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value <= 0) {
    throw new InvalidArgumentError(`"${text}" must be a number above zero`);
  }
  return value;
}

/** A threshold between 0 and 1 (conf, iou). */
export function parseUnit(text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0 || value > 1) {
    throw new InvalidArgumentError(`"${text}" must be a number between 0 and 1`);
  }
  return value;
}

/** "person,car" or "0,2" or a mix: numbers become class ids, other words class names. */
export function parseClasses(text: string): Array<number | string> {
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (items.length === 0) throw new InvalidArgumentError('give at least one class name or id, e.g. person,car');
  return items.map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

export function parseEndpoint(text: string): string {
  if (!/^(tcp:\/\/[^\s/]+:\d+|ipc:\/\/\S+)$/.test(text)) {
    throw new InvalidArgumentError(`"${text}" is not a broker endpoint (expected tcp://host:port)`);
  }
  return text;
}

export function parseHttpUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InvalidArgumentError(`"${text}" is not a URL (expected http://host:port)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidArgumentError(`"${text}" must be an http:// or https:// URL`);
  }
  return text.replace(/\/+$/, '');
}
