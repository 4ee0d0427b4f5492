#!/usr/bin/env node
// Checks the JSON lines of `yolomq detect --json` against what a COCO YOLO model must find in the shared
// photos (../shared/images/EXPECTED.md), and that the answers came from enough distinct workers.
//   yolomq detect /data --json | node check-detections.mjs --workers 3 --images 24
// Exit 0 and a summary when everything holds; exit 1 naming each problem otherwise.
import { parseArgs } from 'node:util';

const CONF = 0.25;

const count = (dets, name) => dets.filter((d) => d.className === name && d.score >= CONF).length;
const area = (b) => Math.max(0, b.x2 - b.x1) * Math.max(0, b.y2 - b.y1);

/** What each shared photo must contain; keyed by the photo's base name (copies are named <base>-<n>.jpg). */
export const EXPECTED = {
  bus: (r) => {
    const problems = [];
    if (r.width !== 810 || r.height !== 1080) problems.push(`size ${r.width}x${r.height}, expected 810x1080`);
    const buses = r.detections.filter((d) => d.className === 'bus' && d.score >= CONF);
    if (buses.length !== 1) problems.push(`${buses.length} buses, expected 1`);
    const bus = buses[0];
    if (bus && area(bus.box) < 0.3 * r.width * r.height) problems.push('the bus box covers under 30% of the picture');
    if (bus && (bus.box.y1 + bus.box.y2) / 2 < 0.4 * r.height) problems.push('the bus is not in the lower part');
    if (count(r.detections, 'person') < 3)
      problems.push(`${count(r.detections, 'person')} persons, expected at least 3`);
    return problems;
  },
  zidane: (r) => {
    // two men: Zidane alone in the right half, and the man on the left, whose box (arm and all) can
    // reach far to the right (the classic YOLO answer is about 115..1095 px); at least one tie
    const problems = [];
    if (r.width !== 1280 || r.height !== 720) problems.push(`size ${r.width}x${r.height}, expected 1280x720`);
    const persons = r.detections.filter((d) => d.className === 'person' && d.score >= CONF).map((d) => d.box);
    if (persons.length < 2) problems.push(`${persons.length} persons, expected at least 2`);
    if (!persons.some((b) => b.x1 > r.width / 2)) problems.push('no person in the right half (Zidane)');
    if (!persons.some((b) => b.x1 < r.width / 4)) problems.push('no person starting in the left quarter');
    if (count(r.detections, 'tie') < 1) problems.push('no tie');
    return problems;
  },
};

/** The photo a file name is a copy of: "bus-07.jpg" -> "bus". */
export function photoOf(file) {
  return String(file)
    .replace(/^.*\//, '')
    .replace(/(-\d+)?\.[a-z]+$/i, '');
}

/** Checks parsed JSON lines; returns { problems, workers, results }. */
export function checkDetections(lines, { workers = 1, images } = {}) {
  const problems = [];
  const results = lines.filter((l) => l.type === 'result');
  for (const e of lines.filter((l) => l.type === 'error')) problems.push(`${e.file}: error ${e.code}: ${e.message}`);
  if (images !== undefined && results.length !== images) problems.push(`${results.length} results, expected ${images}`);
  const seen = new Map();
  for (const r of results) {
    seen.set(r.workerId, (seen.get(r.workerId) ?? 0) + 1);
    const check = EXPECTED[photoOf(r.file)];
    if (!check) {
      problems.push(`${r.file}: no expectation for this photo`);
      continue;
    }
    for (const b of r.detections.map((d) => d.box)) {
      if (b.x1 < 0 || b.y1 < 0 || b.x2 > r.width || b.y2 > r.height || b.x1 > b.x2 || b.y1 > b.y2) {
        problems.push(`${r.file}: box ${JSON.stringify(b)} outside the ${r.width}x${r.height} image`);
      }
    }
    for (const p of check(r)) problems.push(`${r.file} (worker ${r.workerId}): ${p}`);
  }
  if (seen.size < workers) problems.push(`answers came from ${seen.size} workers, expected ${workers}`);
  return { problems, workers: seen, results: results.length };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { workers: { type: 'string' }, images: { type: 'string' } } });
  let input = '';
  for await (const chunk of process.stdin) input += chunk;
  const lines = [];
  for (const text of input.split('\n')) {
    if (!text.trim().startsWith('{')) continue;
    try {
      lines.push(JSON.parse(text));
    } catch {
      // a log line that merely starts with a brace: not ours
    }
  }
  const { problems, workers, results } = checkDetections(lines, {
    workers: Number(values.workers ?? 1),
    images: values.images === undefined ? undefined : Number(values.images),
  });
  const perWorker = [...workers].map(([id, n]) => `${id}: ${n}`).join(', ');
  if (problems.length > 0) {
    console.log(`detections: ${problems.length} problem(s):\n  ${problems.join('\n  ')}`);
    process.exit(1);
  }
  console.log(`detections: ${results} results correct; answered by ${workers.size} workers (${perWorker})`);
}
