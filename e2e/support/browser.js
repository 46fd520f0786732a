// The browser an end-to-end test runs in: one of three engines, chosen for the whole run by the
// environment variable RWS_ENGINE (`chromium`, the default, `firefox` or `webkit`; scripts/test.sh
// runs the suites once per engine). Every engine is driven behind the subset of Playwright's API
// the tests use: `browser.newContext()`, `newPage()`, `close()`; `context.newPage()`,
// `setOffline()`, `close()`; `page.goto()`, `evaluate(fn, arg)`, `waitForFunction(fn, arg,
// options)`, `click()`, `fill()`, `locator(selector).textContent()`, `on('pageerror' | 'console')`,
// `screenshot()`, `close()`; for the page lifecycle tests also `goBack()` and `bringToFront()`
// (Firefox), and `goBack()`, `reload()`, `minimizeWindow()` and `restoreWindow()` (WebKit, the last
// two not Playwright's). Chromium is Playwright itself (engines/chromium.js); Firefox
// (engines/firefox.js) and WebKit (engines/webkit.js) are adapters. `browser.engine` names the
// engine, for the tests that need what only one has (the DevTools protocol) or that must use
// another fault where an engine cannot emulate one (`EngineUnsupportedError`).
import { launchChromium } from './engines/chromium.js';
import { launchFirefox } from './engines/firefox.js';
import { launchWebKit } from './engines/webkit.js';

export { CHROMIUM_ARGS, CHROMIUM_PATH, launchChromium } from './engines/chromium.js';
import { EngineUnsupportedError } from './engines/webkit.js';

export { EngineUnsupportedError };

export const ENGINES = ['chromium', 'firefox', 'webkit'];

/** The engine of this run. */
export const ENGINE = process.env.RWS_ENGINE || 'chromium';
if (!ENGINES.includes(ENGINE)) {
  throw new Error(`RWS_ENGINE=${ENGINE}: not an engine the tests know (${ENGINES.join(', ')})`);
}

/**
 * The longest a new WebSocket handshake waits in the browser itself after `failures` failed
 * handshakes in a row to the same host, port and path: Firefox delays it as RFC 6455 §7.2.3 allows,
 * 200–400 ms after one failure, ×1.5 after each further one, at most 60 s; a success or 60 s
 * without a failure forgets it (FailDelay in Firefox's netwerk/protocol/websocket/
 * WebSocketChannel.cpp). The socket reads CONNECTING meanwhile and nothing reaches the server.
 * 0 in Chromium and WebKit, which connect at once.
 *
 * What counts as a failure (measured in Firefox ESR 153, native `WebSocket`): a refused upgrade
 * (an HTTP answer other than 101) or a refused TCP connection; an established connection that ended
 * without a close frame (1006: a crash, a terminated or proxy-cut TCP connection); the first
 * handshake abandoned by `close()` before it opened (a later one, with a failure already known, is
 * not counted and leaves the hold where it was). A close frame is not a failure. The hold runs from
 * the failure as the browser saw it, not from the new socket's creation, and the query string is
 * not part of the key: clients told apart by `?client=` share it.
 * @param {number} failures
 */
export function handshakeHoldMs(failures) {
  if (ENGINE !== 'firefox' || failures === 0) return 0;
  return Math.min(60_000, 400 * 1.5 ** (failures - 1));
}

/**
 * The shortest such hold (see `handshakeHoldMs`): 200 ms × 1.5^(failures − 1) in Firefox, 0 in
 * the others. A lower bound that shows the hold happened.
 * @param {number} failures
 */
export function handshakeHoldMinMs(failures) {
  if (ENGINE !== 'firefox' || failures === 0) return 0;
  return Math.min(60_000, 200 * 1.5 ** (failures - 1));
}

/**
 * What the engine's offline emulation (`setNetwork`) does to a WebSocket that is already open
 * (measured): `'held'` in Chromium (no frame passes in either direction until online; what was
 * sent meanwhile goes out then), `'passed'` in Firefox (puppeteer's `setOfflineMode`: the events
 * fire and `navigator.onLine` is false, new connections fail at once, but frames go on passing on
 * an open socket), `'none'` in WebKit (no emulation: only the events are dispatched).
 * @type {'held' | 'passed' | 'none'}
 */
