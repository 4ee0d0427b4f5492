// Summarises a V8 .cpuprofile (node --cpu-prof): self time per function, biggest first. Bench-only.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

/** { totalMs, top: [{ fn, where, selfMs, share }] } for one profile file. */
export function summarizeProfile(file, topN = 8) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map();
  const deltas = profile.timeDeltas ?? [];
  // each sample's time is the delta to the next sample
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]);
    const dt = deltas[i + 1] ?? 0;
    if (!node) continue;
    const cf = node.callFrame;
    const fn = cf.functionName || '(anonymous)';
    const where = cf.url ? `${basename(cf.url)}:${cf.lineNumber + 1}` : '';
    const key = `${fn}\u0000${where}`;
    selfUs.set(key, (selfUs.get(key) ?? 0) + dt);
  }
  const totalUs = [...selfUs.values()].reduce((s, v) => s + v, 0);
  const top = [...selfUs.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, topN)
    .map(([key, us]) => {
      const [fn, where] = key.split('\u0000');
      return { fn, where, selfMs: us / 1000, share: totalUs > 0 ? us / totalUs : 0 };
    });
  return { totalMs: totalUs / 1000, top };
}
