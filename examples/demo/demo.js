// The demo page: one ResilientWebSocket connected to the demo's echo server (`?ws=`), buttons that
// inflict faults on that server through its control API (`?control=`, see fault-server.js), and a
// live view of the connection: state cards, a timeline (connectionState bands, faults, closes,
// reconnect attempts with their delays, heartbeat RTT, queue depth) and a log.
//
// Everything the page shows comes from one record, `window.demoTimeline`: one entry per event and
// per call, each with the time (ms since the socket was created) and the socket's state right
// after it. The headless mode (headless.js) clicks the same buttons and reads the same record.

const params = new URLSearchParams(location.search);
// "Share across tabs" (`?share=1`): every tab of the demo on one connection, held by one of them
// (`share: true`, which only resilient-websocket/share carries). The one place the page loads the
// class from; the rest of the page does not care where it lives.
const sharing = params.get('share') === '1';
const { ResilientWebSocket } = await import(sharing ? '/js/share.js' : '/js/index.js');

const READY_STATES = ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED'];
const STATE_COLOURS = {
  connecting: '#d9a21b',
  open: '#2f9e5a',
  reconnecting: '#e4672b',
  offline: '#8a8f98',
  closing: '#8b63d1',
  closed: '#4a4f57',
};
// Lively on purpose: a ping after 2 s without traffic, dead 1.5 s later; quick, short retries; the
// attempt counter starts over once a connection has stayed up for 2 s.
const OPTIONS = {
  heartbeat: { interval: 2000, timeout: 1500 },
  reconnect: { minDelay: 500, maxDelay: 5000, minUptime: 2000 },
  ...(sharing ? { share: true } : {}),
};
// The timeline shows the whole session until it is this long, then the most recent part of it.
const MIN_SPAN_MS = 20_000;
const MAX_SPAN_MS = 60_000;
const LOG_LIMIT = 300;

const byId = (id) => document.getElementById(id);
const wsUrl = params.get('ws');
const controlUrl = params.get('control');
if (!wsUrl || !controlUrl) {
  document.body.insertAdjacentHTML('afterbegin',
    '<p class="panel">This page needs <code>?ws=</code> and <code>?control=</code> in its address: ' +
    'open the URL that <code>bash scripts/demo.sh</code> prints.</p>');
  throw new Error('demo: the page address lacks ?ws= or ?control=');
}
byId('server').textContent = wsUrl;
byId('options').textContent = JSON.stringify(OPTIONS);

const startedAt = performance.now();
const elapsed = () => Math.round(performance.now() - startedAt);
const ws = new ResilientWebSocket(wsUrl, [], OPTIONS);
// For the console, and for the headless mode's final checks.
window.demoSocket = ws;
window.demoOptions = OPTIONS;

// The switch reloads the page with or without `?share=1`; the card shows this tab's part.
byId('share').checked = sharing;
byId('share').addEventListener('change', () => {
  const next = new URL(location.href);
  if (byId('share').checked) next.searchParams.set('share', '1');
  else next.searchParams.delete('share');
  location.assign(next);
});

// ---------------------------------------------------------------------------------------------
// The log

const FAILURES = ['send() threw', 'fault failed'];
// The log follows new entries unless it has been scrolled up to read older ones.
let followLog = true;
byId('log').addEventListener('scroll', ({ target: log }) => {
  followLog = log.scrollHeight - log.scrollTop - log.clientHeight < 24;
});

function appendLog(entry) {
  const item = document.createElement('li');
  item.className = FAILURES.includes(entry.event) ? 'failed' : entry.event.replace(/\W.*/, '');
  const cells = [
    ['t', `+${(entry.t / 1000).toFixed(3)} s`],
    ['event', entry.event],
    ['detail', entry.detail],
    ['state', entry.state],
  ];
  for (const [name, text] of cells) {
    const cell = document.createElement('span');
    cell.className = name;
    cell.textContent = text;
    item.append(cell);
  }
  const log = byId('log');
  log.append(item);
  while (log.childElementCount > LOG_LIMIT) log.firstElementChild.remove();
  if (followLog) log.scrollTop = log.scrollHeight;
}

