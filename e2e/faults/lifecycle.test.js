// The page lifecycle: a hidden page whose heartbeat deadline passes (re-probed on becoming visible,
// not declared dead while hidden), and a page that goes into the real back/forward cache and comes
// back (pagehide closes the socket without making it terminal, pageshow reconnects at once).
//
// What works in this headless Chromium (measured; see the report in the helper's notes):
// - Visibility: headless Chromium reports every page as `visible` whatever happens to it: a second
//   tab brought to the front, a window minimized through CDP (Browser.setWindowBounds), CDP
//   Emulation.setFocusEmulationEnabled (focus only). CDP Page.setWebLifecycleState('frozen') fires
//   no `freeze` on a visible page. So the tests try the real way first (minimizing the window) and,
//   when the page stays visible, set document.hidden / visibilityState on the document and fire a
//   real `visibilitychange` (the product reads exactly those); the diagnostic line says which.
// - bfcache works in headless Chromium once (1) Playwright's default `--disable-back-forward-cache`
//   switch is left out, and (2) the page is not served with `Cache-Control: no-store` (servers.js
//   sends no-store; Chromium then reports MainResourceHasCacheControlNoStore and, once a WebSocket
//   was used, WebSocketUsedWithCCNS). page.goBack() must not wait for `load`, which a page restored
//   from the bfcache never fires again.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../support/browser.js';
import { startChaosServer } from '../support/chaos-server.js';
import {
  CLOCK_SLACK_MS,
  TOLERANCE_MS,
  assertCleanPage,
  assertDelivery,
  assertOneConnectionAtATime,
  assertWithin,
  call,
  connectionCloses,
  createClient,
  eventsOf,
  now,
  openFaultPage,
  settle,
  sleep,
  snapshot,
  waitForClient,
} from '../support/fault-harness.js';
import { startStaticServer } from '../support/servers.js';
import { useBrowser } from '../support/fixtures.js';

const shared = useBrowser({ staticServer: true });

const interval = 300;
const timeout = 300;

/**
 * Hides the page: by minimizing its window if that makes it hidden, else by emulation (see the
 * header). Returns the function that makes it visible again.
 */
async function hide(t, page) {
  const cdp = await page.context().newCDPSession(page);
  const { windowId } = await cdp.send('Browser.getWindowForTarget');
  await cdp.send('Browser.setWindowBounds', { windowId, bounds: { windowState: 'minimized' } });
  await sleep(50);
  if ((await page.evaluate(() => document.visibilityState)) === 'hidden') {
    t.diagnostic('visibility: the page is hidden by minimizing its window (real)');
    return async () => {
      await cdp.send('Browser.setWindowBounds', { windowId, bounds: { windowState: 'normal' } });
    };
  }
  await cdp.send('Browser.setWindowBounds', { windowId, bounds: { windowState: 'normal' } });
  t.diagnostic('visibility: headless Chromium keeps a minimized page visible; emulating document.hidden + visibilitychange');
  await page.evaluate(() => window.faults.emulateVisibility(true));
  return () => page.evaluate(() => window.faults.emulateVisibility(false));
}

/** The visibilitychange the page saw last, as [hiddenAt, visibleAt]. */
function visibilityTimes(log) {
  const changes = log.pageEvents.filter((e) => e.type === 'visibilitychange');
  const hiddenAt = changes.find((e) => e.visibility === 'hidden')?.at;
  const visibleAt = changes.findLast((e) => e.visibility === 'visible')?.at;
  return [hiddenAt, visibleAt];
}

