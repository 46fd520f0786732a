// Shared setup of the API suite: one Chromium per test file, and per test a static server, an echo
// server (options as in servers.js) and a fresh harness page with the package imported as
// `window.RWS` (the class) and `window.rws` (the module, for the event classes).
import assert from 'node:assert/strict';
import { test as nodeTest } from 'node:test';
import { isBrowserConnectionReport, openPage } from '../support/browser.js';
import { startEchoServer, startStaticServer } from '../support/servers.js';

/** node:test's `test` with a time limit, so that a missed event fails the test instead of hanging. */
export function test(name, fn) {
  return nodeTest(name, { timeout: 30_000 }, fn);
}

export { setNetwork } from '../support/browser.js';
export { useBrowser } from '../support/fixtures.js';

/**
 * Starts the servers and opens the page for test `t`; everything is stopped when the test ends.
 * @returns {Promise<{ page: import('playwright-core').Page, errors: string[], echo: any, http: any,
 *   context: import('playwright-core').BrowserContext }>}
 */
export async function setup(t, shared, echoOptions = {}) {
  const http = await startStaticServer();
  const echo = await startEchoServer(echoOptions);
  // A context per test: setOffline and the page's state cannot leak into the next test.
  const context = await shared.browser.newContext();
  const { page, errors } = await openPage(context);
  t.after(async () => {
    await context.close();
    await echo.stop();
    await http.stop();
  });
  await page.goto(`${http.url}/e2e/pages/harness.html`);
  await page.evaluate(async () => {
    const module = await import('/js/index.js');
    window.rws = module;
    window.RWS = module.ResilientWebSocket;
    // One line per event, with the readyState at dispatch: compact to compare as a sequence.
    window.describe = (event) => {
      const rs = `rs=${event.target.readyState}`;
      const data = (d) =>
        typeof d === 'string'
          ? JSON.stringify(d)
          : d instanceof ArrayBuffer
            ? `ArrayBuffer(${d.byteLength})`
            : d instanceof Blob
              ? `Blob(${d.size})`
              : ArrayBuffer.isView(d)
                ? `${d.constructor.name}(${d.byteLength})`
                : String(d);
      switch (event.type) {
        case 'message':
          return `message ${data(event.data)} ${rs}`;
        case 'close':
          return `close ${event.code} ${JSON.stringify(event.reason)} ${event.wasClean ? 'clean' : 'unclean'} ${rs}`;
        case 'statechange':
          return `statechange ${event.from}->${event.to} ${rs}`;
        case 'reconnecting':
          return `reconnecting attempt=${event.attempt} delay=${event.delay} ${rs}`;
        case 'drop':
          return `drop ${data(event.data)} ${event.reason}`;
        case 'heartbeat':
          return `heartbeat`;
        default:
          return `${event.type} ${rs}`;
      }
    };
    window.record = (target, types) => {
      const log = [];
      for (const type of types) target.addEventListener(type, (event) => log.push(window.describe(event)));
      return log;
    };
    // A WebSocket option that records the inbound traffic as the client sees it: for the open and
    // every message, the native event's timeStamp (the time the client takes as the traffic's)
    // and when the page got to run it (a listener registered before the client's own).
    window.trafficSocket = () => {
      const traffic = [];
      class TrafficWebSocket extends WebSocket {
        constructor(...args) {
          super(...args);
          for (const type of ['open', 'message']) {
            this.addEventListener(type, (event) => traffic.push({ ts: event.timeStamp, at: performance.now() }));
          }
        }
      }
      return { WebSocket: TrafficWebSocket, traffic };
    };
    window.ALL_EVENTS = ['open', 'message', 'error', 'close', 'statechange', 'reconnecting', 'giveup', 'drop', 'heartbeat'];
    // What a call did: 'ok', or the name of what it threw, marked when it is a DOMException (the
    // native WebSocket throws DOMExceptions for state and argument errors, TypeErrors otherwise).
    window.attempt = (fn) => {
      try {
        fn();
        return 'ok';
      } catch (error) {
        return `${error.name}${error instanceof DOMException ? ' (DOMException)' : ''}`;
      }
    };
  });
  return { page, errors, echo, http, context };
}

/**
 * Asserts that the page raised no error. Every engine but WebKit reports each failed WebSocket
 * handshake to the page's console or as an error (`isBrowserConnectionReport`); a test that provokes
 * failed attempts passes `{ failedConnections: true }` to accept those reports, and only those.
 */
export function assertNoPageErrors(errors, { failedConnections = false } = {}) {
  const relevant = failedConnections ? errors.filter((e) => !isBrowserConnectionReport(e)) : errors;
  assert.deepEqual(relevant, [], 'the page raised no errors');
}

/**
 * The longest the client can have gone without inbound traffic between the first and the last
 * entry of `traffic` (from `window.trafficSocket`): from one entry's timeStamp until the page ran
 * the next. A heartbeat timer firing in between saw at most that much silence, however late the
 * machine let the page run.
 */
export function longestSilence(traffic) {
  let longest = 0;
  for (let i = 1; i < traffic.length; i++) longest = Math.max(longest, traffic[i].at - traffic[i - 1].ts);
  return longest;
}

/** Resolves after `ms` milliseconds (only for "nothing happens within" checks, never to synchronise). */
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
