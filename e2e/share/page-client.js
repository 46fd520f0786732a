// The page side of the share tests (a browser module: each tab imports it from the static server
// into the harness page, `import('/e2e/share/page-client.js')`, and drives it through
// `window.share`). It creates ResilientWebSocket instances of the acked build with `share`, records
// every event they fire (with the instance's readyState and shareRole at that moment) and every
// message, and sends a numbered sequence ("<prefix>:1", "<prefix>:2", …) on a timer. The Node side
// (helpers.js) compares the records of every tab with what the share server recorded.
//
// Times are `now()`: wall-clock milliseconds, the clock the share server stamps with.
import { ResilientWebSocket } from '/js/acked.js';

export const now = () => performance.timeOrigin + performance.now();

/** Page-wide: uncaught exceptions and unhandled rejections. */
const pageProblems = [];
addEventListener('error', (event) => pageProblems.push(`error: ${event.message}`));
addEventListener('unhandledrejection', (event) => pageProblems.push(`unhandled rejection: ${event.reason?.stack ?? event.reason}`));

/** pagehide/pageshow of this document, to say what a navigation away did to it. */
const pageEvents = [];
for (const type of ['pagehide', 'pageshow']) {
  addEventListener(type, (event) => pageEvents.push({ type, persisted: event.persisted, at: now() }));
}

const EVENTS = ['open', 'close', 'error', 'reconnecting', 'drop', 'sharerole'];

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
  for (const type of EVENTS) {
    ws.addEventListener(type, (event) => {
      const record = { type, at: now(), readyState: ws.readyState, shareRole: ws.shareRole };
      if (type === 'close') Object.assign(record, { code: event.code, reason: event.reason, wasClean: event.wasClean });
      if (type === 'sharerole') record.role = event.role;
      if (type === 'drop') Object.assign(record, { data: String(event.data), reason: event.reason });
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
    /** Sends the next numbered message; one that send() refused is recorded as refused. */
    sendNext(prefix) {
      seq += 1;
      const record = { n: seq, at: now(), readyState: ws.readyState, shareRole: ws.shareRole };
      try {
        ws.send(`${prefix}:${seq}`);
        log.sent.push(record);
      } catch (error) {
        log.refused.push({ ...record, error: `${error.name}: ${error.message}` });
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
function call(name, method, ...args) {
  const client = clients.get(name);
  if (!client) throw new Error(`no instance ${name} in this tab`);
  if (method === 'snapshot') return client.snapshot();
  if (method === 'close') client.ws.close(...args);
  else client[method](...args);
  return client.snapshot();
}

window.share = { create, call, now };
