// The yolomq dashboard: live cluster state from the gateway's event stream (/v1/events, the broker's
// /status once a second), charts drawn on <canvas>, and a detection you can try by dropping an image.
// Plain ES modules, no build step, nothing from a CDN.
import { drawLineChart, formatValue } from './charts.js';

const WINDOW_MS = 120_000;
const $ = (id) => document.getElementById(id);

// ---- reading the broker's /status ------------------------------------------------------------------
// The broker owns the document; this is the one place that knows its field names.

const num = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

function readWorker(w) {
  return {
    id: String(w.workerId ?? w.id ?? '?'),
    model: String(w.model ?? ''),
    host: String(w.host ?? ''),
    pid: num(w.pid),
    credit: num(w.credit) ?? 0,
    inflight: num(w.inflight) ?? num(w.inFlight) ?? 0,
    served: num(w.served) ?? num(w.completed) ?? 0,
  };
}

function readQueue(q, workers) {
  const name = String(q.model ?? q.name ?? '');
  return {
    name,
    queued: num(q.queued) ?? 0,
    inflight: num(q.inflight) ?? 0,
    workers: num(q.liveWorkers) ?? workers.filter((w) => w.model === name).length,
    credit: num(q.credit),
    // the autoscaler's target, when the broker runs one
    desired: num(q.desiredWorkers) ?? num(q.desired),
  };
}

/** The view the page renders, from the broker's /status document (services/broker/src/http/status.ts). */
function readStatus(s) {
  const workers = (Array.isArray(s.workers) ? s.workers : []).map(readWorker);
  const models = (Array.isArray(s.queues) ? s.queues : []).map((q) => readQueue(q, workers));
  for (const w of workers) {
    if (!models.some((m) => m.name === w.model)) models.push(readQueue({ model: w.model }, workers));
  }
  const autoscale = s.autoscale ?? {};
  let desired = num(autoscale.desired) ?? num(autoscale.desiredWorkers);
  if (desired === undefined && models.some((m) => m.desired !== undefined)) {
    desired = models.reduce((sum, m) => sum + (m.desired ?? m.workers), 0);
  }
  return {
    version: s.version,
    uptimeS: (num(s.uptimeMs) ?? Number.NaN) / 1000,
    defaultModel: s.defaultModel ?? null,
    draining: s.status === 'draining',
    workers,
    models,
    clients: num(s.clientsSeenLastMinute) ?? (Array.isArray(s.clients) ? s.clients.length : undefined),
    desired,
    queued: models.reduce((sum, m) => sum + m.queued, 0),
    inflight: models.reduce((sum, m) => sum + m.inflight, 0),
    served: workers.reduce((sum, w) => sum + w.served, 0),
  };
}

// ---- history and rates ------------------------------------------------------------------------------

const history = []; // [{ at, view }]
const series = { rate: [], errors: [], p50: [], p95: [] };

/** The snapshot about `ms` before the newest, for per-worker throughput smoothed over a few seconds. */
function snapshotBefore(ms) {
  const newest = history[history.length - 1];
  for (let i = history.length - 2; i >= 0; i--) if (newest.at - history[i].at >= ms) return history[i];
  return history.length > 1 ? history[0] : undefined;
}

function push(list, at, v) {
  if (v === undefined || v === null) return;
  list.push([at, v]);
  while (list.length > 0 && list[0][0] < at - WINDOW_MS - 5000) list.shift();
}

/** traffic: the gateway's reading of the broker's /metrics over the last seconds (rates, percentiles). */
function record(at, view, traffic) {
  history.push({ at, view });
  while (history.length > 0 && history[0].at < at - WINDOW_MS - 5000) history.shift();
  push(series.rate, at, traffic?.answeredPerS);
  push(series.errors, at, traffic?.errorsPerS);
  push(series.p50, at, traffic?.latencyMs?.p50);
  push(series.p95, at, traffic?.latencyMs?.p95);
  return snapshotBefore(3000);
}

// ---- rendering ------------------------------------------------------------------------------------

const PALETTE = [
  '#4cc2ff',
  '#3ecf8e',
  '#f5b942',
  '#ff6b6b',
  '#b68cff',
  '#ff8fd0',
  '#6be4d8',
  '#ffa45c',
  '#9bd35a',
  '#7aa2ff',
  '#ff5ca8',
  '#c9e265',
  '#5cd0ff',
  '#ffcf5c',
  '#e07cff',
  '#64e39a',
  '#ff8a65',
  '#80deea',
  '#d4a373',
  '#a5b4fc',
];
const colorOf = (classId) => PALETTE[Math.abs(Number(classId) || 0) % PALETTE.length];

function el(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else node.setAttribute(k, v);
  }
  for (const child of children) node.append(child);
  return node;
}

