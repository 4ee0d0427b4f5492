/**
 * Seeded generators of hostile multipart messages: random frames, wrong headers and versions, random
 * command bytes, and valid messages mutated (bytes flipped, frames truncated, dropped, duplicated,
 * emptied, or replaced by a frame larger than the peer's limit). Same seed, same messages.
 */

/** mulberry32: a small seeded PRNG, good enough to make fuzz runs reproducible. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Fuzzer {
  readonly random: () => number;
  huge = 0;

  constructor(
    seed: number,
    /** the valid messages to mutate */
    private readonly seeds: () => Buffer[],
    /** "YMQC" or "YMQW" */
    private readonly signature: string,
    /** size of the rare oversized frame (above the receiver's limit) */
    private readonly hugeBytes: number,
  ) {
    this.random = prng(seed);
  }

  int(n: number): number {
    return Math.floor(this.random() * n);
  }

  bytes(n: number): Buffer {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }

  header(): Buffer {
    const r = this.int(6);
    if (r === 0) return Buffer.from(`${this.signature}\x02`, 'latin1'); // wrong version
    if (r === 1) return Buffer.from(`${this.signature}\x00`, 'latin1');
    if (r === 2) return Buffer.from(this.signature === 'YMQC' ? 'YMQW\x01' : 'YMQC\x01', 'latin1'); // wrong side
    if (r === 3) return this.bytes(this.int(8));
    return Buffer.from(`${this.signature}\x01`, 'latin1');
  }

  /** One hostile message. */
  next(): Buffer[] {
    const kind = this.int(10);
    if (kind === 0) {
      // random frames
      return Array.from({ length: this.int(9) }, () => this.bytes(this.int(80)));
    }
    if (kind <= 2) {
      // a header (often right) and a random command with random frames
      const frames = [this.header(), Buffer.from([this.int(256)])];
      for (let i = this.int(6); i > 0; i--) frames.push(this.bytes(this.int(70)));
      return frames;
    }
    return this.mutate(this.seeds());
  }

  mutate(message: Buffer[]): Buffer[] {
    const frames: Buffer[] = message.map((f) => Buffer.from(f));
    for (let m = 1 + this.int(3); m > 0; m--) {
      const i = this.int(Math.max(1, frames.length));
      switch (this.int(8)) {
        case 0:
          if (frames[i]?.length) frames[i]![this.int(frames[i]!.length)] = this.int(256);
          break;
        case 1:
          if (frames[i]) frames[i] = frames[i]!.subarray(0, this.int(frames[i]!.length + 1));
          break;
        case 2:
          frames.splice(i, 1);
          break;
        case 3:
          if (frames[i]) frames.splice(i, 0, frames[i]!);
          break;
        case 4:
          frames[i] = Buffer.alloc(0);
          break;
        case 5:
          frames.splice(i, 0, this.bytes(this.int(100)));
          break;
        case 6:
          frames.length = this.int(frames.length + 1);
          break;
        default:
          if (this.int(400) === 0) {
            this.huge++;
            frames[i] = Buffer.alloc(this.hugeBytes, 7);
          } else frames[0] = this.header();
      }
    }
    return frames;
  }
}
