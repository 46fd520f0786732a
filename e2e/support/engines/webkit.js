// WebKitGTK (Safari's engine, from Debian's webkit2gtk-driver) driven over W3C WebDriver with
// plain fetch, behind the subset of Playwright's API that the end-to-end tests use
// (support/browser.js says which). Its MiniBrowser has no headless mode: the tests run under
// `xvfb-run -a` (scripts/test.sh does it), and without a display this refuses to start rather
// than hang.
//
// What WebDriver classic cannot give, and what is done instead:
// - One session per WebKitWebDriver process ("Maximum number of active sessions"), and a session
//   costs a MiniBrowser start (about 3 s here). A context is therefore a set of windows of the one
//   session: its pages share cookies and storage with other contexts' pages (the tests use
//   neither), and closing it closes its windows.
// - No console or error events: every page gets the recorder of recorder.js, installed after each
//   navigation (errors during a page's own load are not seen), and drained after every call.
// - No offline emulation and no crash events: `setOffline` throws an `EngineUnsupportedError`,
//   which a test catches to use the closest real fault instead (support/browser.js, setNetwork).
//   No init scripts either: a test that needs a script before the page's own has the static
//   server put it in the page (servers.js, headScript).
// Beyond Playwright's subset: `goBack()` and `reload()` (as Playwright's), and `minimizeWindow()` /
// `restoreWindow()`, which really hide and show the page, for the page lifecycle tests.
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { freePort } from '../nginx.js';
import { decodeResult, encodeArgument, runInPage, sourceOf } from './page-calls.js';
import { deliverRecorded, installRecorder } from './recorder.js';

export const WEBKIT_DRIVER_PATH = '/usr/bin/WebKitWebDriver';
export const MINIBROWSER_PATH = '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';

/** Thrown for what this engine cannot do; tests name it when they fall back to another fault. */
export class EngineUnsupportedError extends Error {
  name = 'EngineUnsupportedError';
}

// WebDriver's execute/async hands the script its arguments and a callback; page-calls.js's
// runInPage does the rest.
const EXECUTE = `const [source, argJson, done] = arguments; (${runInPage.toString()})(source, argJson).then(done);`;

