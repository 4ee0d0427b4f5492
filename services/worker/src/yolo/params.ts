/**
 * Per-request postprocessing parameters: the request's options over the worker's defaults, and the
 * class filter (ids or names) resolved against the model's classes. Pure; errors are values.
 */
import type { DetectOptions } from '@yolomq/protocol';
import type { PostprocessParams } from './postprocess.js';

export interface PostprocessDefaults {
  conf: number;
  iou: number;
  maxDetections: number;
}

export const DEFAULT_POSTPROCESS: PostprocessDefaults = Object.freeze({ conf: 0.25, iou: 0.7, maxDetections: 300 });

export type ParamsResult = { ok: true; params: PostprocessParams } | { ok: false; message: string };

export function resolveParams(
  options: DetectOptions,
  classNames: readonly string[],
  defaults: PostprocessDefaults = DEFAULT_POSTPROCESS,
): ParamsResult {
  let allowed: Uint8Array | undefined;
  if (options.classes !== undefined) {
    allowed = new Uint8Array(classNames.length);
    for (const item of options.classes) {
      const id = typeof item === 'number' ? item : classNames.indexOf(item);
      if (id < 0 || id >= classNames.length) {
        const what = typeof item === 'number' ? `class id ${item}` : `class name ${JSON.stringify(item)}`;
        return { ok: false, message: `unknown ${what}: this model has ${classNames.length} classes` };
      }
      allowed[id] = 1;
    }
  }
  return {
    ok: true,
    params: {
      conf: options.conf ?? defaults.conf,
      iou: options.iou ?? defaults.iou,
      maxDetections: options.maxDetections ?? defaults.maxDetections,
      allowed,
    },
  };
}
