// The examples run and print what their READMEs say. 03-sdk-client.mjs against a real cluster is
// exercised in serve.test.ts, where a cluster is running.
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, startNode, stopAll } from '../helpers/processes.js';

const ROOT = resolve(import.meta.dirname, '../..');
const example = (name: string) => resolve(ROOT, 'examples', name);

afterAll(stopAll);

/** The answers task.mjs computes for its three jobs (word count, first 12 hex digits of the SHA-256). */
const ANSWERS = [
  'job 0 -> {"words":7,"digest":"9d15a54f366a"}',
  'job 1 -> {"words":7,"digest":"90b39986b495"}',
  'job 2 -> {"words":5,"digest":"27602b1633cd"}',
];

describe('examples', () => {
  it('01: a parent thread and a child thread talk over inproc PAIR and both stop cleanly', async () => {
    const p = startNode(example('01-thread-pair.mjs'));
    expect(await p.exited).toBe(0);
    const out = p.output();
    expect(out).toContain('parent: sent 3 jobs over inproc://work');
    for (const answer of ANSWERS) expect(out).toContain(`parent: ${answer}`);
    expect(out).toContain('child: answered 3 jobs, stopping');
    expect(out).toContain('parent: child thread exited with code 0');
  });

  it('02: the same task in a child process over tcp gives the same answers', async () => {
    const p = startNode(example('02-process-tcp.mjs'));
    expect(await p.exited).toBe(0);
    const out = p.output();
    expect(out).toMatch(/parent: child process \d+ connected over tcp:\/\/127\.0\.0\.1:\d+/);
    for (const answer of ANSWERS) expect(out).toContain(`parent: ${answer}`);
    expect(out).toContain('child: answered 3 jobs, stopping');
    expect(out).toContain('parent: child process exited with code 0');
  });

  it('03: without an image it prints its usage; without a broker it says so and fails', async () => {
    const usage = startNode(example('03-sdk-client.mjs'));
    expect(await usage.exited).toBe(2);
    expect(usage.output()).toContain('usage: node examples/03-sdk-client.mjs <image file>');
    const port = await freePort();
    const unreachable = startNode(example('03-sdk-client.mjs'), { YOLOMQ_BROKER: `tcp://127.0.0.1:${port}` }, [
      example('README.md'),
    ]);
    expect(await unreachable.exited).toBe(1);
    expect(unreachable.output()).toMatch(/^error: \w+: .*127\.0\.0\.1/m);
  });
});
