// The page lifecycle: a hidden page whose heartbeat deadline passes (re-probed on becoming visible,
// not declared dead while hidden), and a page that goes into the real back/forward cache and comes
// back (pagehide closes the socket without making it terminal, pageshow reconnects at once).
//
// What each engine can do (measured; the diagnostic line of each test says what it used):
// - Visibility. Headless Chromium reports every page as `visible` whatever happens to it: a second
//   tab brought to the front, a window minimized through CDP (Browser.setWindowBounds), CDP
//   Emulation.setFocusEmulationEnabled (focus only). CDP Page.setWebLifecycleState('frozen') fires
//   no `freeze` on a visible page. So there the tests try the real way first (minimizing the window)
//   and, when the page stays visible, set document.hidden / visibilityState on the document and fire
//   a real `visibilitychange` (the product reads exactly those). Headless Firefox really hides a
//   tab when another tab is opened over it (all its tabs share one window) and shows it again when
//   it is brought to the front; WebKit really hides a page whose window is minimized (WebDriver's
//   Minimize Window, under Xvfb) and shows it when the window gets its size back.
// - bfcache. It works in headless Chromium once (1) Playwright's default
//   `--disable-back-forward-cache` switch is left out, and (2) the page is not served with
//   `Cache-Control: no-store` (servers.js sends no-store; Chromium then reports
//   MainResourceHasCacheControlNoStore and, once a WebSocket was used, WebSocketUsedWithCCNS).
//   page.goBack() must not wait for `load`, which a page restored from the bfcache never fires
//   again. WebKit caches every page here, no-store, unload listeners and loads in flight included.
//   Firefox never caches a page that has an open WebSocket: it closes the socket itself (1001, no
//   reason) before `pagehide`, which says `persisted: false`, and going back loads the page anew;
//   the same page whose socket was closed first is cached. So the product's socket cannot be in
//   Firefox's bfcache: the test pins that, and that the cache works there for a page without one.
// - A page that is not cached: Chromium's default launch (Playwright disables the bfcache); in
//   Firefox a page with an open socket; in WebKit, which caches every page it leaves, a reload.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH, ENGINE } from '../support/browser.js';
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
 * Polls the page (not through requestAnimationFrame, which a hidden page does not run) until its
 * visibilityState is `state`; fails after 3 s.
 */
async function waitForVisibility(page, state) {
  const deadline = Date.now() + 3000;
  for (;;) {
    const current = await page.evaluate(() => document.visibilityState);
    if (current === state) return;
    if (Date.now() > deadline) throw new Error(`the page stayed ${current}, not ${state}, for 3 s`);
    await sleep(20);
  }
}

/**
 * Hides the page: really where the engine can (Firefox: a tab over it; WebKit: its window
 * minimized; Chromium: its window minimized, if that makes it hidden), else by emulation (see the
 * header). Returns the function that makes it visible again.
 */
async function hide(t, page) {
  if (ENGINE === 'firefox') {
    const cover = await page.context().newPage();
    await waitForVisibility(page, 'hidden');
    t.diagnostic('visibility: Firefox: the page is hidden by a second tab opened over it (real)');
    return async () => {
      await page.bringToFront();
      await cover.close();
    };
  }
  if (ENGINE === 'webkit') {
    await page.minimizeWindow();
    await waitForVisibility(page, 'hidden');
    t.diagnostic('visibility: WebKit: the page is hidden by minimizing its window (real)');
    return () => page.restoreWindow();
  }
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

/**
 * Records every `pagehide` of the page's document in its sessionStorage (which the next document
 * of the same tab and origin reads), so that a test can tell whether a page it left was cached.
 */
function recordPagehide(page) {
  return page.evaluate(() => {
    addEventListener('pagehide', (event) => {
      const seen = JSON.parse(sessionStorage.getItem('pagehides') ?? '[]');
      seen.push({ persisted: event.persisted, href: location.href });
      sessionStorage.setItem('pagehides', JSON.stringify(seen));
    });
  });
}

const pagehides = (page) => page.evaluate(() => JSON.parse(sessionStorage.getItem('pagehides') ?? '[]'));

/**
 * Prints how the page's own timer (a send every `periodMs`) ran while it was hidden: Firefox and
 * WebKit throttle a hidden page's timers (measured with a 50 ms interval: Firefox ran it once a
 * second, WebKit with gaps of up to about a second), which the emulation in Chromium does not
 * exercise. The product's own timers are throttled the same way there.
 */
function printTimers(t, log, periodMs) {
  const [hiddenAt, visibleAt] = visibilityTimes(log);
  const sends = log.sent.filter((m) => m.at >= hiddenAt && m.at <= visibleAt).map((m) => m.at);
  const gaps = [hiddenAt, ...sends, visibleAt].slice(1).map((at, i, all) => at - (i === 0 ? hiddenAt : all[i - 1]));
  t.diagnostic(`timers: ${sends.length} sends (one every ${periodMs} ms) in ${Math.round(visibleAt - hiddenAt)} ms hidden, the longest gap ${Math.round(Math.max(...gaps))} ms`);
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
  printTimers(t, log, 50);
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
  printTimers(t, log, 50);
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

/** Chromium: a browser of its own with the bfcache on (Playwright turns it off by default). */
async function bfcacheBrowser(t) {
  if (ENGINE !== 'chromium') return shared.browser;
  // Playwright adds --disable-back-forward-cache to Chromium's switches by default; leave it out.
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: CHROMIUM_ARGS,
    headless: true,
    timeout: 30_000,
    ignoreDefaultArgs: ['--disable-back-forward-cache'],
  });
  t.after(() => browser.close());
  return browser;
}