function setKpi(id, value, sub) {
  $(id).textContent = value;
  if (sub !== undefined) $(`${id}-sub`).textContent = sub;
}

function duration(s) {
  if (!Number.isFinite(s)) return '';
  if (s < 120) return `${Math.round(s)} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

function renderMeta(view) {
  const parts = [];
  if (view.version) parts.push(`broker ${view.version}`);
  if (Number.isFinite(view.uptimeS)) parts.push(`up ${duration(view.uptimeS)}`);
  parts.push(`default model: ${view.defaultModel ?? 'none yet'}`);
  if (view.draining) parts.push('draining');
  $('broker-meta').textContent = parts.join(' · ');
}

function renderKpis(view, traffic) {
  const workers = $('kpi-workers');
  workers.textContent = String(view.workers.length);
  if (view.desired !== undefined) workers.append(el('span', { class: 'of', text: ` / ${view.desired}` }));
  $('kpi-workers-sub').textContent = view.desired !== undefined ? 'actual / desired' : 'live (no autoscaler target)';
  setKpi('kpi-queue', String(view.queued), `requests waiting in ${view.models.length} queue(s)`);
  $('kpi-inflight').textContent = String(view.inflight);
  $('kpi-rate').textContent = traffic ? formatValue(traffic.answeredPerS) : '–';
  $('kpi-rate-sub').textContent = traffic
    ? `answered, ${formatValue(traffic.errorsPerS)}/s with errors`
    : 'answered (no metrics yet)';
  const p = traffic?.latencyMs;
  $('kpi-latency').textContent = p ? `${formatValue(p.p50)} / ${formatValue(p.p95)}` : '–';
  $('kpi-clients').textContent = view.clients === undefined ? '–' : String(view.clients);
}

function renderWorkers(view, then) {
  const body = $('workers').querySelector('tbody');
  const previous = new Map((then?.view.workers ?? []).map((w) => [w.id, w]));
  const dt = then ? (history[history.length - 1].at - then.at) / 1000 : 0;
  const rows = [...view.workers]
    .sort((a, b) => a.model.localeCompare(b.model) || a.id.localeCompare(b.id))
    .map((w) => {
      const before = previous.get(w.id);
      const throughput = before && dt > 0 && w.served >= before.served ? (w.served - before.served) / dt : undefined;
      const fill = el('span');
      fill.style.width = `${Math.min(100, (w.inflight / Math.max(1, w.credit)) * 100)}%`;
      return el('tr', { 'data-worker-id': w.id }, [
        el('td', { class: 'mono', text: w.id }),
        el('td', { text: w.model }),
        el('td', { text: w.pid !== undefined ? `${w.host} (pid ${w.pid})` : w.host }),
        el('td', { class: 'num', text: String(w.credit) }),
        el('td', {}, [el('span', { class: 'bar' }, [fill]), `${w.inflight}`]),
        el('td', { class: 'num', text: throughput === undefined ? '–' : `${formatValue(throughput)}/s` }),
        el('td', { class: 'num', text: String(w.served) }),
      ]);
    });
  body.replaceChildren(...rows);
  $('workers-count').textContent = String(view.workers.length);
  $('workers-empty').hidden = view.workers.length > 0;
}

function renderModels(view) {
  const body = $('models').querySelector('tbody');
  body.replaceChildren(
    ...view.models.map((m) => {
      const short = m.desired !== undefined && m.workers < m.desired;
      const count = el('span', { class: short ? 'pill warn' : 'pill' }, [
        m.desired !== undefined ? `${m.workers} / ${m.desired}` : `${m.workers}`,
      ]);
      const name = m.name === view.defaultModel ? `${m.name} (default)` : m.name;
      return el('tr', { 'data-model': m.name }, [
        el('td', { text: name }),
        el('td', { class: 'num' }, [count]),
        el('td', { class: 'num', text: String(m.queued) }),
        el('td', { class: 'num', text: String(m.inflight) }),
      ]);
    }),
  );
  $('models-empty').hidden = view.models.length > 0;
  renderModelChoices(view);
}

function renderModelChoices(view) {
  const select = $('model');
  const names = view.models.filter((m) => m.workers > 0).map((m) => m.name);
  const current = [...select.options].slice(1).map((o) => o.value);
  if (names.join('\n') === current.join('\n')) return;
  const chosen = select.value;
  select.replaceChildren(
    el('option', { value: '', text: 'default' }),
    ...names.map((n) => el('option', { value: n, text: n })),
  );
  if (names.includes(chosen)) select.value = chosen;
}

function renderCharts() {
  const now = Date.now();
  drawLineChart($('chart-rate'), {
    windowMs: WINDOW_MS,
    now,
    unit: '/s',
    series: [
      { label: 'answered', color: '#4cc2ff', points: series.rate },
      { label: 'errors', color: '#ff6b6b', points: series.errors },
    ],
  });
  drawLineChart($('chart-latency'), {
    windowMs: WINDOW_MS,
    now,
    unit: ' ms',
    series: [
      { label: 'p50', color: '#3ecf8e', points: series.p50 },
      { label: 'p95', color: '#f5b942', points: series.p95 },
    ],
  });
}

function setConnection(state, text) {
  $('conn').dataset.state = state;
  $('conn-text').textContent = text;
}

function showBanner(message) {
  const banner = $('banner');
  banner.hidden = message === undefined;
  banner.textContent = message ?? '';
}

function onStatus(at, status, traffic) {
  const view = readStatus(status);
  const then = record(at, view, traffic);
  setConnection('live', 'live');
  showBanner(undefined);
  renderMeta(view);
  renderKpis(view, traffic);
  renderWorkers(view, then);
  renderModels(view);
  renderCharts();
  document.body.dataset.updatedAt = String(at);
}

// ---- live updates: server-sent events, with polling as the fallback -----------------------------

let pollTimer;

function poll() {
  fetch('/v1/status', { cache: 'no-store' })
    .then(async (response) => {
      const body = await response.json();
      if (response.ok) onStatus(Date.now(), body, null);
      else onUnavailable(body.error?.message ?? `HTTP ${response.status}`);
    })
    .catch((err) => onUnavailable(`gateway unreachable: ${err.message}`))
    .finally(() => {
      pollTimer = setTimeout(poll, 2000);
    });
}

function onUnavailable(message) {
  setConnection('down', 'broker unavailable');
  showBanner(message);
}

function connect() {
  if (!('EventSource' in window)) {
    poll();
    return;
  }
  const events = new EventSource('/v1/events');
  let failures = 0;
  events.addEventListener('status', (e) => {
    failures = 0;
    const { at, status, traffic } = JSON.parse(e.data);
    onStatus(at, status, traffic);
  });
  events.addEventListener('unavailable', (e) => onUnavailable(JSON.parse(e.data).message));
  events.addEventListener('error', () => {
    failures++;
    setConnection('connecting', 'reconnecting');
    if (failures >= 5) {
      events.close();
      poll();
    }
  });
}

// ---- try a detection --------------------------------------------------------------------------------

const MAX_IMAGE_HEIGHT = 620;
const detectState = { image: undefined, result: undefined, highlight: -1 };

function setDetectStatus(text, isError = false) {
  const node = $('detect-status');
  node.textContent = text;
  node.classList.toggle('error', isError);
}

function drawResult() {
  const { image, result, highlight } = detectState;
  const canvas = $('result-canvas');
  if (!image) return;
  const maxWidth = $('drop').clientWidth - 20;
  const scale = Math.min(1, maxWidth / image.naturalWidth, MAX_IMAGE_HEIGHT / image.naturalHeight);
  canvas.width = Math.round(image.naturalWidth * scale);
  canvas.height = Math.round(image.naturalHeight * scale);
  canvas.hidden = false;
  $('drop-text').hidden = true;
  const ctx = canvas.getContext('2d');
  ctx.drawImage(image, 0, 0, canvas.width, canvas.height);
  if (!result) return;
  // Boxes are in the pixels of the image the worker saw (EXIF orientation applied, as the browser does).
  const sx = canvas.width / (result.width || image.naturalWidth);
  const sy = canvas.height / (result.height || image.naturalHeight);
  const size = Math.max(canvas.width, canvas.height);
  const line = Math.max(3, Math.round(size / 220));
  ctx.font = `600 ${Math.max(12, Math.round(size / 55))}px system-ui, sans-serif`;
  ctx.textBaseline = 'top';
  const boxes = result.detections.map((d, i) => ({
    d,
    i,
    color: colorOf(d.classId),
    x: d.box.x1 * sx,
    y: d.box.y1 * sy,
    w: (d.box.x2 - d.box.x1) * sx,
    h: (d.box.y2 - d.box.y1) * sy,
  }));
  // all boxes first, then the labels from the lowest score up, so the surest label ends on top
  for (const b of boxes) {
    ctx.lineWidth = b.i === highlight ? line * 2 : line;
    ctx.strokeStyle = b.color;
    ctx.strokeRect(b.x, b.y, b.w, b.h);
  }
  for (const b of [...boxes].sort((p, q) => p.d.score - q.d.score)) {
    const label = `${b.d.className} ${b.d.score.toFixed(2)}`;
    const tw = ctx.measureText(label).width + 8;
    const th = parseInt(ctx.font.split(' ')[1], 10) + 6;
    // above the box when there is room, inside it otherwise; never past the right edge
    const ly = b.y - th >= 0 ? b.y - th : b.y;
    const lx = Math.max(0, Math.min(b.x - line / 2, canvas.width - tw));
    ctx.fillStyle = b.color;
    ctx.fillRect(lx, ly, tw, th);
    ctx.fillStyle = '#0b0e12';
    ctx.fillText(label, lx + 4, ly + 3);
  }
  canvas.dataset.boxes = String(result.detections.length);
}

function renderDetections(result) {
  const table = $('detections');
  const rows = result.detections.map((d, i) =>
    el('tr', { 'data-index': String(i) }, [
      el('td', { class: 'num', text: String(i + 1) }),
      el('td', {}, [swatch(d.classId), `${d.className} (${d.classId})`]),
      el('td', { class: 'num', text: d.score.toFixed(3) }),
      ...['x1', 'y1', 'x2', 'y2'].map((k) => el('td', { class: 'num', text: d.box[k].toFixed(1) })),
    ]),
  );
  table.querySelector('tbody').replaceChildren(...rows);
  table.hidden = rows.length === 0;
}

function swatch(classId) {
  const s = el('span', { class: 'swatch' });
  s.style.background = colorOf(classId);
  return s;
}

function loadImage(file) {
  return new Promise((resolve, reject) => {
    const url = URL.createObjectURL(file);
    const image = new Image();
    image.onload = () => resolve(image);
    image.onerror = () => {
      URL.revokeObjectURL(url);
      reject(new Error('the browser cannot display this file as an image'));
    };
    image.src = url;
  });
}

async function detect(file) {
  if (!file) return;
  detectState.result = undefined;
  detectState.highlight = -1;
  $('detections').hidden = true;
  $('result-canvas').dataset.boxes = '';
  setDetectStatus(`Detecting objects in ${file.name || 'the image'}…`);
  const params = new URLSearchParams();
  if ($('model').value) params.set('model', $('model').value);
  params.set('conf', $('conf').value);
  try {
    const [image, response] = await Promise.all([
      loadImage(file).catch(() => undefined),
      fetch(`/v1/detect?${params}`, {
        method: 'POST',
        headers: {
          'content-type': file.type?.startsWith('image/') ? file.type : 'application/octet-stream',
        },
        body: file,
      }),
    ]);
    const body = await response.json();
    if (image) {
      detectState.image = image;
      drawResult();
    }
    if (!response.ok) {
      setDetectStatus(`${body.error?.code ?? response.status}: ${body.error?.message ?? 'request failed'}`, true);
      return;
    }
    detectState.result = body;
    drawResult();
    renderDetections(body);
    const t = body.timings ?? {};
    setDetectStatus(
      `${file.name || 'image'}: ${body.detections.length} detection(s) by ${body.model} on ${body.workerId} — ` +
        `${body.width}×${body.height} px, ${formatValue(body.latencyMs)} ms end to end ` +
        `(queue ${formatValue(t.queueMs)}, pre ${formatValue(t.preprocessMs)}, ` +
        `inference ${formatValue(t.inferenceMs)}, post ${formatValue(t.postprocessMs)} ms)`,
    );
  } catch (err) {
    setDetectStatus(`The detection failed: ${err.message}`, true);
  }
}

function setupDetect() {
  $('conf').addEventListener('input', () => {
    $('conf-out').textContent = Number($('conf').value).toFixed(2);
  });
  $('file').addEventListener('change', (e) => detect(e.target.files[0]));
  let depth = 0;
  document.addEventListener('dragenter', (e) => {
    e.preventDefault();
    depth++;
    document.body.classList.add('dragging');
  });
  document.addEventListener('dragleave', () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) document.body.classList.remove('dragging');
  });
  document.addEventListener('dragover', (e) => e.preventDefault());
  document.addEventListener('drop', (e) => {
    e.preventDefault();
    depth = 0;
    document.body.classList.remove('dragging');
    const file = [...(e.dataTransfer?.files ?? [])].find((f) => !f.type || f.type.startsWith('image/'));
    if (file) detect(file);
    else setDetectStatus('Drop an image file (JPEG, PNG, WebP…).', true);
  });
  $('detections').addEventListener('mouseover', (e) => {
    const row = e.target.closest('tr[data-index]');
    detectState.highlight = row ? Number(row.dataset.index) : -1;
    drawResult();
  });
  $('detections').addEventListener('mouseleave', () => {
    detectState.highlight = -1;
    drawResult();
  });
  window.addEventListener('resize', () => {
    drawResult();
    renderCharts();
  });
}

setupDetect();
connect();
// Keep the charts' time axis moving even when no snapshot arrives.
setInterval(renderCharts, 1000);
void pollTimer;
