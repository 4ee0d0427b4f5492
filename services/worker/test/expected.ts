/** Checks of the detections EXPECTED.md lists for the shared photos, shared by the model and end-to-end tests. */
import type { Detection } from '@yolomq/protocol';
import { expect } from 'vitest';

const centre = (d: Detection) => ({ x: (d.box.x1 + d.box.x2) / 2, y: (d.box.y1 + d.box.y2) / 2 });

function inside(d: Detection, width: number, height: number): void {
  expect(d.box.x1).toBeGreaterThanOrEqual(0);
  expect(d.box.y1).toBeGreaterThanOrEqual(0);
  expect(d.box.x2).toBeLessThanOrEqual(width);
  expect(d.box.y2).toBeLessThanOrEqual(height);
  expect(d.box.x2).toBeGreaterThan(d.box.x1);
  expect(d.box.y2).toBeGreaterThan(d.box.y1);
}

/** bus.jpg (810x1080): one bus over most of the lower-middle, at least 3 persons in front of it. */
export function expectBus(width: number, height: number, detections: Detection[]): void {
  expect([width, height]).toEqual([810, 1080]);
  for (const d of detections) inside(d, width, height);
  const buses = detections.filter((d) => d.className === 'bus');
  expect(buses).toHaveLength(1);
  const bus = buses[0]!;
  expect(bus.box.x1).toBeLessThan(100);
  expect(bus.box.x2).toBeGreaterThan(750);
  expect(bus.box.y1).toBeGreaterThan(150);
  expect(bus.box.y1).toBeLessThan(350);
  expect(bus.box.y2).toBeGreaterThan(650);
  const persons = detections.filter((d) => d.className === 'person' && d.score >= 0.5);
  expect(persons.length).toBeGreaterThanOrEqual(3);
  for (const p of persons) expect(centre(p).y).toBeGreaterThan(500); // standing in the lower half
}

/** zidane.jpg (1280x720): two persons (one each side) and, when `tie`, a tie on the right-hand man. */
export function expectZidane(width: number, height: number, detections: Detection[], tie = true): void {
  expect([width, height]).toEqual([1280, 720]);
  for (const d of detections) inside(d, width, height);
  // the two best persons, one on each side (yolov5n also returns weaker, merged boxes above 0.25)
  const persons = detections.filter((d) => d.className === 'person').sort((a, b) => b.score - a.score);
  expect(persons.length).toBeGreaterThanOrEqual(2);
  const [left, right] = persons.slice(0, 2).sort((a, b) => centre(a).x - centre(b).x);
  expect(centre(left!).x).toBeLessThan(640);
  expect(centre(right!).x).toBeGreaterThan(800);
  if (!tie) return;
  const ties = detections.filter((d) => d.className === 'tie');
  expect(ties.length).toBeGreaterThanOrEqual(1);
  const t = centre(ties[0]!);
  const r = right!.box;
  // the tie the models find is on the right-hand man (Ancelotti), under his face
  expect(t.x).toBeGreaterThan(r.x1 - 400);
  expect(t.y).toBeGreaterThan(400);
}