test('hidden page, pings unanswered: not declared dead while hidden; re-probed on visible, it lives on', { timeout: 30_000 }, async (t) => {
  const chaos = await startChaosServer();
  t.after(() => chaos.dispose());
  const { page, errors } = await openFaultPage(t, shared.browser, shared.http.url);
  await createClient(page, 'v', chaos.urlFor('v'), { heartbeat: { interval, timeout }, reconnect: { minDelay: 100, jitter: 'none' } });
  await waitForClient(page, 'v', (log) => log.opens === 1 && eventsOf(log, 'heartbeat').length >= 1, { what: 'open and a heartbeat' });
  await call(page, 'v', 'startSending', 50);
  // Hidden first, then the pongs stop: hiding takes a few round trips to the browser, and pings
  // unanswered while the page is still visible would (rightly) get the connection declared dead.
  const show = await hide(t, page);
  chaos.answerPings = false;
  const unansweredFrom = now();
  const hiddenFor = interval + timeout + 3 * TOLERANCE_MS;
  await sleep(hiddenFor);
  const whileHidden = await snapshot(page, 'v');
  chaos.answerPings = true;
  await show();
  await waitForClient(page, 'v', (log) => eventsOf(log, 'heartbeat').length > eventsOf(whileHidden, 'heartbeat').length, { what: 'a heartbeat after visible' });
  await sleep(100);
  const log = await settle(page, 'v', chaos, 'v');

  const [hiddenAt, visibleAt] = visibilityTimes(log);
  assert.ok(hiddenAt && visibleAt > hiddenAt, 'the page saw hidden, then visible');
  assert.equal(whileHidden.readyState, 1, `still OPEN after ${hiddenFor} ms hidden with the pong overdue`);
  assert.equal(eventsOf(log, 'close').length, 0, 'never closed');
  assert.equal(chaos.connectionsOf('v').length, 1, 'one connection throughout');
  const pings = chaos.messages('v', { heartbeat: true }).filter((m) => m.heartbeat);
  assert.ok(hiddenAt < unansweredFrom + CLOCK_SLACK_MS, 'the pongs stopped after the page was hidden');
  const unanswered = pings.filter((m) => m.at > unansweredFrom && m.at < visibleAt - CLOCK_SLACK_MS);
  assert.equal(unanswered.length, 1, 'one unanswered ping while hidden, then nothing until visible (the overdue ping waits)');
  const reprobe = pings.find((m) => m.at >= visibleAt - CLOCK_SLACK_MS);
  assert.ok(reprobe, 'a ping on becoming visible');
  assertWithin(reprobe.at - visibleAt, -CLOCK_SLACK_MS, TOLERANCE_MS, 'visible to the re-probe ping');
  const [heartbeat] = eventsOf(log, 'heartbeat', visibleAt);
  assertWithin(heartbeat.at - visibleAt, 0, TOLERANCE_MS, 'visible to the answered re-probe');
  assertDelivery(t, log, chaos, 'v');
  await assertOneConnectionAtATime(chaos, 'v', t);
  assertCleanPage(errors, log);
});

test('hidden page, server silent: not declared dead while hidden; on visible, dead after one more timeout, reconnected', { timeout: 30_000 }, async (t) => {
  const chaos = await startChaosServer();
  t.after(() => chaos.dispose());
  const { page, errors } = await openFaultPage(t, shared.browser, shared.http.url);
  const minDelay = 100;
  await createClient(page, 'w', chaos.urlFor('w'), { heartbeat: { interval, timeout }, reconnect: { minDelay, jitter: 'none' } });
  await waitForClient(page, 'w', (log) => log.opens === 1 && eventsOf(log, 'heartbeat').length >= 1, { what: 'open and a heartbeat' });
  await call(page, 'w', 'startSending', 50);
  const show = await hide(t, page);
  chaos.silenceAll('w');
  const hiddenFor = interval + timeout + 3 * TOLERANCE_MS;
  await sleep(hiddenFor);
  const whileHidden = await snapshot(page, 'w');
  await show();
  await chaos.waitFor((c) => c.connectionsOf('w').length === 2, { what: 'the reconnection after visible' });
  await sleep(100);
  const log = await settle(page, 'w', chaos, 'w');

  const [, visibleAt] = visibilityTimes(log);
  assert.equal(whileHidden.readyState, 1, `still OPEN after ${hiddenFor} ms hidden with a silent server`);
  assert.equal(eventsOf(whileHidden, 'close').length, 0, 'no close while hidden');
  const [close] = connectionCloses(log);
  assert.deepEqual({ code: close.code, reason: close.reason }, { code: 4000, reason: 'heartbeat timeout' });
  assertWithin(close.at - visibleAt, timeout - CLOCK_SLACK_MS, timeout + TOLERANCE_MS, 'visible to the heartbeat close (one fresh timeout)');
  const [, next] = chaos.attemptsOf('w');
  // From below, from becoming visible (stamped before the client read its clock for it); from
  // above, from the close event.
  assertWithin(next.at - visibleAt, timeout + minDelay - CLOCK_SLACK_MS, Infinity, 'visible to the next attempt');
  assertWithin(next.at - close.at, -Infinity, minDelay + TOLERANCE_MS, 'close to the next attempt');
  assertDelivery(t, log, chaos, 'w', { lossAllowed: (open) => open === 1 });
  await assertOneConnectionAtATime(chaos, 'w', t);
  assertCleanPage(errors, log);
});

