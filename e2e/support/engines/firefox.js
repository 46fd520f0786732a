// Debian's Firefox ESR driven by puppeteer-core over WebDriver BiDi, behind the subset of
// Playwright's API that the end-to-end tests use (support/browser.js says which). playwright-core
// cannot drive it: Playwright's Firefox is a patched build that it would download. puppeteer-core
// 24 is the last major that runs on Node 20; it never downloads a browser.
import puppeteer from 'puppeteer-core';

export const FIREFOX_PATH = '/usr/bin/firefox-esr';

/** @param {{ timeout?: number }} [options] */
export async function launchFirefox({ timeout = 30_000 } = {}) {
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

  async newPage() {
    const page = new FirefoxPage(await this.context.newPage(), this);
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
   * `pageerror` (an Error), `console` (a message with `type()` and `text()`) and `request` (with
   * `url()`) are puppeteer's own events, with Playwright's shapes; Firefox reports no `crash`.
   * @param {string} event
   * @param {(...args: any[]) => void} listener
   */
  on(event, listener) {
    if (event === 'crash') return;
    this.page.on(/** @type {any} */ (event), listener);
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
   * @param {Function} fn
   * @param {unknown} [arg]
   */
  evaluate(fn, arg) {
    return arg === undefined ? this.page.evaluate(/** @type {any} */ (fn)) : this.page.evaluate(/** @type {any} */ (fn), arg);
  }

  /**
   * Playwright's argument order: the function's argument, then the options.
   * @param {Function} fn
   * @param {unknown} [arg]
   * @param {{ timeout?: number }} [options]
   */
  async waitForFunction(fn, arg, { timeout = this.defaultTimeout } = {}) {
    const handle = await this.page.waitForFunction(/** @type {any} */ (fn), { timeout, polling: 'raf' }, arg);
    return handle;
  }

  /** @param {string} selector */
  click(selector) {
    return this.page.locator(selector).click();
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

  /** @param {string} script */
  addInitScript(script) {
    return this.page.evaluateOnNewDocument(script);
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