// ---------------------------------------------------------------------------------------------
// The record

/**
 * @typedef {{ t: number, event: string, detail: string, state: string, readyState: number,
 *   queued: number, bufferedAmount: number, attempt?: number, delay?: number, rtt?: number,
 *   code?: number, to?: string, data?: string, queuedBySend?: boolean, fault?: object, failed?: boolean }} Entry
 */
/** @type {Entry[]} */
const timeline = [];
window.demoTimeline = timeline;
/** Queue depth over time, one sample per change: [t, queued]. */
const queueSamples = [[0, 0]];

/** Appends an entry with the socket's state as it is now. */
function record(event, fields = {}) {
  const entry = {
    t: elapsed(),
    event,
    detail: '',
    state: ws.connectionState,
    readyState: ws.readyState,
    queued: ws.stats.queued,
    bufferedAmount: ws.bufferedAmount,
    ...fields,
  };
  timeline.push(entry);
  sampleQueue(entry.t, entry.queued);
  if (event !== 'heartbeat') appendLog(entry);
  return entry;
}

function sampleQueue(t = elapsed(), queued = ws.stats.queued) {
  if (queueSamples.at(-1)[1] !== queued) queueSamples.push([t, queued]);
}

const show = (data) => (typeof data === 'string' ? JSON.stringify(data) : `(${data.constructor.name})`);

record('new ResilientWebSocket', { detail: wsUrl });
ws.addEventListener('statechange', (e) => record('statechange', { detail: `${e.from} → ${e.to}`, to: e.to }));
ws.addEventListener('open', () => record('open'));
ws.addEventListener('message', (e) => record('message', { detail: show(e.data), data: e.data }));
ws.addEventListener('error', () => record('error'));
ws.addEventListener('close', (e) =>
  record('close', { detail: `${e.code} ${JSON.stringify(e.reason)}${e.wasClean ? '' : ' (not clean)'}`, code: e.code }),
);
ws.addEventListener('reconnecting', (e) =>
  record('reconnecting', { detail: `attempt ${e.attempt} in ${e.delay} ms`, attempt: e.attempt, delay: e.delay }),
);
ws.addEventListener('heartbeat', (e) => record('heartbeat', { detail: `rtt ${e.rtt} ms`, rtt: e.rtt }));
ws.addEventListener('drop', (e) => record('drop', { detail: `${e.reason}: ${show(e.data)}` }));
ws.addEventListener('giveup', () => record('giveup'));
ws.addEventListener('sharerole', (e) => record('sharerole', { detail: e.role }));

// ---------------------------------------------------------------------------------------------
// The client's controls

function send(data) {
  const queuedBefore = ws.stats.queued;
  try {
    ws.send(data);
  } catch (error) {
    record('send() threw', { detail: `${error.name}: ${error.message}` });
    return;
  }
  const queuedBySend = ws.stats.queued > queuedBefore;
  record('send', { detail: `${show(data)}${queuedBySend ? ' (queued)' : ''}`, data, queuedBySend });
}

let bursts = 0;
byId('send-form').addEventListener('submit', (event) => {
  event.preventDefault();
  send(byId('message').value);
});
byId('burst').addEventListener('click', () => {
  bursts += 1;
  const count = Math.max(1, Math.min(100, Math.round(Number(byId('burst-count').value)) || 1));
  for (let i = 1; i <= count; i++) send(`burst ${bursts}: ${i}/${count}`);
});
byId('reconnect').addEventListener('click', () => {
  ws.reconnect();
  record('reconnect()');
});
byId('close').addEventListener('click', () => {
  ws.close(1000, 'closed from the demo page');
  record('close()', { detail: '1000' });
});

// ---------------------------------------------------------------------------------------------
// The server's faults, through the control API