test('back/forward cache: pagehide closes without giving up, the restored page reconnects at once and replays (Firefox: never cached with an open socket)', { timeout: 30_000 }, async (t) => {
  const bfBrowser = await bfcacheBrowser(t);
  const cacheable = await startStaticServer({ cacheControl: 'no-cache' });
  t.after(() => cacheable.stop());
  const chaos = await startChaosServer();
  t.after(() => chaos.dispose());
  const { page, errors } = await openFaultPage(t, bfBrowser, cacheable.url);
  const notCached = [];
  if (ENGINE === 'chromium') {
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Page.enable');
    cdp.on('Page.backForwardCacheNotUsed', (event) => notCached.push(event.notRestoredExplanations));
  }
  await recordPagehide(page);

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
  const [hidden] = await pagehides(page);
  const [first] = chaos.connectionsOf('b');
  assertWithin(first.closedAt - awayAt, -CLOCK_SLACK_MS, 1000, 'navigation away to the close');
  assert.equal(attemptsWhileAway, 1, 'no attempt while the page was away');

  if (ENGINE === 'firefox') {
    // Firefox closed the open socket itself before pagehide and did not cache the page.
    t.diagnostic('bfcache: Firefox does not cache a page with an open WebSocket: it closed the socket itself (1001) before pagehide; checking that, and that the cache works for a page without one');
    assert.deepEqual(hidden, { persisted: false, href: `${cacheable.url}/e2e/pages/harness.html` }, 'pagehide said persisted: false (not cached)');
    assert.deepEqual(
      { code: first.closeCode, reason: first.closeReason, closedBy: first.closedBy },
      { code: 1001, reason: '', closedBy: 'client' },
      "the server got Firefox's own 1001, not the product's 1000 'page hidden'",
    );
    await page.goBack();
    assert.equal(await page.evaluate(() => location.search), '', 'back on the page');
    assert.equal(await page.evaluate(() => window.faults === undefined), true, 'loaded anew: the page kept nothing (not restored from the cache)');
    assert.equal(chaos.attemptsOf('b').length, 1, 'the page loaded anew made no attempt of its own');
    const received = chaos.messages('b').map((m) => Number(m.data.slice(2)));
    assert.deepEqual(received, [...received].sort((a, b) => a - b), 'what arrived before the close arrived once, in order');
    assert.equal(new Set(received).size, received.length);
    // The control: the same page without an open socket goes into the cache and comes back.
    const { page: control } = await openFaultPage(t, bfBrowser, cacheable.url);
    await control.evaluate(() => {
      window.kept = 'kept';
    });
    await recordPagehide(control);
    await control.goto(`${cacheable.url}/e2e/pages/harness.html?away`);
    await control.goBack({ waitUntil: 'commit' });
    await waitForFunctionPolled(control, () => document.readyState === 'complete' && location.search === '');
    assert.equal(await control.evaluate(() => window.kept), 'kept', 'control: a page without a socket came back from the bfcache');
    assert.deepEqual((await pagehides(control)).map((e) => e.persisted), [true], 'control: pagehide said persisted: true');
    assertCleanPage(errors);
    return;
  }

  assert.equal(hidden?.persisted, true, 'pagehide said persisted: true');
  await page.goBack({ waitUntil: 'commit' });
  await chaos.waitFor((c) => c.connectionsOf('b').length === 2, { what: 'the reconnection of the restored page' });
  await sleep(200);
  if (ENGINE === 'chromium') assert.deepEqual(notCached, [], 'Chromium put the page into the bfcache (else the reasons are above)');
  else t.diagnostic('bfcache: WebKit caches the page (served no-cache; it would cache it with no-store too)');
  const log = await settle(page, 'b', chaos, 'b');

  const hideEvent = log.pageEvents.find((e) => e.type === 'pagehide');
  const showEvent = log.pageEvents.findLast((e) => e.type === 'pageshow');
  assert.equal(hideEvent?.persisted, true, 'pagehide with persisted: the page went into the bfcache');
  assert.equal(showEvent?.persisted, true, 'pageshow with persisted: the page came back from the bfcache');
  assert.deepEqual(
    { code: first.closeCode, reason: first.closeReason, closedBy: first.closedBy },
    { code: 1000, reason: 'page hidden', closedBy: 'client' },
    'the socket was closed by the page on pagehide (the server got 1000)',
  );
  const [close] = connectionCloses(log);
  assert.deepEqual(
    { code: close.code, reason: close.reason, wasClean: close.wasClean, readyState: close.readyState },
    { code: 1001, reason: 'page hidden', wasClean: true, readyState: 0 },
    'the page saw 1001, not terminal',
  );
  // The page comes back with `resume` (the end of the freeze that followed pagehide: Chromium
  // fires it first) and `pageshow`; the client reconnects on whichever comes first.
  const restored = log.pageEvents.filter((e) => e.at > hideEvent.at && (e.type === 'resume' || (e.type === 'pageshow' && e.persisted)));
  t.diagnostic(`b: restored with ${restored.map((e) => `${e.type} +${Math.round(e.at - restored[0].at)} ms`).join(', ')}`);
  const [, second] = chaos.attemptsOf('b');
  assertWithin(second.at - restored[0].at, -CLOCK_SLACK_MS, TOLERANCE_MS, `the first of resume and pageshow (${restored[0].type}) to the new attempt`);
  assert.equal(log.opens, 2);
  assertDelivery(t, log, chaos, 'b');
  await assertOneConnectionAtATime(chaos, 'b', t);
  assertCleanPage(errors, log);
});