export const OFFLINE_OPEN_SOCKET = ENGINE === 'chromium' ? 'held' : ENGINE === 'firefox' ? 'passed' : 'none';

/**
 * Whether the close event after a server's close frame waits until the server has ended the TCP
 * connection (Chromium, WebKit), or fires as soon as the browser has answered the frame (Firefox,
 * measured: within a millisecond of the frame, from a server that then reads nothing for 200 ms).
 * Where it does not wait, the next connection can start while the server is still reading the old
 * one: a message the page sent on it before the close frame arrived can reach a slow server after
 * messages of the next connection.
 */
export const CLOSE_EVENT_WAITS_FOR_SERVER = ENGINE !== 'firefox';

/**
 * Launches `engine` (one of ENGINES).
 * @param {string} engine
 */
export function launchEngine(engine) {
  if (engine === 'firefox') return launchFirefox();
  if (engine === 'webkit') return launchWebKit();
  if (engine === 'chromium') return launchChromium();
  throw new Error(`${engine}: not an engine the tests know (${ENGINES.join(', ')})`);
}

/** Launches the engine of this run. */
export function launchBrowser() {
  return launchEngine(ENGINE);
}

/**
 * Opens a page whose uncaught exceptions, console errors (failed loads included) and crashes are
 * collected in `errors`, so a test can assert that the page stayed clean. Every page wait is bounded.
 */
export async function openPage(browser) {
  const page = await browser.newPage();
  page.setDefaultTimeout(10_000);
  const errors = [];
  page.on('pageerror', (error) => errors.push(`uncaught exception: ${error.stack ?? error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console.error: ${message.text()}`);
  });
  page.on('crash', () => errors.push('page crashed'));
  return { page, errors };
}

/**
 * Whether an entry of `openPage`'s `errors` is the browser's own report of a WebSocket connection
 * that failed, which every engine makes and which tests that provoke failures expect: Chromium logs
 * "WebSocket connection to 'ws://…' failed: …" as a console error; Firefox reports "Firefox can’t
 * establish a connection to the server at ws://…" (a refused or failed handshake) and "The
 * connection to ws://… was interrupted while the page was loading" (a socket closed while
 * connecting) as uncaught errors. WebKit reports nothing the page can see.
 * @param {string} entry
 */
export function isBrowserConnectionReport(entry) {
  return (
    /^console\.error: WebSocket connection to '[^']*' failed/.test(entry) ||
    /^uncaught exception: Error: Firefox can’t establish a connection to the server at wss?:\/\/\S+\.$/.test(entry) ||
    /^uncaught exception: Error: The connection to wss?:\/\/\S+ was interrupted while the page was loading\.$/.test(entry)
  );
}

/**
 * Takes the browser offline or back online for the page: with the engine's network emulation
 * (`navigator.onLine` follows, `offline`/`online` fire), or, in an engine without one (WebKit),
 * with the closest fault there is: the `offline`/`online` events dispatched on the window, which
 * is what the client reacts to, while `navigator.onLine` stays true. The test's log says which.
 * Returns whether the emulation was real.
 * @param {import('node:test').TestContext} t
 * @param {{ setOffline(offline: boolean): Promise<void> }} context
 * @param {{ evaluate(fn: Function, arg?: unknown): Promise<unknown> }} page
 * @param {boolean} online
 */
export async function setNetwork(t, context, page, online) {
  try {
    await context.setOffline(!online);
    return true;
  } catch (error) {
    if (!(error instanceof EngineUnsupportedError)) throw error;
    t.diagnostic(`${error.message}: '${online ? 'online' : 'offline'}' dispatched on the window instead`);
    await page.evaluate((type) => window.dispatchEvent(new Event(type)), online ? 'online' : 'offline');
    return false;
  }
}

/**
 * Chromium only: the JS heap in use after garbage collection, through the DevTools protocol. One
 * collection may leave garbage that only a later one frees (weak references, finalizers run in
 * between), so this collects until two readings in a row agree, at most 10 times.
 */
export async function heapAfterGc(cdp) {
  let previous = Infinity;
  for (let round = 0; round < 10; round++) {
    await cdp.send('HeapProfiler.collectGarbage');
    const { usedSize } = await cdp.send('Runtime.getHeapUsage');
    if (usedSize === previous) return usedSize;
    previous = usedSize;
  }
  return previous;
}
