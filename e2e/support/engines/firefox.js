// Debian's Firefox ESR driven by puppeteer-core over WebDriver BiDi, behind the subset of
// Playwright's API that the end-to-end tests use (support/browser.js says which). playwright-core
// cannot drive it: Playwright's Firefox is a patched build that it would download. puppeteer-core
// 24 is the last major that runs on Node 20; it never downloads a browser. Page errors come from
// the page's own recorder (recorder.js), installed before each document's scripts: BiDi's log does
// not report errors handed to reportError(). Beyond that subset: `goBack()` and `bringToFront()` (as
// Playwright's), for the page lifecycle tests; every tab of the browser shares one window, so
// opening a page (in any context) hides the one that was in front, unless it is opened in a window
// of its own (`context.newPage({ window: true })`).
import puppeteer from 'puppeteer-core';
import { decodeResult, encodeArgument, runInPage, sourceOf } from './page-calls.js';
import { deliverRecorded, drainRecorded, installRecorder } from './recorder.js';

export const FIREFOX_PATH = '/usr/bin/firefox-esr';

/**
 * @param {{ timeout?: number, prefs?: Record<string, unknown> }} [options] `prefs`: more Firefox
 *   preferences, beside (and over) the ones below.
 */
export async function launchFirefox({ timeout = 30_000, prefs = {} } = {}) {
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX_PATH,
    headless: true,
    timeout,
    // The machine has no network but loopback: no update checks, telemetry or captive-portal
    // probes, whose failures would otherwise show up in the console.
    extraPrefsFirefox: {
      'app.update.enabled': false,
      'network.captive-portal-service.enabled': false,
      'network.connectivity-service.enabled': false,
      'datareporting.policy.dataSubmissionEnabled': false,
      'toolkit.telemetry.enabled': false,
      ...prefs,
    },
  });
  return new FirefoxBrowser(browser);
}

class FirefoxBrowser {
  engine = 'firefox';
  /** @param {import('puppeteer-core').Browser} browser */
  constructor(browser) {
    this.browser = browser;
  }

  async newContext() {
    return new FirefoxContext(await this.browser.createBrowserContext());
  }

  /** A page in a context of its own, as Playwright's `browser.newPage()` gives. */
  async newPage() {
    const context = await this.newContext();
    const page = await context.newPage();
    page.ownsContext = true;
    return page;
  }

  version() {
    return this.browser.version();
  }

  close() {
    return this.browser.close();
  }
}

class FirefoxContext {
  /** @type {Set<FirefoxPage>} */
  pages = new Set();
  offline = false;

  /** @param {import('puppeteer-core').BrowserContext} context */
  constructor(context) {
    this.context = context;
  }

  /**
   * @param {{ window?: boolean }} [options] `window`: the page in a window of its own (BiDi's
   *   `browsingContext.create` type `window`) instead of a tab of the shared one, so that it stays
   *   `visible` when another page opens (the multi-tab tests keep every page visible, as
   *   Chromium's and WebKit's pages are).
   */
  async newPage({ window = false } = {}) {
    const page = new FirefoxPage(await this.context.newPage(window ? { type: 'window' } : undefined), this);
    await page.page.evaluateOnNewDocument(installRecorder);
    this.pages.add(page);
    if (this.offline) await page.page.setOfflineMode(true);
    return page;
  }

  /**
   * Playwright's `context.setOffline`: BiDi emulates the network per page, so every page of the
   * context, and every page opened later, follows. `navigator.onLine` changes and `online` and
   * `offline` fire, as in Chromium.
   * @param {boolean} offline
   */
  async setOffline(offline) {
    this.offline = offline;
    await Promise.all([...this.pages].map((page) => page.page.setOfflineMode(offline)));
  }

  close() {
    return this.context.close();
  }
}

class FirefoxPage {
  ownsContext = false;
  defaultTimeout = 30_000;
  /** @type {Map<string, Set<(...args: any[]) => void>>} `pageerror` and `console` listeners */
  listeners = new Map();

  /**
   * @param {import('puppeteer-core').Page} page
   * @param {FirefoxContext} context
   */
  constructor(page, context) {
    this.page = page;
    this.owner = context;
  }

