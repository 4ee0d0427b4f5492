/**
 * Detection parameters of an HTTP request: the model and the protocol's options, given as query
 * parameters or multipart form fields with the protocol's names. Pure: strings in, a checked value or
 * a BAD_REQUEST problem out. Ranges are checked by the protocol's own validateOptions, so the gateway
 * and the broker accept exactly the same options.
 */
import { type DetectOptions, Limits, validateOptions } from '@yolomq/protocol';
import { badRequest, type HttpProblem, isProblem } from './errors-http.js';

export interface DetectParams {
  /** '' means the broker's default model */
  model: string;
  options: DetectOptions;
}

/** A parameter as it arrives: one string, or several when the name is repeated. */
export type RawParams = Record<string, string | string[] | undefined>;

export const PARAM_NAMES = ['model', 'conf', 'iou', 'classes', 'maxDetections', 'timeoutMs'] as const;
const KNOWN = new Set<string>(PARAM_NAMES);

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const INTEGER = /^\d+$/;

function single(name: string, value: string | string[]): string | HttpProblem {
  if (Array.isArray(value)) {
    return value.length === 1 ? value[0]! : badRequest(`parameter ${name} is given ${value.length} times`);
  }
  return value;
}

function number(name: string, value: string): number | HttpProblem {
  const trimmed = value.trim();
  return DECIMAL.test(trimmed)
    ? Number(trimmed)
    : badRequest(`parameter ${name} must be a number, got "${clip(value)}"`);
}

function clip(value: string): string {
  return value.length > 40 ? `${value.slice(0, 40)}...` : value;
}

/** `classes=0,2,person` and `classes=0&classes=person` both give [0, 2, 'person']. */
function classList(values: string | string[]): Array<number | string> {
  const items = (Array.isArray(values) ? values : [values]).flatMap((v) => v.split(','));
  return items.map((item) => item.trim()).map((item) => (INTEGER.test(item) ? Number(item) : item));
}

/**
 * Merges the given sources (query first, then form fields) into detection parameters. A name given
 * in two sources, or twice where one value is expected, is refused rather than guessed at.
 */
export function parseDetectParams(...sources: RawParams[]): DetectParams | HttpProblem {
  const merged: Record<string, string | string[]> = {};
  for (const source of sources) {
    for (const [name, value] of Object.entries(source)) {
      if (value === undefined) continue;
      if (!KNOWN.has(name)) {
        return badRequest(`unknown parameter ${JSON.stringify(clip(name))}; known: ${PARAM_NAMES.join(', ')}`);
      }
      if (name in merged) return badRequest(`parameter ${name} is given more than once`);
      merged[name] = value;
    }
  }

  let model = '';
  const raw: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(merged)) {
    if (name === 'classes') {
      raw.classes = classList(value);
      continue;
    }
    const one = single(name, value);
    if (isProblem(one)) return one;
    if (name === 'model') {
      model = one.trim();
      if (Buffer.byteLength(model) > Limits.MAX_MODEL_NAME_BYTES) {
        return badRequest(`parameter model is over ${Limits.MAX_MODEL_NAME_BYTES} bytes`);
      }
      continue;
    }
    const n = number(name, one);
    if (isProblem(n)) return n;
    raw[name] = n;
  }

  const checked = validateOptions(raw);
  if (!checked.ok) return badRequest(checked.error.message.replace(/^option /, 'parameter '));
  return { model, options: checked.value };
}
