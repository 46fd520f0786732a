// Faults that end the connection from the server side: ten restarts in a row (crashes and graceful
// shutdowns alternating), and a single TCP terminate while the server keeps running.
//
// A crash or terminate (no close frame) and every refused attempt are failures to Firefox, which
// then holds the next handshake (handshakeHoldMs in ../support/browser.js; a graceful 1001 is not
// a failure): each bound on a reconnection allows the longer of the client's delay and that hold.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ENGINE, handshakeHoldMinMs, handshakeHoldMs } from '../support/browser.js';
import { startChaosServer } from '../support/chaos-server.js';
import {
  TOLERANCE_MS,
  CLOCK_SLACK_MS,
  assertCleanPage,
  assertDelivery,
  assertOneConnectionAtATime,
  assertWithin,
  call,
  connectionCloses,
  failedAttemptCloses,
  createClient,
  eventsOf,
  now,
  openFaultPage,
  retryWithinMs,
  settle,
  sleep,
  waitForClient,
} from '../support/fault-harness.js';
import { useBrowser } from '../support/fixtures.js';

const shared = useBrowser({ staticServer: true });

test('server restarts 10 times in a row: the client reconnects after each and replays its queue', { timeout: 60_000 }, async (t) => {
  const chaos = await startChaosServer();
  t.after(() => chaos.dispose());
  const { page, errors } = await openFaultPage(t, shared.browser, shared.http.url);
  const maxDelay = 400;
  await createClient(page, 'r', chaos.urlFor('r'), {
    reconnect: { minDelay: 50, maxDelay, factor: 2, jitter: 'full', minUptime: 0 },
  });
  await waitForClient(page, 'r', (log) => log.opens === 1, { what: 'first open' });
  await call(page, 'r', 'startSending', 15);

  // Odd restarts crash (TCP dropped, no close frame: the client sees 1006); even ones shut down
  // gracefully with 1001. Connection i is the one restart i ends.
  const crashed = new Set();
  const downMs = 200;
  const upAts = [];
  for (let i = 1; i <= 10; i += 1) {
    await sleep(150);
    const graceful = i % 2 === 0;
    if (!graceful) crashed.add(i);
    await chaos.stop(graceful ? { close: { code: 1001, reason: 'going away' } } : {});
    await sleep(downMs);
    await chaos.start();
    upAts.push(now());
    // A deadline for the wait, not a bound: the bounds follow, from the failures each took.
    await chaos.waitFor((c) => c.connectionsOf('r').length === i + 1, {
      timeoutMs: 10_000,
      what: `reconnection after restart ${i}`,
    });
  }
  await waitForClient(page, 'r', (log) => log.opens === 11, { what: 'the 11th open' });
  const log = await settle(page, 'r', chaos, 'r');

  // Restart i: the failures in a row before its reconnection, from the page's record: the crash
  // (no close frame: 1006), then every attempt refused while the server was down.
  const failuresBefore = [];
  let closesSinceOpen = null;
  let failuresInARow = 0;
  for (const e of log.events) {
    if (e.type === 'open') {
      if (closesSinceOpen !== null) failuresBefore.push(failuresInARow);
      closesSinceOpen = 0;
      failuresInARow = 0;
    } else if (e.type === 'close' && closesSinceOpen !== null) {
      // The first close after an open is the connection's; a close frame (any code but 1006) is
      // no failure. Every later one is a failed attempt.
      if (closesSinceOpen > 0 || e.code === 1006) failuresInARow += 1;
      closesSinceOpen += 1;
    }
  }
  for (let i = 1; i <= 10; i += 1) {
    const reconnectedAt = chaos.connectionsOf('r')[i].openedAt;
    const within = retryWithinMs(maxDelay, failuresBefore[i - 1]);
    assertWithin(reconnectedAt - upAts[i - 1], -CLOCK_SLACK_MS, within + TOLERANCE_MS, `restart ${i}: reconnected after the server came back (after ${failuresBefore[i - 1]} failures; browser's hold up to ${handshakeHoldMs(failuresBefore[i - 1])} ms)`);
  }
  if (ENGINE === 'firefox') t.diagnostic(`r: failures before each reconnection ${JSON.stringify(failuresBefore)}, server up to reconnected ${JSON.stringify(upAts.map((at, i) => Math.round(chaos.connectionsOf('r')[i + 1].openedAt - at)))} ms`);

  const closes = connectionCloses(log);
  assert.equal(closes.length, 10, 'one close event per restart (besides those of failed attempts)');
  for (const failed of failedAttemptCloses(log)) {
    assert.deepEqual({ code: failed.code, readyState: failed.readyState }, { code: 1006, readyState: 0 }, 'a refused attempt: 1006, still CONNECTING');
  }
  // WebKit reports a graceful close as unclean when the page's last message was still unsent as
  // the close frame came (bufferedAmount at the native close event; README, "Differences").
  const connectionSockets = log.sockets.filter((s) => s.openedAt !== null);
  closes.forEach((close, index) => {
    const graceful = (index + 1) % 2 === 0;
    const unsent = connectionSockets[index].bufferedAtClose;
    const clean = graceful && (ENGINE !== 'webkit' || unsent === 0);
    if (graceful && !clean) t.diagnostic(`r: restart ${index + 1}: WebKit reports the 1001 close as unclean: ${unsent} bytes the page sent were still unsent when it came`);
    assert.equal(close.code, graceful ? 1001 : 1006, `restart ${index + 1}: close code`);
    assert.equal(close.wasClean, clean, `restart ${index + 1}: wasClean`);
    assert.equal(close.readyState, 0, `restart ${index + 1}: readyState is CONNECTING during close (a reconnect follows)`);
  });
  for (const r of eventsOf(log, 'reconnecting')) {
    assertWithin(r.delay, 0, maxDelay, `reconnecting attempt ${r.attempt}: delay within [0, maxDelay]`);
  }
  assert.equal(log.opens, 11);
  assert.equal(chaos.connectionsOf('r').length, 11, 'the server saw one connection per open');
  assertDelivery(t, log, chaos, 'r', { lossAllowed: (open) => crashed.has(open) });
  await assertOneConnectionAtATime(chaos, 'r', t);
  assertCleanPage(errors, log);
});

