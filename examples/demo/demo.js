// The minimal demo page: one ResilientWebSocket connected to the echo server named by `?ws=`, its
// readyState shown live, and a timeline of every event and call. The timeline is also kept in
// window.demoTimeline, which is what the headless mode reads and checks.
import { ResilientWebSocket } from '/js/index.js';

const STATE_NAMES = ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED'];
const byId = (id) => document.getElementById(id);

const serverUrl = new URLSearchParams(location.search).get('ws');
byId('server').textContent = serverUrl ?? '(missing: add ?ws=ws://host:port/ to the address)';

const timeline = [];
window.demoTimeline = timeline;
const startedAt = performance.now();
const ws = new ResilientWebSocket(serverUrl);

function record(event, detail = '') {
  const entry = { t: Math.round(performance.now() - startedAt), event, detail, readyState: ws.readyState };
  timeline.push(entry);
  const item = document.createElement('li');
  item.textContent =
    `t=+${entry.t}ms ${event} ${detail} (readyState ${entry.readyState} ${STATE_NAMES[entry.readyState]})`;
  byId('log').append(item);
}

// Polled every frame, not only on events, so that a state change without an event still shows.
function showReadyState() {
  byId('state').textContent = `${ws.readyState} ${STATE_NAMES[ws.readyState]}`;
  requestAnimationFrame(showReadyState);
}
showReadyState();

record('new ResilientWebSocket', ws.url);
ws.addEventListener('open', () => record('open'));
ws.addEventListener('message', (event) =>
  record('message', typeof event.data === 'string' ? JSON.stringify(event.data) : `(${event.data.constructor.name})`),
);
ws.addEventListener('error', () => record('error'));
ws.addEventListener('close', (event) =>
  record('close', `code=${event.code} reason=${JSON.stringify(event.reason)} wasClean=${event.wasClean}`),
);

byId('send-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const text = byId('message').value;
  try {
    ws.send(text);
    record('send()', JSON.stringify(text));
  } catch (error) {
    record('send() threw', `${error.name}: ${error.message}`);
  }
});

byId('close').addEventListener('click', () => {
  ws.close(1000, 'closed from the demo page');
  record('close()', 'code=1000');
});
