/**
 * Candidate detections in flat typed arrays, filled by a layout decoder and consumed by NMS. One
 * buffer set per inference thread, reused for every image: no object per candidate on the hot path.
 */
export class Candidates {
  /** x1, y1, x2, y2 per candidate, model-input pixels */
  boxes: Float32Array;
  scores: Float32Array;
  classes: Int32Array;
  count = 0;

  constructor(capacity = 1024) {
    this.boxes = new Float32Array(capacity * 4);
    this.scores = new Float32Array(capacity);
    this.classes = new Int32Array(capacity);
  }

  reset(): void {
    this.count = 0;
  }

  /** Appends one candidate from centre/size form. */
  pushCenter(cx: number, cy: number, w: number, h: number, score: number, cls: number): void {
    const i = this.count;
    if (i === this.scores.length) this.grow();
    const k = i * 4;
    const hw = w / 2;
    const hh = h / 2;
    this.boxes[k] = cx - hw;
    this.boxes[k + 1] = cy - hh;
    this.boxes[k + 2] = cx + hw;
    this.boxes[k + 3] = cy + hh;
    this.scores[i] = score;
    this.classes[i] = cls;
    this.count = i + 1;
  }

  /** Appends one candidate from corner form. */
  pushCorners(x1: number, y1: number, x2: number, y2: number, score: number, cls: number): void {
    const i = this.count;
    if (i === this.scores.length) this.grow();
    const k = i * 4;
    this.boxes[k] = x1;
    this.boxes[k + 1] = y1;
    this.boxes[k + 2] = x2;
    this.boxes[k + 3] = y2;
    this.scores[i] = score;
    this.classes[i] = cls;
    this.count = i + 1;
  }

  private grow(): void {
    const capacity = this.scores.length * 2;
    const boxes = new Float32Array(capacity * 4);
    boxes.set(this.boxes);
    const scores = new Float32Array(capacity);
    scores.set(this.scores);
    const classes = new Int32Array(capacity);
    classes.set(this.classes);
    this.boxes = boxes;
    this.scores = scores;
    this.classes = classes;
  }
}