test('back/forward cache: pagehide closes without giving up, the restored page reconnects at once and replays', { timeout: 30_000 }, async (t) => {
  // Playwright adds --disable-back-forward-cache to Chromium's switches by default; leave it out.
  const bfBrowser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: CHROMIUM_ARGS,
    headless: true,
    timeout: 30_000,
    ignoreDefaultArgs: ['--disable-back-forward-cache'],
  });
  t.after(() => bfBrowser.close());
  const cacheable = await startStaticServer({ cacheControl: 'no-cache' });
  t.after(() => cacheable.stop());
  const chaos = await startChaosServer();
  t.after(() => chaos.dispose());
  const { page, errors } = await openFaultPage(t, bfBrowser, cacheable.url);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Page.enable');
  const notCached = [];
  cdp.on('Page.backForwardCacheNotUsed', (event) => notCached.push(event.notRestoredExplanations));

  await createClient(page, 'b', chaos.urlFor('b'), { heartbeat: { interval, timeout }, reconnect: { minDelay: 100, jitter: 'none' } });
  await waitForClient(page, 'b', (log) => log.opens === 1, { what: 'first open' });
  await call(page, 'b', 'startSending', 20);
  await sleep(200);
  const awayAt = now();
  await page.goto(`${cacheable.url}/e2e/pages/harness.html?away`);
  await chaos.waitFor((c) => c.connectionsOf('b')[0].closedAt !== null, { what: 'the close of the hidden page' });
  const awayFor = 500;
  await sleep(awayFor);
  const attemptsWhileAway = chaos.attemptsOf('b').length;
  await page.goBack({ waitUntil: 'commit' });
  await chaos.waitFor((c) => c.connectionsOf('b').length === 2, { what: 'the reconnection of the restored page' });
  await sleep(200);
  assert.deepEqual(notCached, [], 'Chromium put the page into the bfcache (else the reasons are above)');
  const log = await settle(page, 'b', chaos, 'b');

  const hideEvent = log.pageEvents.find((e) => e.type === 'pagehide');
  const showEvent = log.pageEvents.findLast((e) => e.type === 'pageshow');
  assert.equal(hideEvent?.persisted, true, 'pagehide with persisted: the page went into the bfcache');
  assert.equal(showEvent?.persisted, true, 'pageshow with persisted: the page came back from the bfcache');
  const [first] = chaos.connectionsOf('b');
  assert.deepEqual(
    { code: first.closeCode, reason: first.closeReason, closedBy: first.closedBy },
    { code: 1000, reason: 'page hidden', closedBy: 'client' },
    'the socket was closed by the page on pagehide (the server got 1000)',
  );
  assertWithin(first.closedAt - awayAt, -CLOCK_SLACK_MS, 1000, 'navigation away to the close');
  assert.equal(attemptsWhileAway, 1, 'no attempt while the page was in the bfcache');
  const [close] = connectionCloses(log);
  assert.deepEqual(
    { code: close.code, reason: close.reason, wasClean: close.wasClean, readyState: close.readyState },
    { code: 1001, reason: 'page hidden', wasClean: true, readyState: 0 },
    'the page saw 1001, not terminal',
  );
  const [, second] = chaos.attemptsOf('b');
  assertWithin(second.at - showEvent.at, -CLOCK_SLACK_MS, TOLERANCE_MS, 'pageshow to the new attempt');
  assert.equal(log.opens, 2);
  assertDelivery(t, log, chaos, 'b');
  await assertOneConnectionAtATime(chaos, 'b', t);
  assertCleanPage(errors, log);
});

test('a page that is not bfcache-eligible: pagehide still closes the socket cleanly (1000), nothing leaks', { timeout: 30_000 }, async (t) => {
  // The default launch (Playwright disables the bfcache) and the no-store static server.
  const chaos = await startChaosServer();
  t.after(() => chaos.dispose());
  const { page, errors } = await openFaultPage(t, shared.browser, shared.http.url);
  await createClient(page, 'u', chaos.urlFor('u'), { reconnect: { minDelay: 100, jitter: 'none' } });
  await waitForClient(page, 'u', (log) => log.opens === 1, { what: 'first open' });
  const before = await snapshot(page, 'u');
  assertCleanPage(errors, before);
  await page.goto(`${shared.http.url}/e2e/pages/harness.html?away`);
  await chaos.waitFor((c) => c.connectionsOf('u')[0].closedAt !== null, { what: 'the close of the unloaded page' });
  await sleep(300);
  const [first] = chaos.connectionsOf('u');
  assert.deepEqual(
    { code: first.closeCode, reason: first.closeReason, closedBy: first.closedBy },
    { code: 1000, reason: 'page hidden', closedBy: 'client' },
    "the product closed the socket on pagehide (the browser's own unload close would be 1001)",
  );
  assert.equal(chaos.attemptsOf('u').length, 1, 'no attempt from the unloading page');
  assert.equal(chaos.openTcp, 0, 'no TCP connection left open');
  assert.deepEqual(errors, [], 'no page error');
});