/** @param {{ timeout?: number }} [options] */
export async function launchWebKit({ timeout = 30_000 } = {}) {
  if (!process.env.DISPLAY) {
    throw new Error('WebKit needs a display: run the tests under xvfb-run -a (MiniBrowser has no headless mode)');
  }
  const port = await freePort();
  const driver = spawn(WEBKIT_DRIVER_PATH, [`--port=${port}`, '--host=127.0.0.1'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  driver.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise((resolve) => driver.once('exit', resolve));
  const client = new WebDriverClient(`http://127.0.0.1:${port}`);
  const deadline = Date.now() + timeout;
  for (;;) {
    try {
      await client.call('GET', '/status');
      break;
    } catch (error) {
      if (driver.exitCode !== null || Date.now() > deadline) {
        driver.kill('SIGKILL');
        throw new Error(`WebKitWebDriver did not start: ${error}; its output: ${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  const session = await client.call('POST', '/session', {
    capabilities: {
      alwaysMatch: {
        browserName: 'MiniBrowser',
        'webkitgtk:browserOptions': { binary: MINIBROWSER_PATH, args: ['--automation'] },
      },
    },
  });
  const browser = new WebKitBrowser(client, session.sessionId, driver, exited);
  await browser.command('POST', '/timeouts', { script: 600_000, pageLoad: timeout });
  browser.initialWindow = await browser.command('GET', '/window');
  return browser;
}

class WebDriverClient {
  /** @param {string} base */
  constructor(base) {
    this.base = base;
  }

  /**
   * @param {string} method
   * @param {string} path
   * @param {unknown} [body]
   */
  async call(method, path, body) {
    const response = await fetch(this.base + path, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const { value } = await response.json();
    if (!response.ok) throw new Error(`WebDriver ${method} ${path}: ${value?.error}: ${value?.message}`);
    return value;
  }
}

class WebKitBrowser {
  engine = 'webkit';
  /** @type {string | null} the first window, kept open so that the session outlives every page */
  initialWindow = null;
  /** The window commands currently go to. */
  current = '';
  /** WebDriver runs one command of a session at a time; so do we, so that each reaches its window. */
  queue = Promise.resolve();

  /**
   * @param {WebDriverClient} client
   * @param {string} sessionId
   * @param {import('node:child_process').ChildProcess} driver
   * @param {Promise<unknown>} exited
   */
  constructor(client, sessionId, driver, exited) {
    this.client = client;
    this.sessionId = sessionId;
    this.driver = driver;
    this.exited = exited;
  }

  /**
   * A session command, in order after every earlier one.
   * @param {string} method
   * @param {string} path
   * @param {unknown} [body]
   */
  command(method, path, body) {
    // From the first window, which stays open: the one current before may have been closed.
    return this.inWindow(this.initialWindow, () => this.client.call(method, `/session/${this.sessionId}${path}`, body));
  }

  /**
   * Runs `work` with `handle` as the current window (or whatever is current, for null: before
   * the first window is known).
   * @template T
   * @param {string | null} handle
   * @param {() => Promise<T>} work
   * @returns {Promise<T>}
   */
  inWindow(handle, work) {
    const run = async () => {
      if (handle !== null && handle !== this.current) {
        await this.client.call('POST', `/session/${this.sessionId}/window`, { handle });
        this.current = handle;
      }
      return work();
    };
    const result = this.queue.then(run, run);
    this.queue = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  async newContext() {
    return new WebKitContext(this);
  }

  async newPage() {
    const context = await this.newContext();
    const page = await context.newPage();
    page.ownsContext = true;
    return page;
  }

  async version() {
    return 'WebKitGTK';
  }

  async close() {
    try {
      await this.client.call('DELETE', `/session/${this.sessionId}`);
    } finally {
      this.driver.kill();
      await this.exited;
    }
  }
}

class WebKitContext {
  /** @type {Set<WebKitPage>} */
  pages = new Set();

  /** @param {WebKitBrowser} browser */
  constructor(browser) {
    this.browser = browser;
  }

  async newPage() {
    // A window, not a tab: a tab opened behind the current one is hidden (visibilityState), and
    // the product treats a hidden page differently (heartbeat deadlines, page lifecycle).
    const { handle } = await this.browser.command('POST', '/window/new', { type: 'window' });
    const page = new WebKitPage(this.browser, this, handle);
    this.pages.add(page);
    return page;
  }

  /** @param {boolean} _offline */
  async setOffline(_offline) {
    throw new EngineUnsupportedError('WebKit has no offline emulation (WebDriver classic, WebKitGTK 2.50)');
  }

  async close() {
    await Promise.all([...this.pages].map((page) => page.close()));
  }
}

class WebKitPage {
  ownsContext = false;
  defaultTimeout = 30_000;
  closed = false;
  /** @type {Map<string, Set<(...args: any[]) => void>>} */
  listeners = new Map();

  /**
   * @param {WebKitBrowser} browser
   * @param {WebKitContext} context
   * @param {string} handle
   */
  constructor(browser, context, handle) {
    this.browser = browser;
    this.owner = context;
    this.handle = handle;
  }

  context() {
    return this.owner;
  }

  /** @param {number} ms */
  setDefaultTimeout(ms) {
    this.defaultTimeout = ms;
  }

  /**
   * `pageerror` and `console`, from the page's recorder; WebDriver reports no `crash` (a crashed
   * page fails the next call instead).
   * @param {'pageerror' | 'console' | 'crash'} event
   * @param {(...args: any[]) => void} listener
   */
  on(event, listener) {
    if (event === 'crash') return;
    if (!this.listeners.has(event)) this.listeners.set(event, new Set());
    this.listeners.get(event)?.add(listener);
  }

  /**
   * @param {string} path
   * @param {unknown} [body]
   * @param {string} [method]
   */
  call(path, body, method = 'POST') {
    return this.browser.inWindow(this.handle, () =>
      this.browser.client.call(method, `/session/${this.browser.sessionId}${path}`, body),
    );
  }

  /**
   * Navigates and waits for the load event (WebDriver's page load strategy `normal`).
   * @param {string} url
   */
  async goto(url) {
    await this.call('/url', { url });
    await this.evaluate(installRecorder);
  }

  /**
   * @param {Function | string} fn
   * @param {unknown} [arg]
   */
  async evaluate(fn, arg) {
    const answer = await this.call('/execute/async', { script: EXECUTE, args: [sourceOf(fn), encodeArgument(arg)] });
    deliverRecorded(this.listeners, answer.recorded);
    if (answer.error !== undefined) throw new Error(`page.evaluate: ${answer.error}`);
    return decodeResult(answer.ok);
  }

  /**
   * Polls `fn(arg)` in the page every animation frame until it is truthy; resolves to a handle
   * whose `jsonValue()` is that value, as Playwright's does.
   * @param {Function} fn
   * @param {unknown} [arg]
   * @param {{ timeout?: number }} [options]
   */
  async waitForFunction(fn, arg, { timeout = this.defaultTimeout } = {}) {
    const value = await this.evaluate(
      ([source, value, ms]) =>
        new Promise((resolve, reject) => {
          const predicate = (0, eval)(`(${source})`);
          const started = performance.now();
          const check = () => {
            const result = predicate(value);
            if (result) return resolve(result);
            if (performance.now() - started > ms) return reject(new Error(`waitForFunction: not true within ${ms} ms`));
            requestAnimationFrame(check);
          };
          check();
        }),
      [fn.toString(), arg, timeout],
    );
    return { jsonValue: async () => value };
  }

  /**
   * Back one entry in the session history (WebDriver's Back), then the recorder, which a page
   * restored from the back/forward cache still has and a page loaded anew does not. WebDriver
   * waits for the load of a page loaded anew; a restored page fires none, and Back returns at once
   * (measured), as Playwright's `waitUntil: 'commit'` does.
   * @param {{ waitUntil?: string }} [_options]
   */
  async goBack(_options) {
    await this.call('/back', {});
    await this.evaluate(installRecorder);
  }

  /** Reloads the page (WebDriver's Refresh, which waits for the load), then the recorder. */
  async reload() {
    await this.call('/refresh', {});
    await this.evaluate(installRecorder);
  }

  /**
   * Minimizes the page's window (WebDriver's Minimize Window): the page turns `hidden` and fires
   * `visibilitychange` (measured under Xvfb). `restoreWindow()` gives it its size back, and
   * `visible`. Not in Playwright's API: the lifecycle tests use it where the engine has it.
   */
  async minimizeWindow() {
    this.restoredRect = await this.call('/window/rect', undefined, 'GET');
    await this.call('/window/minimize', {});
  }

  async restoreWindow() {
    const { width, height } = this.restoredRect ?? { width: 1024, height: 768 };
    await this.call('/window/rect', { width, height });
  }

  /** @param {string} selector */
  async element(selector) {
    const found = await this.call('/element', { using: 'css selector', value: selector });
    return Object.values(found)[0];
  }

  /** @param {string} selector */
  async click(selector) {
    await this.call(`/element/${await this.element(selector)}/click`, {});
    await this.evaluate(() => undefined); // hands over what the click made the page record
  }

  /**
   * @param {string} selector
   * @param {string} value
   */
  async fill(selector, value) {
    const id = await this.element(selector);
    await this.call(`/element/${id}/clear`, {});
    await this.call(`/element/${id}/value`, { text: value });
  }

  /** @param {string} selector */
  locator(selector) {
    return {
      textContent: () => this.evaluate((s) => document.querySelector(s)?.textContent ?? null, selector),
    };
  }

  /** @param {{ width: number, height: number }} size */
  setViewportSize({ width, height }) {
    return this.call('/window/rect', { width, height });
  }

  /** @param {{ path: string }} options */
  async screenshot({ path }) {
    const png = await this.call('/screenshot', undefined, 'GET');
    await writeFile(path, Buffer.from(png, 'base64'));
  }

  async close() {
    if (this.closed) return;
    this.closed = true;
    this.owner.pages.delete(this);
    await this.call('/window', undefined, 'DELETE');
    this.browser.current = '';
  }
}
