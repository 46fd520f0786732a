// Attempts that fail before a connection exists: upgrades refused with HTTP 503, handshakes that
// never answer, and a server that never comes back (maxRetries, then giveup). The backoff schedule
// is observed where it matters, at the server: attempt n+1 arrives delay(n) after attempt n failed,
// with delay(n) = jitter(min(maxDelay, minDelay * factor^n)).
//
// Firefox holds every new handshake after failed ones to the same host, port and path
// (handshakeHoldMs in ../support/browser.js, RFC 6455 §7.2.3): the client's sockets are created on
// its schedule, but an attempt reaches the server no sooner than the browser's hold after the
// failure before it, which outgrows these delays. There the server sees the longer of the two,
// and these tests pin the hold from below and above. Firefox also leaves the TCP connection of a
// handshake abandoned by close() open (the stalled-handshake test pins it).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ENGINE, handshakeHoldMinMs, handshakeHoldMs } from '../support/browser.js';
import { startChaosServer } from '../support/chaos-server.js';
import {
  CLOCK_SLACK_MS,
  TOLERANCE_MS,
  assertCleanPage,
  assertDelivery,
  assertOneConnectionAtATime,
  assertWithin,
  call,
  createClient,
  eventsOf,
  failedAttemptCloses,
  openFaultPage,
  retryWithinMs,
  settle,
  sleep,
  snapshot,
  waitForClient,
} from '../support/fault-harness.js';
import { useBrowser } from '../support/fixtures.js';

const shared = useBrowser({ staticServer: true });

const ceiling = ({ minDelay, factor, maxDelay }, n) => Math.min(maxDelay, minDelay * factor ** n);

