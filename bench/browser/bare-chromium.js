// Chromium for the benchmark, driven over the DevTools protocol directly, with no protocol domain
// enabled but the few the measures ask for.
//
// Why not playwright-core, as the tests do: it enables the DevTools Network domain on every page,
// and Chromium then reports every WebSocket frame, payload included, to the driver. Measured on
// this machine, for 20,000 messages received by the native WebSocket: 64 B, 2.8 s instead of
// 0.64 s; 16 KB, 9.2 s instead of 3.4 s. That cost is the same for every contender, so it both
// stretched the run and flattened every throughput ratio toward 1.
//
// The surface is the small part of Playwright's that bench/browser/run.js uses, with the same
// meaning: `browser.newPage()` opens a page in a browser context of its own (its own renderer
// process and heap), `context.newPage()` one in a shared context, `context.setOffline()` emulates
// the network going away for that context's pages (the page sees navigator.onLine and the
// `offline`/`online` events), `page.evaluate(fn, arg)` runs `fn(arg)` and returns its
// JSON-serialisable result, `page.send()` is a raw protocol command on the page's own session.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../e2e/support/browser.js';

/**
 * Besides the flags every browser layer of the repository uses: each contender's page is a tab of
 * its own, and only one tab is in front, so Chromium would otherwise throttle the timers of the
 * others (a send loop that yields to a timer would crawl) and lower their renderers' priority.
 */
const BENCH_ARGS = [
  '--disable-background-timer-throttling',
  '--disable-backgrounding-occluded-windows',
  '--disable-renderer-backgrounding',
  '--remote-debugging-pipe',
];

