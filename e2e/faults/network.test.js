// The browser going offline and online, through Playwright's context.setOffline(), which is
// DevTools network emulation: it fires `offline`/`online` and sets navigator.onLine. What it does to
// a WebSocket that is already open, as measured here in Debian's Chromium: the socket is NOT closed,
// but no frame gets through in either direction while offline; frames sent meanwhile are held and
// delivered when the emulation ends. New connections fail while offline.
import assert from 'node:assert/strict';
import { test } from 'node:test';
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
import { useBrowser } from '../support/fixtures.js';

/** The core starts the attempt after `online` within 0..ONLINE_JITTER ms (src/machine/mod.rs). */
const ONLINE_JITTER_MS = 1000;

const shared = useBrowser({ staticServer: true });

test('offline without heartbeat: the open socket is kept; what was sent offline arrives once, in order', { timeout: 30_000 }, async (t) => {
  const chaos = await startChaosServer();
  t.after(() => chaos.dispose());
  const { page, errors } = await openFaultPage(t, shared.browser, shared.http.url);
  const context = page.context();
  await createClient(page, 'k', chaos.urlFor('k'), { reconnect: { minDelay: 100, jitter: 'none' } });
  await waitForClient(page, 'k', (log) => log.opens === 1, { what: 'first open' });
  await call(page, 'k', 'startSending', 20);
  await sleep(200);
  await context.setOffline(true);
  const offlineAt = now();
  await sleep(1000);
  const offline = await snapshot(page, 'k');
  const heldBack = chaos.messages('k').filter((m) => m.at > offlineAt + 50).length;
  await context.setOffline(false);
  const log = await settle(page, 'k', chaos, 'k');

  assert.deepEqual(offline.pageEvents.filter((e) => e.type === 'offline').length, 1, 'the page saw `offline`');
  assert.equal(offline.readyState, 1, 'still OPEN while offline');
  assert.equal(offline.state, 'open');
  assert.equal(eventsOf(log, 'close').length, 0, 'no close event at all');
  assert.equal(chaos.attemptsOf('k').length, 1, 'no reconnect');
  assert.equal(chaos.open('k').length, 1, 'the server connection is still open');
  assert.equal(heldBack, 0, 'nothing reached the server while offline (the emulation holds frames)');
  assertDelivery(t, log, chaos, 'k');
  assertCleanPage(errors, log);
});

test('offline with heartbeat: the socket is probed and dropped, no attempt while offline, one within 1 s of online', { timeout: 30_000 }, async (t) => {
  const chaos = await startChaosServer();
  t.after(() => chaos.dispose());
  const { page, errors } = await openFaultPage(t, shared.browser, shared.http.url);
  const context = page.context();
  const timeout = 300;
  await createClient(page, 'h', chaos.urlFor('h'), {
    heartbeat: { interval: 300, timeout },
    reconnect: { minDelay: 100, jitter: 'none' },
  });
  await waitForClient(page, 'h', (log) => log.opens === 1 && eventsOf(log, 'heartbeat').length >= 1, { what: 'open and a heartbeat' });
  await call(page, 'h', 'startSending', 20);
  await sleep(100);
  await context.setOffline(true);
  const offlineAt = now();
  // The offline probe cannot be answered: frames do not pass. The connection is declared dead
  // after min(heartbeat.timeout, 3000) and no attempt follows while offline.
  await waitForClient(page, 'h', (log) => log.state === 'offline', { what: "connectionState 'offline'" });
  const offlineFor = 1500;
  await sleep(offlineFor);
  const duringOffline = await snapshot(page, 'h');
  const attemptsWhileOffline = chaos.attemptsOf('h').filter((a) => a.at > offlineAt).length;
  await context.setOffline(false);
  const onlineAt = now();
  await chaos.waitFor((c) => c.connectionsOf('h').length >= 2, { timeoutMs: ONLINE_JITTER_MS + 3000, what: 'a connection after online' });
  await sleep(200);
  const log = await settle(page, 'h', chaos, 'h');

  const [close] = connectionCloses(log);
  assert.deepEqual({ code: close.code, reason: close.reason }, { code: 4000, reason: 'heartbeat timeout' }, 'the unanswered probe closed it');
  // The probe keeps the deadline of a ping already out, so death comes at most `timeout` later.
  assertWithin(close.at - offlineAt, -CLOCK_SLACK_MS, timeout + TOLERANCE_MS, 'offline to the probe timeout');
  assert.equal(attemptsWhileOffline, 0, `no attempt in ${offlineFor} ms offline`);
  assert.equal(eventsOf(duringOffline, 'reconnecting', offlineAt).length, 0, 'no retry was even scheduled while offline');
  assert.equal(duringOffline.readyState, 0, 'CONNECTING while offline');
  const next = chaos.attemptsOf('h').find((a) => a.at > offlineAt);
  assertWithin(next.at - onlineAt, -CLOCK_SLACK_MS, ONLINE_JITTER_MS + TOLERANCE_MS, 'online to the next attempt');
  const [reconnecting] = eventsOf(log, 'reconnecting', offlineAt);
  assertWithin(reconnecting.delay, 0, ONLINE_JITTER_MS, 'the attempt after online is drawn within the online jitter');
  assert.equal(reconnecting.attempt, 1, 'the backoff was reset by online');
  t.diagnostic(`h: online to attempt ${Math.round(next.at - onlineAt)} ms (drawn ${reconnecting.delay} ms)`);
  // The messages handed to the first socket while offline were held by the browser; the socket
  // was abandoned by the heartbeat, so whether they arrive is up to the browser: lost in flight.
  assertDelivery(t, log, chaos, 'h', { lossAllowed: (open) => open === 1 });
  await assertOneConnectionAtATime(chaos, 'h', t);
  assertCleanPage(errors, log);
});