/** Refuses `refusals` upgrades, then accepts; checks the schedule the server observed. */
async function refusedThenAccepted(t, name, reconnect, refusals) {
  const chaos = await startChaosServer();
  t.after(() => chaos.dispose());
  chaos.refuse(refusals);
  const { page, errors } = await openFaultPage(t, shared.browser, shared.http.url);
  await createClient(page, name, chaos.urlFor(name), { reconnect });
  await call(page, name, 'startSending', 25);
  // The longest the refusals can take: each retry within the longer of its delay ceiling and the
  // browser's hold, plus 5 s for the handshakes on a loaded machine.
  const longest = Array.from({ length: refusals }, (_, n) => retryWithinMs(ceiling(reconnect, n), n + 1)).reduce((a, b) => a + b, 0);
  await waitForClient(page, name, (log) => log.opens === 1, { timeoutMs: longest + 5000, what: 'the open after the refusals' });
  await sleep(100);
  const log = await settle(page, name, chaos, name);

  const attempts = chaos.attemptsOf(name);
  assert.deepEqual(
    attempts.map((a) => a.outcome),
    [...Array(refusals).fill('refused'), 'accepted'],
    `${refusals} refused attempts, then one accepted`,
  );
  const reconnecting = eventsOf(log, 'reconnecting');
  const failures = failedAttemptCloses(log);
  assert.equal(reconnecting.length, refusals, 'one reconnecting event per refusal');
  assert.equal(failures.length, refusals, 'one close event per refusal');
  const gaps = [];
  // The earliest moment attempt n+1 can start, from the page's stamp taken before the client was
  // constructed (so before it read its clock for the first attempt): each earlier attempt failed,
  // then waited its drawn delay. Lower bounds are measured from it: any stamp the page takes after
  // the client read its clock (an event's, a socket's) can be late by whatever a loaded machine
  // makes it wait.
  const earliest = (n) => log.createdAt + reconnecting.slice(0, n).reduce((sum, r) => sum + r.delay, 0);
  for (let n = 0; n < refusals; n += 1) {
    const { attempt, delay } = reconnecting[n];
    assert.equal(attempt, n + 1, `reconnecting event ${n + 1} numbers its attempt`);
    const max = ceiling(reconnect, n);
    if (reconnect.jitter === 'none') assert.equal(delay, max, `retry ${n}: no jitter, exactly min(maxDelay, minDelay * factor^${n})`);
    else assertWithin(delay, 0, max, `retry ${n}: full jitter, within [0, min(maxDelay, minDelay * factor^${n})]`);
    assert.equal(failures[n].code, 1006, `refusal ${n + 1}: the close event says 1006`);
    // The client's own schedule: the wait began when attempt n+1 failed, after its socket was
    // created, so socket n+2 was created no sooner than the drawn delay after socket n+1.
    assertWithin(log.sockets[n + 1].at - earliest(n + 1), -CLOCK_SLACK_MS, Infinity, `socket ${n + 2} created no sooner than the delays drawn so far`);
    // From above, from the refusal's close event (however long the 503 took to come back).
    assertWithin(log.sockets[n + 1].at - failures[n].at, -Infinity, delay + TOLERANCE_MS, `socket ${n + 2} created after refusal ${n + 1} (drawn delay ${delay})`);
    // What the server saw: attempt n+2 cannot arrive sooner either (measured from the page's
    // stamp, this holds even when the server's event loop stamped attempt n+1 late, which
    // shortens the gap between two of its own stamps).
    assertWithin(attempts[n + 1].at - earliest(n + 1), -CLOCK_SLACK_MS, Infinity, `attempt ${n + 2} at the server, no sooner than the delays drawn so far`);
    gaps.push(Math.round(attempts[n + 1].at - attempts[n].at));
    // Firefox's hold after n + 1 refusals runs from the refusal as the browser saw it, which
    // follows the server's refusal of attempt n + 1: the gap at the server is no shorter (0 in
    // the other engines), and the attempt comes within the longer of delay and hold.
    const holdMin = handshakeHoldMinMs(n + 1);
    assertWithin(attempts[n + 1].at - attempts[n].at, holdMin - CLOCK_SLACK_MS, Infinity, `attempt ${n + 2} at the server no sooner than the browser's hold after ${n + 1} refusals`);
    const afterRefusal = attempts[n + 1].at - failures[n].at;
    assertWithin(afterRefusal, -Infinity, retryWithinMs(delay, n + 1) + TOLERANCE_MS, `attempt ${n + 2} at the server after refusal ${n + 1} (drawn delay ${delay}, browser's hold up to ${handshakeHoldMs(n + 1)})`);
  }
  t.diagnostic(`${name}: delays drawn ${JSON.stringify(reconnecting.map((r) => r.delay))}, gaps seen by the server ${JSON.stringify(gaps)}`);
  if (ENGINE === 'firefox') {
    t.diagnostic(`${name}: Firefox's own hold after 1..${refusals} refusals, bounds ${JSON.stringify(reconnecting.map((_, n) => [handshakeHoldMinMs(n + 1), handshakeHoldMs(n + 1)]))} ms`);
  }
  assert.ok(log.sent.every((m) => m.readyState === 0 || m.open === 1), 'sends before the open were queued');
  assertDelivery(t, log, chaos, name);
  await assertOneConnectionAtATime(chaos, name, t);
  assertCleanPage(errors, log);
}

test('upgrade refused 4 times then accepted, jitter none: the server sees exactly 100, 200, 400, 800 ms (Firefox: or its longer hold)', { timeout: 30_000 }, async (t) => {
  await refusedThenAccepted(t, 'bn', { minDelay: 100, factor: 2, maxDelay: 5000, jitter: 'none' }, 4);
});

test('upgrade refused 6 times then accepted, full jitter: each gap within [0, min(maxDelay, 100 * 2^n)] (Firefox: or its longer hold)', { timeout: 30_000 }, async (t) => {
  await refusedThenAccepted(t, 'bf', { minDelay: 100, factor: 2, maxDelay: 1000, jitter: 'full' }, 6);
});