let refusingUntil = 0;

/** Records the fault, asks the server for it, then records the server's answer. */
async function inflict(name, body, label) {
  const entry = record('fault', { detail: label, fault: { name, ...body } });
  try {
    const response = await fetch(`${controlUrl}/${name}`, { method: 'POST', body: JSON.stringify(body) });
    const answer = await response.json();
    if (!response.ok) throw new Error(answer.error);
    refusingUntil = answer.refusingMs > 0 ? elapsed() + answer.refusingMs : 0;
    record('server', { detail: answer.done });
  } catch (error) {
    entry.failed = true;
    record('fault failed', { detail: `${name}: ${error.message}` });
  }
}

const seconds = (id) => Number(byId(id).value);
byId('restart').addEventListener('click', () => {
  const downMs = Math.round(seconds('down-seconds') * 1000);
  inflict('restart', { downMs }, `restart, down ${downMs} ms`);
});
byId('silence').addEventListener('click', () => inflict('silence', {}, 'go silent'));
byId('refuse').addEventListener('click', () => {
  const refuseFor = seconds('refuse-seconds');
  inflict('refuse', { seconds: refuseFor }, `refuse for ${refuseFor} s (HTTP 503)`);
});
byId('accept').addEventListener('click', () => inflict('accept', {}, 'accept again'));
byId('close-code').addEventListener('click', () => {
  const code = seconds('close-code-value');
  const reason = byId('close-reason').value;
  inflict('close', { code, reason }, `close ${code} ${JSON.stringify(reason)}`);
});

// ---------------------------------------------------------------------------------------------
// The cards

function renderCards() {
  const stats = ws.stats;
  const state = byId('state');
  state.textContent = ws.connectionState;
  state.style.background = STATE_COLOURS[ws.connectionState];
  byId('ready-state').textContent = `${ws.readyState} ${READY_STATES[ws.readyState]}`;
  byId('rtt').textContent = stats.lastRtt === null ? '–' : `${stats.lastRtt} ms`;
  byId('queued').textContent = `${stats.queued} msg · ${ws.bufferedAmount} B`;
  byId('attempts').textContent = `${stats.attempts} · ${stats.reconnects}`;
  byId('downtime').textContent = `${(stats.downtimeMs / 1000).toFixed(1)} s`;
  byId('replayed').textContent = `${stats.replayed} · ${stats.dropped}`;
  byId('share-role').textContent = ws.shareRole ?? 'not shared';
  byId('accept').disabled = refusingUntil <= elapsed();
}

// ---------------------------------------------------------------------------------------------
// The timeline: an SVG redrawn from the record

const LABEL_WIDTH = 112;
const LANES = {
  fault: { y: 4, h: 20, label: 'server faults' },
  state: { y: 30, h: 24, label: 'connectionState' },
  close: { y: 58, h: 14, label: 'close (code)' },
  attempt: { y: 74, h: 22, label: 'retry (delay)' },
  rtt: { y: 104, h: 42, label: 'heartbeat RTT' },
  queued: { y: 156, h: 42, label: 'queued' },
};
const AXIS_Y = 214;
const HEIGHT = 230;

const escape = (text) => String(text).replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
const textWidth = (text) => text.length * 6.6; // 11 px system-ui, bold or not, roughly

