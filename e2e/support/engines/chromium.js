// Debian's Chromium driven by playwright-core, whose API the other engines' adapters reproduce. The
// flags are the ones wasm-pack test uses, read from webdriver.json so the two browser layers cannot
// drift apart; playwright-core never downloads a browser.
import { readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';

const { binary, args } = JSON.parse(
  readFileSync(new URL('../../../webdriver.json', import.meta.url), 'utf8'),
)['goog:chromeOptions'];

export const CHROMIUM_PATH = binary;
export const CHROMIUM_ARGS = args;

export async function launchChromium() {
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: CHROMIUM_ARGS,
    headless: true,
    timeout: 30_000,
  });
  return Object.assign(browser, { engine: 'chromium' });
}
