// Suite-wide fixtures for node:test files: one browser of the run's engine (browser.js) per test
// file (a browser start costs a few seconds; tests isolate themselves with contexts or pages), and,
// where the tests load pages from the repository, one static server beside it.
import { after, before } from 'node:test';
import { launchBrowser } from './browser.js';
import { startStaticServer } from './servers.js';

/**
 * Launches the browser (and, with `staticServer`, a static server over the repository root) before the
 * file's tests and stops them after. Read `shared.browser` and `shared.http` inside the tests.
 * @returns {{ browser: import('playwright-core').Browser | null, http: { url: string, stop(): Promise<void> } | null }}
 */
export function useBrowser({ staticServer = false } = {}) {
  const shared = { browser: null, http: null };
  before(async () => {
    shared.browser = await launchBrowser();
    if (staticServer) shared.http = await startStaticServer();
  });
  after(async () => {
    await shared.browser?.close();
    await shared.http?.stop();
  });
  return shared;
}