/** Interval views of the record, each clipped later to the visible span. */
function intervals(now) {
  const states = [];
  let current = { state: 'connecting', from: 0 };
  for (const entry of timeline) {
    if (entry.event !== 'statechange') continue;
    states.push({ ...current, to: entry.t });
    current = { state: entry.to, from: entry.t };
  }
  states.push({ ...current, to: now });

  const faults = [];
  timeline.forEach((entry, index) => {
    if (entry.event !== 'fault' || entry.failed) return;
    const { name } = entry.fault;
    if (name === 'restart') faults.push({ from: entry.t, to: entry.t + entry.fault.downMs, label: 'down' });
    if (name === 'refuse') {
      const accepted = timeline.find((e, i) => i > index && e.event === 'fault' && ['accept', 'refuse'].includes(e.fault.name));
      faults.push({ from: entry.t, to: Math.min(entry.t + entry.fault.seconds * 1000, accepted?.t ?? Infinity), label: '503' });
    }
    if (name === 'silence') {
      const closed = timeline.find((e, i) => i > index && e.event === 'close');
      faults.push({ from: entry.t, to: closed?.t ?? now, label: 'silent' });
    }
    if (name === 'close') faults.push({ from: entry.t, to: entry.t, label: `close ${entry.fault.code}` });
  });
  return { states, faults };
}

