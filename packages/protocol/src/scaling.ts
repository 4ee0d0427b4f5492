/**
 * The broker's autoscaling decisions on its PUB socket (SPEC.md §11.10): one message per model per
 * tick, frames [topic, model, JSON]. Subscribers filter on the topic (ZeroMQ matches the first frame's
 * prefix); the JSON carries `desiredWorkers` and the measurements behind it.
 */
import { badRequest, type Decoded, readText } from './frames.js';

export const DESIRED_TOPIC = 'yolomq.desired';

/** Models are named as in a REQUEST's model frame. */
const MAX_MODEL_BYTES = 128;
const MAX_BODY_BYTES = 64 * 1024;
const TOPIC = Buffer.from(DESIRED_TOPIC);

/** A decision as published: the desired count, plus whatever the broker measured (rates, queue, ...). */
export interface DesiredWorkers {
  model: string;
  desiredWorkers: number;
  [measurement: string]: unknown;
}

/** Encodes a decision; every field of the object is published (the measurements ride along). */
export function encodeDesired(decision: { model: string; desiredWorkers: number }): Buffer[] {
  return [TOPIC, Buffer.from(decision.model, 'utf8'), Buffer.from(JSON.stringify(decision), 'utf8')];
}

/** Decodes a decision; anything malformed is a BAD_REQUEST protocol error, never an exception. */
export function decodeDesired(frames: Buffer[]): Decoded<DesiredWorkers> {
  if (frames.length !== 3) return badRequest(`a desired-workers message has 3 frames, got ${frames.length}`);
  if (!frames[0]!.equals(TOPIC)) return badRequest(`frame 0 is not the ${DESIRED_TOPIC} topic`);
  const model = readText(frames[1], MAX_MODEL_BYTES);
  if (model === undefined || model === '')
    return badRequest(`frame 1 is not a model name of 1..${MAX_MODEL_BYTES} bytes`);
  const text = readText(frames[2], MAX_BODY_BYTES);
  if (text === undefined) return badRequest(`frame 2 is over ${MAX_BODY_BYTES} bytes`);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return badRequest('frame 2 is not JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return badRequest('frame 2 is not a JSON object');
  }
  const desired = (body as { desiredWorkers?: unknown }).desiredWorkers;
  if (typeof desired !== 'number' || !Number.isSafeInteger(desired) || desired < 0) {
    return badRequest('desiredWorkers is not a whole number >= 0');
  }
  return { ok: true, value: { ...(body as Record<string, unknown>), model, desiredWorkers: desired } };
}
