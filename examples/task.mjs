// The task both examples run, as plain functions over plain data: no sockets, no threads, no shared state.
// A "job" is a line of text; the answer is its word count and a SHA-256 (a stand-in for real work).
import { createHash } from 'node:crypto';

/** job -> [id, text] frames */
export function encodeJob(id, text) {
  return [String(id), text];
}

/** the work: pure, so it runs unchanged in a thread, a process or another machine */
export function work(text) {
  const words = text.split(/\s+/).filter(Boolean).length;
  const digest = createHash('sha256').update(text).digest('hex').slice(0, 12);
  return { words, digest };
}

/** [id, text] frames -> [id, result JSON] frames */
export function answer([id, text]) {
  return [id.toString(), JSON.stringify(work(text.toString()))];
}

export const JOBS = [
  'the parent owns the socket it binds',
  'the child owns the socket it connects',
  'they share nothing but messages',
];
export const STOP = 'STOP';