function renderTimeline() {
  const svg = byId('timeline');
  const width = Math.max(400, svg.clientWidth);
  const now = elapsed();
  const end = Math.max(now, MIN_SPAN_MS);
  const start = Math.max(0, now - MAX_SPAN_MS);
  const plotWidth = width - LABEL_WIDTH - 10;
  const x = (t) => LABEL_WIDTH + ((Math.min(Math.max(t, start), end) - start) / (end - start)) * plotWidth;
  const visible = (from, to) => to >= start && from <= end;
  const parts = [];

  for (const lane of Object.values(LANES)) {
    parts.push(`<text class="lane-label" x="0" y="${lane.y + lane.h / 2 + 4}">${lane.label}</text>`);
  }
  // Time axis and grid.
  const step = end - start > 30_000 ? 10_000 : 5_000;
  for (let t = Math.ceil(start / step) * step; t <= end; t += step) {
    parts.push(`<line class="grid" x1="${x(t)}" x2="${x(t)}" y1="0" y2="${AXIS_Y - 12}"/>`);
    parts.push(`<text class="axis" x="${x(t)}" y="${AXIS_Y}" text-anchor="middle">${t / 1000} s</text>`);
  }

  const { states, faults } = intervals(now);
  for (const band of states.filter((s) => visible(s.from, s.to))) {
    const x0 = x(band.from);
    const w = Math.max(1, x(band.to) - x0);
    const { y, h } = LANES.state;
    parts.push(`<rect x="${x0}" y="${y}" width="${w}" height="${h}" fill="${STATE_COLOURS[band.state]}"/>`);
    if (w > textWidth(band.state) + 8) {
      parts.push(`<text class="band-label" x="${x0 + 4}" y="${y + h / 2 + 4}">${band.state}</text>`);
    }
  }

  for (const fault of faults.filter((f) => visible(f.from, f.to))) {
    const { y, h } = LANES.fault;
    const x0 = x(fault.from);
    const w = Math.max(3, x(fault.to) - x0);
    parts.push(`<rect class="fault" x="${x0}" y="${y}" width="${w}" height="${h}" rx="3"/>`);
    parts.push(`<text class="fault-label" x="${x0 + 4}" y="${y + h / 2 + 4}">${escape(fault.label)}</text>`);
  }

  // A row of labels (closes, retries, RTTs): a label that would overlap the previous one is left out.
  const labelRow = () => {
    let freeFrom = -Infinity;
    return (at, text) => {
      if (at < freeFrom) return false;
      freeFrom = at + textWidth(text) + 6;
      return true;
    };
  };
  const closeRow = labelRow();
  const attemptRow = labelRow();
  for (const entry of timeline) {
    if (!visible(entry.t, entry.t + (entry.delay ?? 0))) continue;
    if (entry.event === 'close') {
      const { y, h } = LANES.close;
      const at = x(entry.t);
      parts.push(`<line class="close-tick" x1="${at}" x2="${at}" y1="${y - 2}" y2="${y + h}"/>`);
      const text = String(entry.code);
      if (closeRow(at + 3, text)) parts.push(`<text class="close" x="${at + 3}" y="${y + h - 3}">${text}</text>`);
    }
    if (entry.event === 'reconnecting') {
      const { y, h } = LANES.attempt;
      const from = x(entry.t);
      const to = x(entry.t + entry.delay);
      parts.push(`<rect class="delay" x="${from}" y="${y + 2}" width="${Math.max(1, to - from)}" height="${h - 12}"/>`);
      parts.push(`<line class="attempt" x1="${to}" x2="${to}" y1="${y}" y2="${y + h - 8}"/>`);
      const text = `#${entry.attempt} ${entry.delay} ms`;
      if (attemptRow(from, text)) parts.push(`<text class="attempt-label" x="${from}" y="${y + h + 2}">${text}</text>`);
    }
  }

  // RTT and queue depth as small charts, each scaled to its largest visible value.
  const chart = (lane, points, { unit, min }) => {
    const top = Math.ceil(Math.max(min, ...points.map(([, v]) => v)));
    const y = (v) => lane.y + lane.h - (v / top) * lane.h;
    parts.push(`<text class="axis" x="${LABEL_WIDTH - 6}" y="${lane.y + 8}" text-anchor="end">${top}${unit}</text>`);
    parts.push(`<text class="axis" x="${LABEL_WIDTH - 6}" y="${lane.y + lane.h}" text-anchor="end">0</text>`);
    parts.push(`<line class="grid" x1="${LABEL_WIDTH}" x2="${width - 10}" y1="${lane.y + lane.h}" y2="${lane.y + lane.h}"/>`);
    return y;
  };

  const rtts = timeline.filter((e) => e.event === 'heartbeat' && visible(e.t, e.t)).map((e) => [e.t, e.rtt]);
  const rttY = chart(LANES.rtt, rtts, { unit: ' ms', min: 5 });
  const rttRow = labelRow();
  // One line per connection: round trips with a close between them are not joined.
  const closes = timeline.filter((e) => e.event === 'close').map((e) => e.t);
  rtts.forEach(([t, v], i) => {
    const next = rtts[i + 1];
    if (next && !closes.some((c) => c > t && c < next[0])) {
      parts.push(`<line class="rtt" x1="${x(t)}" y1="${rttY(v)}" x2="${x(next[0])}" y2="${rttY(next[1])}"/>`);
    }
    parts.push(`<circle class="rtt-dot" cx="${x(t)}" cy="${rttY(v)}" r="2.5"/>`);
    if (rttRow(x(t) - 3, `${v}`)) parts.push(`<text class="rtt-label" x="${x(t) + 5}" y="${rttY(v) + 3.5}">${v}</text>`);
  });

  const firstVisible = Math.max(0, queueSamples.findLastIndex(([t]) => t <= start));
  const samples = queueSamples.slice(firstVisible);
  const queueY = chart(LANES.queued, samples, { unit: '', min: 5 });
  let path = `M${x(start)},${queueY(0)}`;
  for (const [t, v] of samples) path += ` H${x(t)} V${queueY(v)}`;
  path += ` H${x(now)} V${queueY(0)} Z`;
  parts.push(`<path class="queue" d="${path}"/>`);

  if (now < end) parts.push(`<line class="now" x1="${x(now)}" x2="${x(now)}" y1="0" y2="${AXIS_Y - 12}"/>`);

  svg.setAttribute('viewBox', `0 0 ${width} ${HEIGHT}`);
  svg.innerHTML = parts.join('');
  byId('timeline-span').textContent = start > 0
    ? `(the last ${MAX_SPAN_MS / 1000} s)`
    : `(since the socket was created, ${(now / 1000).toFixed(1)} s ago)`;
}

byId('legend').innerHTML = Object.entries(STATE_COLOURS)
  .map(([state, colour]) => `<i style="background:${colour}"></i>${state}`)
  .join('') +
  '<i style="background:#c9ced8"></i>fault <i style="background:#f6c7a9"></i>wait before a retry';

function render() {
  sampleQueue();
  renderCards();
  renderTimeline();
}
render();
setInterval(render, 200);
