// The page side of the acknowledged-delivery tests and soak: a ResilientWebSocket in acked mode that
// sends a numbered stream ("1", "2", …) and records what it receives, every drop and session loss.
// Loaded into the harness page with `import('/e2e/acked/page-client.js')`; drives `window.acked`.
import { ResilientWebSocket } from '/js/acked.js';

const clients = new Map();

function createClient(name, url, options) {
  const ws = new ResilientWebSocket(url, [], { delivery: 'acked', ...options });
  const record = {
    ws,
    received: [],
    sent: 0,
    drops: [],
    sessionsLost: 0,
    unconfirmed: 0,
    opens: 0,
    closes: [],
    timer: null,
  };
  ws.addEventListener('open', () => {
    record.opens += 1;
  });
  ws.addEventListener('message', (event) => {
    record.received.push(Number(event.data));
  });
  ws.addEventListener('close', (event) => {
    record.closes.push(event.code);
  });
  ws.addEventListener('drop', (event) => {
    record.drops.push({ data: Number(event.data), reason: event.reason });
  });
  ws.addEventListener('sessionlost', (event) => {
    record.sessionsLost += 1;
    record.unconfirmed += event.unconfirmed;
  });
  clients.set(name, record);
}

/** Sends the next number every `periodMs` (send() queues while not OPEN). */
function startSending(name, periodMs) {
  const record = clients.get(name);
  clearInterval(record.timer);
  record.timer = setInterval(() => {
    record.sent += 1;
    record.ws.send(String(record.sent));
  }, periodMs);
}

function stopSending(name) {
  clearInterval(clients.get(name).timer);
}

/** A JSON-safe copy of the record. */
function snapshot(name) {
  const { ws, timer, ...rest } = clients.get(name);
  return {
    ...rest,
    state: ws.connectionState,
    readyState: ws.readyState,
    stats: ws.stats,
    bufferedAmount: ws.bufferedAmount,
  };
}

window.acked = { createClient, startSending, stopSending, snapshot, clients };