test('stalled handshake: abandoned after connectTimeout, counted as a failed attempt, then backoff', { timeout: 30_000 }, async (t) => {
  const chaos = await startChaosServer();
  t.after(() => chaos.dispose());
  const stalls = 3;
  chaos.stall(stalls);
  // connectTimeout well above what the accepted handshake can take on a loaded machine (one took
  // over 400 ms once, and was abandoned like a stalled one).
  const reconnect = { minDelay: 100, factor: 2, maxDelay: 5000, jitter: 'none', connectTimeout: 1000 };
  const { page, errors } = await openFaultPage(t, shared.browser, shared.http.url);
  await createClient(page, 'st', chaos.urlFor('st'), { reconnect });
  await call(page, 'st', 'startSending', 25);
  await waitForClient(page, 'st', (log) => log.opens === 1, { timeoutMs: 10_000, what: 'the open after the stalls' });
  await sleep(100);
  const log = await settle(page, 'st', chaos, 'st');

  const attempts = chaos.attemptsOf('st');
  assert.deepEqual(attempts.map((a) => a.outcome), [...Array(stalls).fill('stalled'), 'accepted']);
  const failures = failedAttemptCloses(log);
  assert.equal(failures.length, stalls);
  assert.equal(log.sockets.length, stalls + 1, 'one socket per attempt');
  const reconnecting = eventsOf(log, 'reconnecting');
  // The earliest moment attempt n+1 can start, from the page's stamp taken before the client was
  // constructed (so before it read its clock for the first attempt): each attempt before it took
  // at least connectTimeout, then its backoff delay. Every lower bound below is measured from it:
  // any stamp the page takes after the client read its clock (an event's, a socket's) can be late
  // by whatever a loaded machine makes it wait, a garbage collection in the constructor included.
  const earliest = (n) => log.createdAt + Array.from({ length: n }, (_, k) => reconnect.connectTimeout + ceiling(reconnect, k)).reduce((a, b) => a + b, 0);
  // Firefox counts the first abandoned handshake as a failure and holds the next one (up to
  // handshakeHoldMs(1) from the abandon); a later abandon, with that failure known, is not counted
  // (measured), and the first one's hold has long run out by then: only attempt 2 is held.
  // `heldUntil(n)`: the latest the browser can hold attempt n + 1 (0-based n), from the page's
  // close event of the abandon before it, which follows the abandon as the browser saw it.
  const heldUntil = (n) => (n === 1 ? failures[0].at + handshakeHoldMs(1) : -Infinity);
  for (let n = 0; n < stalls; n += 1) {
    const failure = failures[n];
    assert.deepEqual(
      { code: failure.code, reason: failure.reason, wasClean: failure.wasClean, readyState: failure.readyState },
      { code: 1006, reason: 'connect timeout', wasClean: false, readyState: 0 },
      `stall ${n + 1}: the client gave up on the handshake`,
    );
    const delay = ceiling(reconnect, n);
    assert.equal(reconnecting[n].delay, delay, `stall ${n + 1}: the backoff continues (attempt ${n + 1})`);
    // Upper bounds from the socket's creation (stamped as its constructor is entered), which is no
    // earlier than the moment the client started the attempt.
    const created = log.sockets[n].at;
    const next = log.sockets[n + 1].at;
    assertWithin(failure.at - earliest(n), reconnect.connectTimeout - CLOCK_SLACK_MS, Infinity, `stall ${n + 1}: handshake kept for connectTimeout`);
    assertWithin(failure.at - created, -Infinity, reconnect.connectTimeout + TOLERANCE_MS, `stall ${n + 1}: handshake abandoned after connectTimeout`);
    assertWithin(attempts[n].at - created, -CLOCK_SLACK_MS, Math.max(0, heldUntil(n) - created) + TOLERANCE_MS, `stall ${n + 1}: the server saw the attempt when it started (or the browser's hold ended)`);
    // The wait began when the handshake was abandoned.
    assertWithin(next - earliest(n + 1), -CLOCK_SLACK_MS, Infinity, `stall ${n + 1}: socket ${n + 2} created after connectTimeout, then the delay`);
    assertWithin(next - failure.at, -Infinity, delay + TOLERANCE_MS, `stall ${n + 1}: socket ${n + 2} created within the delay of the abandon`);
    assertWithin(attempts[n + 1].at - next, -CLOCK_SLACK_MS, Math.max(0, heldUntil(n + 1) - next) + TOLERANCE_MS, `stall ${n + 1}: the server saw attempt ${n + 2} when it started (or the browser's hold ended)`);
    if (n === 0) {
      // The hold, from below: the abandon the browser saw came no sooner than connectTimeout.
      assertWithin(attempts[1].at - earliest(0), reconnect.connectTimeout + handshakeHoldMinMs(1) - CLOCK_SLACK_MS, Infinity, "stall 1: attempt 2 at the server no sooner than connectTimeout and the browser's hold");
    }
    if (ENGINE === 'firefox') {
      // Firefox ends the handshake for the page (close event, next attempt) but leaves its TCP
      // connection open: the server has to end it (measured: still open 100 s later, and after
      // the page and its context were closed).
      assert.equal(attempts[n].peerClosedAt, null, `stall ${n + 1}: Firefox left the stalled TCP connection open`);
    } else {
      // The browser drops the abandoned handshake's TCP connection, so nothing leaks on the server.
      assert.notEqual(attempts[n].peerClosedAt, null, `stall ${n + 1}: the client closed the stalled TCP connection`);
      assertWithin(attempts[n].peerClosedAt - earliest(n), reconnect.connectTimeout - CLOCK_SLACK_MS, Infinity, `stall ${n + 1}: TCP kept until connectTimeout`);
      assertWithin(attempts[n].peerClosedAt - failure.at, -Infinity, TOLERANCE_MS, `stall ${n + 1}: TCP closed when the handshake was abandoned`);
    }
  }
  if (ENGINE === 'firefox') {
    assert.equal(chaos.openTcp, stalls + 1, 'the open connection and every stalled handshake are still TCP connections at the server');
    t.diagnostic(`st: Firefox left the TCP connections of all ${stalls} abandoned handshakes open (the server ends them); attempt 2 reached the server ${Math.round(attempts[1].at - log.sockets[1].at)} ms after its socket was created (the browser's hold)`);
  }
  assertDelivery(t, log, chaos, 'st');
  await assertOneConnectionAtATime(chaos, 'st', t);
  assertCleanPage(errors, log);
});

