import { randomBytes } from 'node:crypto';

/**
 * Request ids unique per client: a random 8-character prefix (48 bits) and a base-36 counter, e.g.
 * "k3Jx9_aQ-1f". Replies are matched to requests by this id; a resend keeps the id of its request.
 */
export function requestIdGenerator(prefix = randomBytes(6).toString('base64url')): () => string {
  let counter = 0;
  return () => `${prefix}-${(counter++).toString(36)}`;
}
