// Debian's Chromium driven by playwright-core. The flags are the ones wasm-pack test uses, read from
// webdriver.json so the two browser layers cannot drift apart; playwright-core never downloads a browser.
import { readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';

const { binary, args } = JSON.parse(
  readFileSync(new URL('../../webdriver.json', import.meta.url), 'utf8'),
)['goog:chromeOptions'];

export const CHROMIUM_PATH = binary;
export const CHROMIUM_ARGS = args;

export function launchChromium() {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: CHROMIUM_ARGS,
    headless: true,
    timeout: 30_000,
  });
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
 * The JS heap in use after garbage collection, through the DevTools protocol. One collection may
 * leave garbage that only a later one frees (weak references, finalizers run in between), so this
 * collects until two readings in a row agree, at most 10 times.
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
