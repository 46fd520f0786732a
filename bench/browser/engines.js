// The browser of each engine the benchmark runs in, behind the surface bench/browser/run.js uses
// (Playwright's, as bare-chromium.js and the test suite's adapters in e2e/support/engines/ give it),
// with what only some engines have:
// - `cpu`: the CPU time of a page's main thread. Chromium: DevTools `ThreadTime`. Firefox and
//   WebKit, whose drivers have no such figure: the main thread of the page's process, from /proc
//   (process-cpu.js).
// - `heap`: the JS heap in use after garbage collection, or null with `heapUnavailable` saying
//   why. Chromium only: DevTools `HeapProfiler.collectGarbage` and `Runtime.getHeapUsage`.
//   Neither WebDriver BiDi (Firefox) nor WebDriver classic (WebKit) can collect garbage or read a
//   heap size, and no page API reads it in those engines (`performance.memory` and
//   `performance.measureUserAgentSpecificMemory()` are Chromium's).
// Firefox is Debian's Firefox ESR over puppeteer-core (WebDriver BiDi), WebKit Debian's WebKitGTK
// over WebKitWebDriver, both as in the tests; Chromium is driven over the DevTools protocol directly
// (bare-chromium.js says why).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { heapAfterGc } from '../../e2e/support/browser.js';
import { launchFirefox } from '../../e2e/support/engines/firefox.js';
import { launchWebKit } from '../../e2e/support/engines/webkit.js';
import { launchBareChromium } from './bare-chromium.js';
import { processCpuMeter } from './process-cpu.js';

export const BENCH_ENGINES = ['chromium', 'firefox', 'webkit'];
export const ENGINE_NAMES = { chromium: 'Chromium', firefox: 'Firefox', webkit: 'WebKitGTK' };

/**
 * Firefox clamps the timers of a tab that is not in front to once a second (measured: 50 nested
 * 1 ms timeouts took 49.7 s), and every tab but the last opened is behind: a send loop that yields
 * to a timer, and every reconnect delay, would be measured in whole seconds. The counterpart of
 * Chromium's --disable-background-timer-throttling (bare-chromium.js): the foreground's clamp of
 * 4 ms for nested timers, and no budget throttling.
 */
const FIREFOX_PREFS = {
  'dom.min_background_timeout_value': 4,
  'dom.min_background_timeout_value_without_budget_throttling': 4,
  'dom.timeout.enable_budget_timer_throttling': false,
};

/** @param {string} engine one of BENCH_ENGINES */
export async function launchBenchEngine(engine) {
  if (engine === 'chromium') {
    const browser = await launchBareChromium();
    return {
      engine,
      browser,
      version: browser.version(),
      cpu: {
        prepare: (page) => page.send('Performance.enable', { timeDomain: 'threadTicks' }),
        async seconds(page) {
          const { metrics } = await page.send('Performance.getMetrics');
          return metrics.find((metric) => metric.name === 'ThreadTime').value;
        },
      },
      heap: { prepare: (page) => page.send('HeapProfiler.enable'), read: (page) => heapAfterGc(page) },
    };
  }
  if (engine === 'firefox') {
    const browser = await launchFirefox({ prefs: FIREFOX_PREFS });
    return {
      engine,
      browser,
      version: (await browser.version()).replace(/^[^/]*\//, ''),
      cpu: processCpuMeter(browser.browser.process().pid),
      heap: null,
      heapUnavailable: 'Firefox: WebDriver BiDi can neither collect garbage nor read a heap size, and no page API reads one',
    };
  }
  if (engine === 'webkit') {
    const browser = await launchWebKit();
    const { stdout } = await promisify(execFile)('dpkg-query', ['-W', '-f=${Version}', 'libwebkit2gtk-4.1-0']);
    return {
      engine,
      browser,
      version: stdout.trim(),
      cpu: processCpuMeter(browser.driver.pid),
      heap: null,
      heapUnavailable: 'WebKit: WebDriver classic can neither collect garbage nor read a heap size, and no page API reads one',
    };
  }
  throw new Error(`${engine}: not an engine of the benchmark (${BENCH_ENGINES.join(', ')})`);
}
