// The page side of the share tests (a browser module: each tab imports it from the static server
// into the harness page, `import('/e2e/share/page-client.js')`, and drives it through
// `window.share`). It creates ResilientWebSocket instances of the share entry with `share`, records
// every event they fire (with the instance's readyState and shareRole at that moment) and every
// message, and sends a numbered sequence ("<prefix>:1", "<prefix>:2", …) on a timer. The Node side
// (helpers.js) compares the records of every tab with what the share server recorded.
//
// A record can also be mirrored, entry by entry as it is made, to a server over a WebSocket of its
// own (the browser's native one, outside the product): a tab that can no longer be read through the
// browser's automation (WebKit deletes the whole WebDriver session once any page's process is
// killed, see support/tab-faults.js) is then still read at the server.
//
// Times are `now()`: wall-clock milliseconds, the clock the share server stamps with.
import { ResilientWebSocket } from '/js/share.js';

export const now = () => performance.timeOrigin + performance.now();

/** Page-wide: uncaught exceptions and unhandled rejections, also sent to every mirror. */
const pageProblems = [];
/** @type {((list: string, entry: unknown) => void)[]} */
const mirrors = [];
const problem = (text) => {
  pageProblems.push(text);
  for (const send of mirrors) send('pageProblems', text);
};
addEventListener('error', (event) => problem(`error: ${event.message}`));
addEventListener('unhandledrejection', (event) => problem(`unhandled rejection: ${event.reason?.stack ?? event.reason}`));

/** pagehide/pageshow of this document, to say what a navigation away did to it. */
const pageEvents = [];
for (const type of ['pagehide', 'pageshow']) {
  addEventListener(type, (event) => pageEvents.push({ type, persisted: event.persisted, at: now() }));
}

const EVENTS = ['open', 'close', 'error', 'reconnecting', 'drop', 'sessionlost', 'sharerole'];

const clients = new Map();

/**
 * An instance named `name` on `url`. `options` go to the constructor as they are (`share` among
 * them); `protocols` is the constructor's second argument.
 * @param {string} name
 * @param {string} url
 * @param {string[]} protocols
 * @param {Record<string, unknown>} options
 */
function create(name, url, protocols, options) {
  const ws = new ResilientWebSocket(url, protocols, options);
  const log = { name, createdAt: now(), events: [], messages: [], sent: [], refused: [] };
  /** @type {(list: string, entry: object) => void} */
  let mirror = () => {};
  /** Adds `entry` to the record's `list` (and to the mirror). */
  const note = (list, entry) => {
    log[list].push(entry);
    mirror(list, entry);
  };
  for (const type of EVENTS) {
    ws.addEventListener(type, (event) => {
      const record = { type, at: now(), readyState: ws.readyState, shareRole: ws.shareRole };
      if (type === 'close') Object.assign(record, { code: event.code, reason: event.reason, wasClean: event.wasClean });
      if (type === 'sharerole') record.role = event.role;
      if (type === 'drop') Object.assign(record, { data: String(event.data), reason: event.reason });
      note('events', record);
    });
  }
  ws.addEventListener('message', (event) => {
    note('messages', { at: now(), data: typeof event.data === 'string' ? event.data : `[${typeof event.data}]` });
  });
  let seq = 0;
  let timer = null;
  const client = {
    ws,
    log,
    /** Sends the next numbered message; one that send() refused is recorded as refused. */
    sendNext(prefix) {
      seq += 1;
      const record = { n: seq, at: now(), readyState: ws.readyState, shareRole: ws.shareRole };
      try {
        ws.send(`${prefix}:${seq}`);
        // What the group has not confirmed yet (acked: what the server has not acknowledged).
        record.bufferedAmount = ws.bufferedAmount;
        note('sent', record);
      } catch (error) {
        note('refused', { ...record, error: `${error.name}: ${error.message}` });
      }
    },
    /** Sends one numbered message every `periodMs` until stop() or `count` have gone. */
    start(prefix, periodMs, count = Infinity) {
      client.stop();
      timer = setInterval(() => {
        client.sendNext(prefix);
        if (seq >= count) client.stop();
      }, periodMs);
    },
    stop() {
      if (timer !== null) clearInterval(timer);
      timer = null;
    },
    /**
     * Mirrors the record to `url`: what it holds so far, then every entry as it is made, each a
     * JSON message `{ list, entry }` (page problems as list `pageProblems`). Resolves once the
     * mirror's socket is open.
     * @param {string} url
     */
    mirrorTo(url) {
      const socket = new WebSocket(url);
      const send = (list, entry) => socket.send(JSON.stringify({ list, entry }));
      return new Promise((resolve, reject) => {
        socket.addEventListener('error', () => reject(new Error(`the mirror to ${url} failed`)));
        socket.addEventListener('open', () => {
          for (const list of ['events', 'messages', 'sent', 'refused']) for (const entry of log[list]) send(list, entry);
          for (const problem of pageProblems) send('pageProblems', problem);
          mirror = (list, entry) => {
            if (socket.readyState === WebSocket.OPEN) send(list, entry);
          };
          mirrors.push(send);
          resolve(undefined);
        });
      });
    },
    /** A JSON-safe copy of the record, with the instance's state now. */
    snapshot() {
      return JSON.parse(
        JSON.stringify({ ...log, readyState: ws.readyState, shareRole: ws.shareRole, sending: timer !== null, pageProblems, pageEvents }),
      );
    },
  };
  clients.set(name, client);
  return client.snapshot();
}

/**
 * Runs `method` of instance `name` with `args`; answers its snapshot.
 * @param {string} name
 * @param {string} method
 * @param {unknown[]} args
 */
async function call(name, method, ...args) {
  const client = clients.get(name);
  if (!client) throw new Error(`no instance ${name} in this tab`);
  if (method === 'snapshot') return client.snapshot();
  if (method === 'close') client.ws.close(...args);
  else await client[method](...args);
  return client.snapshot();
}

window.share = { create, call, now };
