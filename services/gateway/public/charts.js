// A small time-series line chart drawn on a <canvas>: no library, no CDN.
// drawLineChart(canvas, { windowMs, now, unit, series: [{ label, color, points: [[t, v], ...] }] })

const FONT = '11px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

/** 1, 2, 2.5, 5 x 10^n steps so the y axis reads well. */
function niceStep(range, ticks) {
  const raw = range / Math.max(1, ticks);
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * power >= raw) return m * power;
  return 10 * power;
}

export function formatValue(v) {
  if (!Number.isFinite(v)) return '–';
  if (Math.abs(v) >= 1000) return `${(v / 1000).toFixed(v >= 10_000 ? 0 : 1)}k`;
  if (Math.abs(v) >= 100 || Number.isInteger(v)) return String(Math.round(v));
  if (Math.abs(v) >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

/** Sizes the backing store to the element's CSS size times the pixel ratio; returns the 2D context. */
function prepare(canvas) {
  const ratio = window.devicePixelRatio || 1;
  const width = Math.max(1, Math.round(canvas.clientWidth * ratio));
  const height = Math.max(1, Math.round(canvas.clientHeight * ratio));
  if (canvas.width !== width || canvas.height !== height) {
    canvas.width = width;
    canvas.height = height;
  }
  const ctx = canvas.getContext('2d');
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  return { ctx, w: canvas.clientWidth, h: canvas.clientHeight };
}

export function drawLineChart(canvas, { windowMs, now, unit = '', series }) {
  const { ctx, w, h } = prepare(canvas);
  const styles = getComputedStyle(canvas);
  const grid = styles.getPropertyValue('--chart-grid').trim() || '#2a3140';
  const text = styles.getPropertyValue('--chart-text').trim() || '#8b95a7';
  ctx.clearRect(0, 0, w, h);
  ctx.font = FONT;

  const pad = { left: 44, right: 10, top: 22, bottom: 20 };
  const plotW = w - pad.left - pad.right;
  const plotH = h - pad.top - pad.bottom;
  const t0 = now - windowMs;

  let max = 0;
  for (const s of series) for (const [t, v] of s.points) if (t >= t0 && Number.isFinite(v)) max = Math.max(max, v);
  // An idle chart still gets a readable 0..1 axis.
  const step = niceStep(max > 0 ? max * 1.1 : 1, 4);
  const top = max > 0 ? Math.ceil((max * 1.1) / step) * step : 4 * step;
  const x = (t) => pad.left + ((t - t0) / windowMs) * plotW;
  const y = (v) => pad.top + plotH - (v / top) * plotH;

  // grid and y labels
  ctx.strokeStyle = grid;
  ctx.fillStyle = text;
  ctx.lineWidth = 1;
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (let v = 0; v <= top + step / 2; v += step) {
    const yy = Math.round(y(v)) + 0.5;
    ctx.beginPath();
    ctx.moveTo(pad.left, yy);
    ctx.lineTo(w - pad.right, yy);
    ctx.stroke();
    ctx.fillText(formatValue(v), pad.left - 6, yy);
  }
  // x labels: seconds ago
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  const seconds = windowMs / 1000;
  const xStep = seconds > 90 ? 30 : 15;
  for (let s = 0; s <= seconds; s += xStep) {
    ctx.fillText(s === 0 ? 'now' : `-${s}s`, x(now - s * 1000), h - pad.bottom + 5);
  }

  // series
  for (const s of series) {
    const pts = s.points.filter(([t, v]) => t >= t0 - 2000 && Number.isFinite(v));
    if (pts.length === 0) continue;
    ctx.save();
    ctx.beginPath();
    ctx.rect(pad.left, pad.top - 2, plotW, plotH + 4);
    ctx.clip();
    ctx.strokeStyle = s.color;
    ctx.lineWidth = 2;
    ctx.lineJoin = 'round';
    ctx.beginPath();
    for (const [i, [t, v]] of pts.entries()) {
      if (i === 0) ctx.moveTo(x(t), y(v));
      else ctx.lineTo(x(t), y(v));
    }
    ctx.stroke();
    // a soft fill under the first series
    if (s === series[0] && pts.length > 1) {
      ctx.lineTo(x(pts[pts.length - 1][0]), y(0));
      ctx.lineTo(x(pts[0][0]), y(0));
      ctx.closePath();
      ctx.globalAlpha = 0.12;
      ctx.fillStyle = s.color;
      ctx.fill();
    }
    ctx.restore();
  }

  // legend with the latest values
  ctx.textAlign = 'left';
  ctx.textBaseline = 'middle';
  let lx = pad.left;
  for (const s of series) {
    const last = s.points.length > 0 ? s.points[s.points.length - 1][1] : Number.NaN;
    const label = `${s.label} ${formatValue(last)}${unit}`;
    ctx.fillStyle = s.color;
    ctx.fillRect(lx, 7, 10, 3);
    ctx.fillStyle = text;
    ctx.fillText(label, lx + 14, 9);
    lx += ctx.measureText(label).width + 32;
  }
}