test('maxRetries: after 1 + maxRetries failed attempts, giveup, CLOSED, the queue dropped with drop events', { timeout: 30_000 }, async (t) => {
  const chaos = await startChaosServer();
  t.after(() => chaos.dispose());
  chaos.refuse();
  const maxRetries = 3;
  const { page, errors } = await openFaultPage(t, shared.browser, shared.http.url);
  await createClient(page, 'g', chaos.urlFor('g'), { reconnect: { minDelay: 50, factor: 2, jitter: 'none', maxRetries } });
  await call(page, 'g', 'startSending', 20);
  await waitForClient(page, 'g', (l) => eventsOf(l, 'giveup').length === 1, { timeoutMs: 5000, what: 'giveup' });
  // Keep sending a little after the give-up: send() must throw InvalidStateError now.
  await sleep(100);
  await call(page, 'g', 'stopSending');
  const quietFrom = chaos.attempts.length;
  await sleep(600);
  const final = await snapshot(page, 'g');

  // The first connection counts as an attempt; maxRetries is the number of retries after it.
  assert.equal(chaos.attemptsOf('g').length, 1 + maxRetries, `1 + ${maxRetries} attempts reached the server`);
  assert.equal(chaos.attempts.length, quietFrom, 'no attempt after the give-up');
  const giveup = eventsOf(final, 'giveup')[0];
  assert.equal(giveup.readyState, 3, 'CLOSED when giveup fires');
  assert.equal(final.readyState, 3);
  assert.equal(final.state, 'closed');
  const lastClose = eventsOf(final, 'close').at(-1);
  assert.equal(lastClose.readyState, 3, 'the last close event says CLOSED: no reconnect follows');
  assert.ok(lastClose.at <= giveup.at, 'close comes before giveup');
  assert.equal(eventsOf(final, 'reconnecting').length, maxRetries);
  assert.ok(final.refused.length > 0 && final.refused.every((r) => r.error === 'InvalidStateError'), 'send() after giveup throws InvalidStateError');
  assert.ok(final.refused.every((r) => r.at >= giveup.at), 'send() was refused only after giveup');
  const r = assertDelivery(t, final, chaos, 'g', { expectDrops: 'giveup' });
  assert.equal(r.droppedWithEvent.length, r.sent, 'every message sent before giveup was dropped with a drop event');
  assert.equal(final.stats.dropped, r.sent, 'stats.dropped counts them');
  assertCleanPage(errors, final);
});