  context() {
    return this.owner;
  }

  /** @param {number} ms */
  setDefaultTimeout(ms) {
    this.defaultTimeout = ms;
    this.page.setDefaultTimeout(ms);
  }

  /**
   * `pageerror` (an Error) and `console` (a message with `type()` and `text()`), from the
   * recorder; Firefox reports no `crash` (a crashed page fails the next call instead).
   * @param {'pageerror' | 'console' | 'crash'} event
   * @param {(...args: any[]) => void} listener
   */
  on(event, listener) {
    if (event === 'crash') return;
    if (!this.listeners.has(event)) this.listeners.set(event, new Set());
    this.listeners.get(event)?.add(listener);
  }

  /** Hands what the page recorded to the listeners. */
  async deliver() {
    deliverRecorded(this.listeners, await this.page.evaluate(drainRecorded));
  }

  /**
   * @param {string} url
   * @param {{ waitUntil?: string }} [options] Playwright's 'commit' has no BiDi counterpart:
   *   it waits for the document to be interactive instead.
   */
  goto(url, { waitUntil = 'load' } = {}) {
    return this.page.goto(url, { waitUntil: waitUntil === 'commit' ? 'domcontentloaded' : /** @type {any} */ (waitUntil) });
  }

  /**
   * @param {Function | string} fn
   * @param {unknown} [arg]
   */
  async evaluate(fn, arg) {
    const answer = await this.page.evaluate(runInPage, sourceOf(fn), encodeArgument(arg));
    deliverRecorded(this.listeners, answer.recorded);
    if (answer.error !== undefined) throw new Error(`page.evaluate: ${answer.error}`);
    return decodeResult(/** @type {string} */ (answer.ok));
  }

  /**
   * Playwright's argument order: the function's argument, then the options.
   * @param {Function} fn
   * @param {unknown} [arg]
   * @param {{ timeout?: number }} [options]
   */
  async waitForFunction(fn, arg, { timeout = this.defaultTimeout } = {}) {
    try {
      return await this.page.waitForFunction(/** @type {any} */ (fn), { timeout, polling: 'raf' }, arg);
    } finally {
      await this.deliver();
    }
  }

  /**
   * Back one entry in the session history. Playwright's `waitUntil: 'commit'` (what a page restored
   * from the back/forward cache gives: it fires no new `load`) is BiDi's history traversal alone,
   * which returns once the traversal is done; anything else waits for that event of the page
   * loaded, as puppeteer's goBack does.
   * @param {{ waitUntil?: string }} [options]
   */
  async goBack({ waitUntil = 'load' } = {}) {
    if (waitUntil === 'commit') {
      await /** @type {any} */ (this.page.mainFrame()).browsingContext.traverseHistory(-1);
    } else {
      await this.page.goBack({ waitUntil: /** @type {any} */ (waitUntil) });
    }
  }

  /**
   * Makes this tab the selected one of its window (BiDi's browsingContext.activate): it turns
   * `visible`, and the tab that was selected turns `hidden`. A tab opened with `newPage()` is
   * selected over the others (measured: the tab behind it fires `visibilitychange` to `hidden`).
   */
  bringToFront() {
    return this.page.bringToFront();
  }

  /** @param {string} selector */
  async click(selector) {
    await this.page.locator(selector).click();
    await this.deliver();
  }

  /**
   * @param {string} selector
   * @param {string} value
   */
  fill(selector, value) {
    return this.page.locator(selector).fill(value);
  }

  /** @param {string} selector */
  locator(selector) {
    return {
      textContent: () => this.page.$eval(selector, (element) => element.textContent),
    };
  }

  /** @param {{ width: number, height: number }} size */
  setViewportSize(size) {
    return this.page.setViewport(size);
  }

  /** @param {{ path: string }} options */
  screenshot(options) {
    return this.page.screenshot(/** @type {any} */ (options));
  }

  async close() {
    this.owner.pages.delete(this);
    await this.page.close();
    if (this.ownsContext) await this.owner.close();
  }
}