test('terminate: TCP dropped without a close frame; 1006, then a reconnect after exactly minDelay', { timeout: 30_000 }, async (t) => {
  const chaos = await startChaosServer();
  t.after(() => chaos.dispose());
  const { page, errors } = await openFaultPage(t, shared.browser, shared.http.url);
  const minDelay = 100;
  await createClient(page, 't', chaos.urlFor('t'), { reconnect: { minDelay, factor: 2, jitter: 'none' } });
  await waitForClient(page, 't', (log) => log.opens === 1, { what: 'first open' });
  await call(page, 't', 'startSending', 10);
  await sleep(200);
  const terminatedAt = now();
  chaos.terminateAll('t');
  await chaos.waitFor((c) => c.connectionsOf('t').length === 2, { what: 'reconnection' });
  await sleep(200);
  const log = await settle(page, 't', chaos, 't');

  const [close] = eventsOf(log, 'close');
  assert.deepEqual(
    { code: close.code, wasClean: close.wasClean, readyState: close.readyState },
    { code: 1006, wasClean: false, readyState: 0 },
    'the client saw an abnormal close and stays CONNECTING',
  );
  const [reconnecting] = eventsOf(log, 'reconnecting');
  assert.deepEqual({ attempt: reconnecting.attempt, delay: reconnecting.delay }, { attempt: 1, delay: minDelay });
  const [, second] = chaos.attemptsOf('t');
  // Firefox counts the terminate as a failure (it follows terminatedAt) and holds the next
  // handshake at least handshakeHoldMinMs(1) from it, at most handshakeHoldMs(1).
  const earliest = Math.max(minDelay, handshakeHoldMinMs(1));
  assertWithin(second.at - terminatedAt, earliest - CLOCK_SLACK_MS, retryWithinMs(minDelay, 1) + TOLERANCE_MS, `terminate to the next upgrade attempt (browser's hold ${handshakeHoldMinMs(1)}..${handshakeHoldMs(1)} ms)`);
  // Only from above: the close event's listener runs after the client read its clock for the
  // close, and a loaded machine can delay it by more than the slack.
  assertWithin(second.at - close.at, -Infinity, retryWithinMs(minDelay, 1) + TOLERANCE_MS, 'close event to the next upgrade attempt');
  if (ENGINE === 'firefox') t.diagnostic(`t: terminate to the next attempt ${Math.round(second.at - terminatedAt)} ms (Firefox's hold)`);
  assert.equal(log.opens, 2);
  assertDelivery(t, log, chaos, 't', { lossAllowed: (open) => open === 1 });
  await assertOneConnectionAtATime(chaos, 't', t);
  assertCleanPage(errors, log);
});