/** Launches Chromium; `close()` ends it and removes its profile. */
export async function launchBareChromium() {
  const profile = await mkdtemp(path.join(os.tmpdir(), 'rws-bench-chromium-'));
  // The protocol runs over file descriptors 3 (to Chromium) and 4 (from it), one JSON message per
  // NUL-terminated chunk.
  const child = spawn(CHROMIUM_PATH, [...CHROMIUM_ARGS, ...BENCH_ARGS, `--user-data-dir=${profile}`, 'about:blank'], {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const connection = new Connection(child.stdio[3], child.stdio[4]);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  exited.then((code) => connection.fail(new Error(`Chromium exited (${code}); its last output:\n${stderr}`)));

  const { product } = await connection.send('Browser.getVersion');
  const pages = new Map();
  connection.onEvent = (message) => pages.get(message.sessionId)?.dispatch(message);

  async function openPage(browserContextId, ownsContext) {
    const { targetId } = await connection.send('Target.createTarget', { url: 'about:blank', browserContextId });
    const { sessionId } = await connection.send('Target.attachToTarget', { targetId, flatten: true });
    const page = new Page(connection, sessionId, async () => {
      pages.delete(sessionId);
      await connection.send('Target.closeTarget', { targetId });
      if (ownsContext) await connection.send('Target.disposeBrowserContext', { browserContextId });
    });
    pages.set(sessionId, page);
    // Runtime for uncaught exceptions (the `pageerror` listeners), Inspector for crashes.
    await page.send('Runtime.enable');
    await page.send('Inspector.enable');
    return page;
  }

  async function createContext() {
    const { browserContextId } = await connection.send('Target.createBrowserContext', { disposeOnDetach: true });
    return browserContextId;
  }

  return {
    version: () => product.replace(/^[^/]*\//, ''),
    async newPage() {
      return openPage(await createContext(), true);
    },
    async newContext() {
      const browserContextId = await createContext();
      const mine = new Set();
      return {
        async newPage() {
          const page = await openPage(browserContextId, false);
          mine.add(page);
          return page;
        },
        async setOffline(offline) {
          // Chromium applies the emulation (refusing connections, not only firing the events)
          // only on pages whose Network domain is on: the pages of this context, none other.
          const open = [...mine].filter((page) => !page.closed);
          await Promise.all(open.map((page) => page.send('Network.enable')));
          await Promise.all(
            open.map((page) => page.send('Network.emulateNetworkConditions', { offline, latency: 0, downloadThroughput: -1, uploadThroughput: -1 })),
          );
        },
        async close() {
          for (const page of mine) await page.close();
          await connection.send('Target.disposeBrowserContext', { browserContextId });
        },
      };
    },
    async close() {
      await connection.send('Browser.close').catch(() => {});
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** One protocol connection over a pair of pipes: commands with ids, events to `onEvent`. */
class Connection {
  constructor(writable, readable) {
    this.writable = writable;
    this.nextId = 1;
    this.pending = new Map();
    this.failure = null;
    this.onEvent = () => {};
    let buffered = '';
    readable.setEncoding('utf8');
    readable.on('data', (chunk) => {
      buffered += chunk;
      let end;
      while ((end = buffered.indexOf('\0')) !== -1) {
        const message = JSON.parse(buffered.slice(0, end));
        buffered = buffered.slice(end + 1);
        this.receive(message);
      }
    });
  }

  receive(message) {
    if (message.id === undefined) {
      this.onEvent(message);
      return;
    }
    const pending = this.pending.get(message.id);
    if (!pending) return;
    this.pending.delete(message.id);
    if (message.error) pending.reject(new Error(`${pending.method}: ${message.error.message}`));
    else pending.resolve(message.result);
  }

  send(method, params = {}, sessionId = undefined) {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { method, resolve, reject });
      this.writable.write(`${JSON.stringify({ id, method, params, sessionId })}\0`);
    });
  }

  fail(error) {
    this.failure = error;
    for (const { reject } of this.pending.values()) reject(error);
    this.pending.clear();
  }
}

class Page {
  constructor(connection, sessionId, close) {
    this.connection = connection;
    this.sessionId = sessionId;
    this.closeTarget = close;
    this.closed = false;
    this.listeners = { pageerror: [], crash: [] };
    /** Protocol events awaited by `nextEvent()`, by method. */
    this.waiters = new Map();
    this.timeoutMs = 30_000;
  }

  /** A protocol command on this page's session. */
  send(method, params = {}) {
    if (this.closed) return Promise.reject(new Error(`${method}: the page is closed`));
    return this.connection.send(method, params, this.sessionId);
  }

  dispatch({ method, params }) {
    const waiters = this.waiters.get(method);
    this.waiters.delete(method);
    for (const resolve of waiters ?? []) resolve(params);
    if (method === 'Runtime.exceptionThrown') {
      const details = params.exceptionDetails;
      const error = new Error(details.exception?.description ?? details.text);
      for (const listener of this.listeners.pageerror) listener(error);
    } else if (method === 'Inspector.targetCrashed') {
      for (const listener of this.listeners.crash) listener();
    }
  }

  on(event, listener) {
    this.listeners[event].push(listener);
  }

  setDefaultTimeout(ms) {
    this.timeoutMs = ms;
  }

  /** The next protocol event `method` of this page. */
  nextEvent(method) {
    return new Promise((resolve) => {
      if (!this.waiters.has(method)) this.waiters.set(method, []);
      this.waiters.get(method).push(resolve);
    });
  }

  /** Navigates and waits for the page's `load` event. */
  async goto(url) {
    await this.send('Page.enable');
    const loaded = this.nextEvent('Page.loadEventFired');
    const { errorText } = await this.send('Page.navigate', { url });
    if (errorText) throw new Error(`goto ${url}: ${errorText}`);
    await loaded;
    await this.send('Page.disable');
  }

  /** `fn(arg)` in the page (awaited if it returns a promise); its result by value. */
  async evaluate(fn, arg) {
    const expression = `(${fn})(${literal(arg)})`;
    const { result, exceptionDetails } = await this.send('Runtime.evaluate', {
      expression,
      awaitPromise: true,
      returnByValue: true,
    });
    if (exceptionDetails) {
      throw new Error(exceptionDetails.exception?.description ?? exceptionDetails.text);
    }
    // Infinity, NaN and -0 come back as their name, as JSON has no place for them.
    return 'unserializableValue' in result ? Number(result.unserializableValue) : result.value;
  }

  /** Polls `fn()` every 20 ms until it returns something truthy. */
  async waitForFunction(fn) {
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      const value = await this.evaluate(fn);
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`waitForFunction ${fn}: not within ${this.timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async close() {
    if (this.closed) return;
    this.closed = true;
    await this.closeTarget();
  }
}

/**
 * `value` as JavaScript source: JSON, except that Infinity, NaN, -0 and undefined (the options of
 * a measure use Infinity) survive, as they do through Playwright.
 */
function literal(value) {
  if (value === undefined) return 'undefined';
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (Array.isArray(value)) return `[${value.map(literal).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value).map(([key, item]) => `${JSON.stringify(key)}:${literal(item)}`).join(',')}}`;
  }
  if (typeof value === 'function' || typeof value === 'symbol' || typeof value === 'bigint') {
    throw new TypeError(`evaluate: a ${typeof value} cannot be passed to the page`);
  }
  return JSON.stringify(value);
}
