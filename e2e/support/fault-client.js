// The page side of the fault tests (a browser module: the page imports it from the static server).
// It creates ResilientWebSocket clients, records every event they fire, sends a numbered sequence
// ("m:1", "m:2", ...) on a timer, and records for every message the state the client was in when
// send() was called: OPEN (handed to the socket at once) or not (queued for replay). The Node side
// (fault-harness.js) compares that record with what the server received.
//
// Times are `now()`: wall-clock milliseconds with sub-millisecond resolution, the same clock the
// chaos server uses, so the two records can be compared.
import { ResilientWebSocket } from '/js/index.js';

export const now = () => performance.timeOrigin + performance.now();

/** Page-wide: uncaught exceptions and unhandled rejections, besides Playwright's own pageerror. */
export const pageProblems = [];
addEventListener('error', (event) => pageProblems.push(`error: ${event.message}`));
addEventListener('unhandledrejection', (event) =>
  pageProblems.push(`unhandled rejection: ${event.reason?.stack ?? event.reason}`),
);

/** Lifecycle events of the page itself, for the visibility and bfcache tests. */
export const pageEvents = [];
for (const type of ['pagehide', 'pageshow']) {
  addEventListener(type, (event) => pageEvents.push({ type, persisted: event.persisted, at: now() }));
}
for (const type of ['visibilitychange', 'freeze', 'resume']) {
  document.addEventListener(type, () => pageEvents.push({ type, visibility: document.visibilityState, at: now() }));
}
for (const type of ['online', 'offline']) {
  addEventListener(type, () => pageEvents.push({ type, onLine: navigator.onLine, at: now() }));
}

const EVENTS = ['open', 'close', 'error', 'reconnecting', 'giveup', 'drop', 'heartbeat', 'statechange'];

export const clients = new Map();

/**
 * A client named `name` (the name is also the chaos server's client id when the URL carries it).
 * Its record: `events` (every event, with readyState and connectionState at that moment), `sockets`
 * (every underlying socket: created `at`, its native close event `closedAt`), `sent`
 * (every numbered message: n, at, readyState at send(), `open` = how many opens had happened, i.e.
 * which connection an OPEN send went to), `refused` (send() threw), `drops`, `messages` (inbound).
 */
export function createClient(name, url, options = {}) {
  const log = {
    name,
    createdAt: now(),
    events: [],
    sent: [],
    refused: [],
    drops: [],
    messages: [],
    opens: 0,
    closes: 0,
    sockets: [],
    handed: [],
  };
  // The browser WebSocket the product drives, seen through the product's own `WebSocket` option:
  // it records when each underlying socket was created and, for every numbered message the
  // product handed to a socket, the native readyState at that moment. A message handed to a native
  // socket that was already CLOSING or CLOSED is discarded by the browser (it only logs "WebSocket
  // is already in CLOSING or CLOSED state."): the product could have known and kept it queued.
  class RecordingWebSocket extends WebSocket {
    constructor(...args) {
      // Stamped on entry: the closest a page can get to the product's own clock reading for the
      // attempt, which happens just before, with no user code in between.
      const at = now();
      super(...args);
      this.socketId = log.sockets.length + 1;
      const record = { id: this.socketId, at, openedAt: null, closedAt: null, code: null, wasClean: null, bufferedAtClose: null };
      log.sockets.push(record);
      this.addEventListener('open', () => {
        record.openedAt = now();
      });
      // Registered before the product's own listener, so it runs first: stamped before the
      // product reads its clock for this close (a lower bound for whatever the close schedules).
      // The native close event as the browser gave it, and what the socket still had unsent then
      // (WebKit reports a close frame's close as unclean when that is not 0).
      this.addEventListener('close', (event) => {
        record.closedAt = now();
        record.code = event.code;
        record.wasClean = event.wasClean;
        record.bufferedAtClose = this.bufferedAmount;
      });
    }
    send(data) {
      if (!(typeof data === 'string' && data.startsWith('m:'))) return super.send(data);
      // The state the product saw, then the send, then the stamp: a stamp no earlier than the
      // send itself, so that "handed over after the server's close frame" can never be missed by a
      // stamp taken before a delay (the harness compares it with the server's close).
      const native = this.readyState;
      const result = super.send(data);
      log.handed.push({ data, at: now(), socket: this.socketId, open: log.opens, native });
      return result;
    }
  }
  const ws = new ResilientWebSocket(url, [], { WebSocket: RecordingWebSocket, ...options });
  for (const type of EVENTS) {
    ws.addEventListener(type, (event) => {
      const record = { type, at: now(), readyState: ws.readyState, state: ws.connectionState };
      switch (type) {
        case 'open':
          log.opens += 1;
          record.open = log.opens;
          break;
        case 'close':
          log.closes += 1;
          Object.assign(record, { code: event.code, reason: event.reason, wasClean: event.wasClean });
          break;
        case 'reconnecting':
          Object.assign(record, { attempt: event.attempt, delay: event.delay });
          break;
        case 'drop':
          Object.assign(record, { data: String(event.data), reason: event.reason });
          log.drops.push(record);
          break;
        case 'heartbeat':
          record.rtt = event.rtt;
          break;
        case 'statechange':
          Object.assign(record, { from: event.from, to: event.to });
          break;
        default:
      }
      log.events.push(record);
    });
  }
  ws.addEventListener('message', (event) => {
    log.messages.push({ at: now(), data: typeof event.data === 'string' ? event.data : `[${typeof event.data}]` });
  });

  let seq = 0;
  let timer = null;
  const client = {
    ws,
    log,
    /** Sends the next numbered message and records how it was handed over. */
    sendNext() {
      seq += 1;
      const data = `m:${seq}`;
      const readyState = ws.readyState;
      const record = { n: seq, data, at: now(), readyState, state: ws.connectionState, open: log.opens };
      const handedBefore = log.handed.length;
      try {
        ws.send(data);
        // Direct: handed to a socket within send(). Not the same as readyState OPEN: once the
        // server has started closing, the product keeps OPEN's messages queued for the next one.
        record.direct = log.handed.length > handedBefore;
        log.sent.push(record);
      } catch (error) {
        log.refused.push({ ...record, error: error.name });
      }
      return seq;
    },
    /** Sends one numbered message every `periodMs` until stopSending(). */
    startSending(periodMs = 20) {
      client.stopSending();
      timer = setInterval(() => client.sendNext(), periodMs);
    },
    /** Sends `count` numbered messages from inside every `type` event of the client. */
    sendOn(type, count = 1) {
      ws.addEventListener(type, () => {
        for (let i = 0; i < count; i += 1) client.sendNext();
      });
    },
    stopSending() {
      if (timer !== null) clearInterval(timer);
      timer = null;
    },
    /** A JSON-safe copy of the record. */
    snapshot() {
      return JSON.parse(JSON.stringify({
        ...log,
        readyState: ws.readyState,
        state: ws.connectionState,
        stats: ws.stats,
        pageProblems,
        pageEvents,
      }));
    },
  };
  clients.set(name, client);
  return client;
}

/**
 * Headless Chromium reports every page as visible whatever happens to its window or tab (see the
 * lifecycle test), so the visibility tests set `document.hidden` / `visibilityState` on the document
 * instance and fire a real `visibilitychange` event: what the product reads and listens to.
 */
export function emulateVisibility(hidden) {
  Object.defineProperty(document, 'hidden', { configurable: true, get: () => hidden });
  Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (hidden ? 'hidden' : 'visible') });
  document.dispatchEvent(new Event('visibilitychange'));
}

window.faults = { createClient, clients, now, pageProblems, pageEvents, emulateVisibility };
