/**
 * A one-line progress bar with rate and ETA, redrawn in place on a terminal (stderr). Other output goes
 * through `print()`, which clears the bar, writes, and redraws it, so lines never tear.
 */
export interface ProgressLine {
  /** counts one more item done */
  tick(failed?: boolean): void;
  /** writes text to a stream without tearing the bar */
  print(stream: NodeJS.WriteStream, text: string): void;
  /** removes the bar for good */
  stop(): void;
}

const noProgress: ProgressLine = {
  tick() {},
  print(stream, text) {
    stream.write(text);
  },
  stop() {},
};

/** A no-op when the stream is not a terminal: plain output for pipes and files. */
export function progressLine(stream: NodeJS.WriteStream, total: number, label: string): ProgressLine {
  if (!stream.isTTY) return noProgress;
  const startedAt = performance.now();
  let done = 0;
  let failed = 0;
  let drawn = false;
  let dirty = true;

  const render = () => {
    const elapsedS = (performance.now() - startedAt) / 1000;
    const rate = elapsedS > 0 ? done / elapsedS : 0;
    const etaS = rate > 0 ? (total - done) / rate : Number.NaN;
    const columns = stream.columns ?? 80;
    const info =
      ` ${done}/${total} ${Math.floor((100 * done) / Math.max(total, 1))}%` +
      ` ${rate.toFixed(1)} ${label}/s` +
      ` ETA ${Number.isFinite(etaS) ? `${Math.ceil(etaS)}s` : '?'}` +
      (failed > 0 ? ` ${failed} failed` : '');
    const barWidth = Math.max(10, Math.min(40, columns - info.length - 3));
    const filled = Math.round((barWidth * done) / Math.max(total, 1));
    const line = `[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}]${info}`;
    stream.write(`\r${line.slice(0, columns - 1)}\x1b[K`);
    drawn = true;
    dirty = false;
  };
  const clear = () => {
    if (drawn) stream.write('\r\x1b[K');
    drawn = false;
  };
  // Redraw at most 10 times a second; the timer never keeps the process alive.
  const timer = setInterval(() => {
    if (dirty) render();
  }, 100);
  timer.unref();
  render();

  return {
    tick(isFailure = false) {
      done++;
      if (isFailure) failed++;
      dirty = true;
    },
    print(target, text) {
      // Output to a file or pipe cannot tear the bar: write it and leave the bar to its timer.
      if (!target.isTTY) {
        target.write(text);
        return;
      }
      clear();
      target.write(text);
      render();
    },
    stop() {
      clearInterval(timer);
      clear();
    },
  };
}

/** A status line redrawn in place a few times a second on a terminal; nothing elsewhere. */
export interface StatusLine {
  stop(): void;
}

export function statusLine(stream: NodeJS.WriteStream, text: () => string): StatusLine {
  if (!stream.isTTY) return { stop() {} };
  const draw = () => {
    const columns = stream.columns ?? 80;
    stream.write(`\r${text().slice(0, columns - 1)}\x1b[K`);
  };
  const timer = setInterval(draw, 250);
  timer.unref();
  draw();
  return {
    stop() {
      clearInterval(timer);
      stream.write('\r\x1b[K');
    },
  };
}