/** Polls `fn` in the page through evaluate (a page just restored may not run animation frames yet). */
async function waitForFunctionPolled(page, fn) {
  const deadline = Date.now() + 5000;
  while (!(await page.evaluate(fn))) {
    if (Date.now() > deadline) throw new Error(`not true within 5000 ms: ${fn}`);
    await sleep(20);
  }
}

test('a page that is not bfcache-eligible: pagehide still closes the socket cleanly (1000), nothing leaks (Firefox: it closes the socket itself, 1001)', { timeout: 30_000 }, async (t) => {
  // Chromium's default launch (Playwright disables the bfcache) and the no-store static server;
  // Firefox caches no page with an open socket; WebKit caches every page it leaves, but not one
  // reloaded.
  const chaos = await startChaosServer();
  t.after(() => chaos.dispose());
  const { page, errors } = await openFaultPage(t, shared.browser, shared.http.url);
  await recordPagehide(page);
  await createClient(page, 'u', chaos.urlFor('u'), { reconnect: { minDelay: 100, jitter: 'none' } });
  await waitForClient(page, 'u', (log) => log.opens === 1, { what: 'first open' });
  const before = await snapshot(page, 'u');
  assertCleanPage(errors, before);
  if (ENGINE === 'webkit') {
    t.diagnostic('bfcache: WebKit caches every page it leaves (no-store included); the page is reloaded instead, which never uses the cache');
    await page.reload();
  } else {
    await page.goto(`${shared.http.url}/e2e/pages/harness.html?away`);
  }
  await chaos.waitFor((c) => c.connectionsOf('u')[0].closedAt !== null, { what: 'the close of the unloaded page' });
  await sleep(300);
  assert.deepEqual((await pagehides(page)).map((e) => e.persisted), [false], 'pagehide said persisted: false (the page was not cached)');
  const [first] = chaos.connectionsOf('u');
  if (ENGINE === 'firefox') {
    t.diagnostic("bfcache: Firefox closes a page's open socket itself (1001) before pagehide; the product's pagehide finds it closed");
    assert.deepEqual(
      { code: first.closeCode, reason: first.closeReason, closedBy: first.closedBy },
      { code: 1001, reason: '', closedBy: 'client' },
      "Firefox closed the socket on unload with its own 1001, before the product's pagehide",
    );
  } else {
    assert.deepEqual(
      { code: first.closeCode, reason: first.closeReason, closedBy: first.closedBy },
      { code: 1000, reason: 'page hidden', closedBy: 'client' },
      "the product closed the socket on pagehide (the browser's own unload close would be 1001)",
    );
  }
  assert.equal(chaos.attemptsOf('u').length, 1, 'no attempt from the unloading page');
  assert.equal(chaos.openTcp, 0, 'no TCP connection left open');
  assert.deepEqual(errors, [], 'no page error');
});
