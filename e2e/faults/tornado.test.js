// Seed 004's server in the fault matrix: a Tornado WebSocketHandler echo server
// (../support/tornado_echo.py: check_origin, write_message, websocket_ping_interval) behind Debian's
// nginx configured as the seed writes it: proxy_http_version 1.1, Host $host, Upgrade "websocket",
// Connection "Upgrade" and proxy_read_timeout (3 s here, not the seed's 86400 s, so that the cut of
// an idle connection is seen within a test). The seed's three ways of keeping the connection, each
// against this stack: the proxy's timeout, a heartbeat (the client's, and Tornado's own pings) and
// reconnection; then the server process killed and restarted; then a refused Origin.
//
// Firefox holds every handshake after failed ones to the same host, port and path (a cut without
// a close frame, a 502 or 403 answer: handshakeHoldMs in ../support/browser.js): each bound on a
// reconnection that follows failures allows the longer of the client's delay and that hold.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ENGINE, handshakeHoldMinMs, handshakeHoldMs } from '../support/browser.js';
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
  failedAttemptCloses,
  now,
  openFaultPage,
  retryWithinMs,
  sleep,
  snapshot,
  waitForClient,
} from '../support/fault-harness.js';
import { NGINX_EARLY_MS, NGINX_TIMER_SLACK_MS, startNginx } from '../support/nginx.js';
import { startTornado } from '../support/tornado.js';
import { useBrowser } from '../support/fixtures.js';

const shared = useBrowser({ staticServer: true });

/** Seed 004's `location` block, less its path and its read timeout. */
const SEED_004_PROXY_HEADERS = { Host: '$host', Upgrade: '"websocket"', Connection: '"Upgrade"' };
const READ_TIMEOUT_MS = 3000;
/** Tornado's pings when they are not what keeps the connection up: the first comes after the cut. */
const RARE_PING_MS = 2 * READ_TIMEOUT_MS;
/** How long a connection must stay up to have outlived several read timeouts. */
const UP_FOR_MS = 5 * READ_TIMEOUT_MS;
/** The client's heartbeat: Tornado echoes the ping, so the echo is the pong. */
const HEARTBEAT = { interval: 1000, timeout: 1000, message: 'ping', pong: 'ping' };

/** The origin the test page is loaded from: the one the browser sends in every handshake. */
const pageOrigin = () => new URL(shared.http.url).origin;

async function seedStack(t, { origin = pageOrigin(), pingIntervalMs = RARE_PING_MS } = {}) {
  const tornado = await startTornado({ origin, pingIntervalMs });
  t.after(() => tornado.dispose());
  const nginx = await startNginx({
    upstreamPort: tornado.port,
    readTimeout: `${READ_TIMEOUT_MS / 1000}s`,
    proxyHeaders: SEED_004_PROXY_HEADERS,
  });
  t.after(() => nginx.stop());
  return { tornado, nginx, url: (client) => `${nginx.url}?client=${client}` };
}

/**
 * Stops the sender and waits until the client is OPEN with an empty queue and the echo of the last
 * message sent is back: Tornado logs a message before it echoes it, so its record has them all.
 */
async function settleEcho(page, name) {
  await call(page, name, 'stopSending');
  const last = (await snapshot(page, name)).sent.at(-1).data;
  return waitForClient(page, name, (log) => log.readyState === 1 && log.stats.queued === 0 && log.messages.some((m) => m.data === last), {
    what: `the echo of ${last} on an open connection`,
  });
}

test('Tornado behind nginx, proxy_read_timeout 3s, no heartbeat: cut every ~3 s, reconnected, queued messages replayed', { timeout: 30_000 }, async (t) => {
  const { tornado, nginx, url } = await seedStack(t);
  const { page, errors } = await openFaultPage(t, shared.browser, shared.http.url);
  const minDelay = 100;
  await createClient(page, 'n', url('n'), { reconnect: { minDelay, jitter: 'none', minUptime: 0 } });
  // Three messages from inside every close event: the client is CONNECTING then, so they are
  // queued and must be replayed on the next connection. Nothing else is sent: traffic in either
  // direction would re-arm nginx's timer.
  await call(page, 'n', 'sendOn', 'close', 3);
  await waitForClient(page, 'n', (log) => log.opens === 1, { what: 'first open' });
  await waitForClient(page, 'n', (l) => l.opens === 3, {
    timeoutMs: 2 * (READ_TIMEOUT_MS + NGINX_TIMER_SLACK_MS + retryWithinMs(minDelay, 1) + TOLERANCE_MS) + 1000,
    what: 'two cuts and reconnections',
  });
  const log = await settleEcho(page, 'n');

  const opens = eventsOf(log, 'open');
  const closes = connectionCloses(log);
  assert.ok(closes.length >= 2, 'nginx cut the connection twice');
  assert.equal(log.sockets.length, log.opens, 'one socket per connection, none failed');
  for (let i = 0; i < 2; i += 1) {
    assert.deepEqual({ code: closes[i].code, wasClean: closes[i].wasClean, readyState: closes[i].readyState }, { code: 1006, wasClean: false, readyState: 0 }, `cut ${i + 1}: no close frame, a reconnect follows`);
    // As in nginx.test.js: the last traffic on connection i is its open (and the replay echoed
    // right after it), so from the socket's creation to its native close event at least the
    // timeout, and from the open event to the product's close event at most the timeout and slack.
    assertWithin(log.sockets[i].closedAt - log.sockets[i].at, READ_TIMEOUT_MS - NGINX_EARLY_MS, Infinity, `connection ${i + 1}: socket to cut`);
    assertWithin(closes[i].at - opens[i].at, -Infinity, READ_TIMEOUT_MS + NGINX_TIMER_SLACK_MS + TOLERANCE_MS, `connection ${i + 1}: open to cut`);
    assertWithin(log.sockets[i + 1].at - log.sockets[i].closedAt, minDelay - CLOCK_SLACK_MS, Infinity, `cut ${i + 1} to the next socket`);
    // The cut is a failure to Firefox, which may hold the next handshake longer than minDelay.
    assertWithin(opens[i + 1].at - closes[i].at, -Infinity, retryWithinMs(minDelay, 1) + TOLERANCE_MS, `cut ${i + 1} to the next open (browser's hold up to ${handshakeHoldMs(1)} ms)`);
  }
  t.diagnostic(`n: connection lifetimes behind nginx: ${JSON.stringify(closes.map((c, i) => Math.round(c.at - opens[i].at)))} ms; cut to the next open ${JSON.stringify([0, 1].map((i) => Math.round(opens[i + 1].at - closes[i].at)))} ms`);
  assert.match(await nginx.errorLog(), /upstream timed out .* while proxying upgraded connection/, 'nginx says it was its read timeout');
  const record = await tornado.record();
  const cut = record.connectionsOf('n').slice(0, 2);
  assert.deepEqual(cut.map((c) => c.closedAt !== null && c.closeCode === null), [true, true], 'Tornado saw both cut connections end, with no close code');
  assert.deepEqual(record.pongs, [], `no ping of Tornado's (every ${RARE_PING_MS} ms) came before a cut`);
  const r = assertDelivery(t, log, record, 'n', { lossAllowed: () => true });
  assert.ok(r.queued >= 6, 'messages were queued during the cuts');
  assert.equal(r.lostInFlight.length, 0, 'nothing was sent directly, so nothing is lost in flight');
  assert.deepEqual(log.messages.map((m) => m.data), log.sent.map((m) => m.data), 'Tornado echoed every message through nginx once, in order');
  await assertOneConnectionAtATime(record, 'n', t);
  assertCleanPage(errors, log);
});

test('Tornado behind nginx, proxy_read_timeout 3s, client heartbeat every 1 s: the connection stays up for 15 s', { timeout: 40_000 }, async (t) => {
  const { tornado, url } = await seedStack(t);
  const { page, errors } = await openFaultPage(t, shared.browser, shared.http.url);
  await createClient(page, 'h', url('h'), { heartbeat: HEARTBEAT, reconnect: { minDelay: 100, jitter: 'none' } });
  await waitForClient(page, 'h', (log) => log.opens === 1, { what: 'first open' });
  await call(page, 'h', 'sendNext');
  await sleep(UP_FOR_MS);
  await call(page, 'h', 'sendNext');
  const log = await settleEcho(page, 'h');

  assert.equal(eventsOf(log, 'close').length, 0, `no close in ${UP_FOR_MS} ms`);
  assert.equal(log.opens, 1, 'no reconnect');
  const record = await tornado.record();
  assert.equal(record.connectionsOf('h').length, 1, 'Tornado saw one connection');
  const heartbeats = eventsOf(log, 'heartbeat');
  assert.ok(heartbeats.length >= Math.floor(UP_FOR_MS / (HEARTBEAT.interval + TOLERANCE_MS)), `a heartbeat round trip about every ${HEARTBEAT.interval} ms (${heartbeats.length})`);
  // Tornado's own pings, too rare to keep nginx's timer from expiring, went through it both ways.
  assert.ok(record.pongs.length >= Math.floor(UP_FOR_MS / RARE_PING_MS), `the browser answered Tornado's pings every ${RARE_PING_MS} ms (${record.pongs.length})`);
  t.diagnostic(`h: ${heartbeats.length} heartbeats in ${UP_FOR_MS} ms, rtt max ${Math.max(...heartbeats.map((e) => e.rtt))} ms; ${record.pongs.length} pongs to Tornado`);
  assertDelivery(t, log, record, 'h');
  assertCleanPage(errors, log);
});

test("Tornado behind nginx, proxy_read_timeout 3s, no client heartbeat: Tornado's websocket_ping_interval 1 s keeps the connection up for 15 s", { timeout: 40_000 }, async (t) => {
  const pingIntervalMs = 1000;
  const { tornado, nginx, url } = await seedStack(t, { pingIntervalMs });
  const { page, errors } = await openFaultPage(t, shared.browser, shared.http.url);
  await createClient(page, 's', url('s'), { reconnect: { minDelay: 100, jitter: 'none' } });
  await waitForClient(page, 's', (log) => log.opens === 1, { what: 'first open' });
  await call(page, 's', 'sendNext');
  await sleep(UP_FOR_MS);
  await call(page, 's', 'sendNext');
  const log = await settleEcho(page, 's');

  assert.equal(eventsOf(log, 'close').length, 0, `no close in ${UP_FOR_MS} ms`);
  assert.equal(log.opens, 1, 'no reconnect');
  assert.doesNotMatch(await nginx.errorLog(), /upstream timed out/, "nginx's read timeout never expired");
  const record = await tornado.record();
  assert.equal(record.connectionsOf('s').length, 1, 'Tornado saw one connection');
  // The page's protocol pong for every ping: the traffic that re-armed nginx's timer.
  assert.ok(record.pongs.length >= Math.floor(UP_FOR_MS / (pingIntervalMs + TOLERANCE_MS)), `the browser answered a ping of Tornado's about every ${pingIntervalMs} ms (${record.pongs.length})`);
  const gaps = record.pongs.slice(1).map((p, i) => p.at - record.pongs[i].at);
  assertWithin(Math.max(...gaps), -Infinity, READ_TIMEOUT_MS - NGINX_EARLY_MS, 'the longest quiet time on the connection, pong to pong');
  t.diagnostic(`s: ${record.pongs.length} pongs in ${UP_FOR_MS} ms, longest gap ${Math.round(Math.max(...gaps))} ms`);
  assertDelivery(t, log, record, 's');
  assertCleanPage(errors, log);
});

test('Tornado behind nginx: server process killed and restarted on the same port, queue replayed', { timeout: 30_000 }, async (t) => {
  const { tornado, nginx, url } = await seedStack(t);
  const { page, errors } = await openFaultPage(t, shared.browser, shared.http.url);
  const maxDelay = 400;
  await createClient(page, 'k', url('k'), { reconnect: { minDelay: 50, maxDelay, factor: 2, jitter: 'full', minUptime: 0 } });
  await waitForClient(page, 'k', (log) => log.opens === 1, { what: 'first open' });
  await call(page, 'k', 'startSending', 30);
  await sleep(300);
  await tornado.stop();
  // Restarted only once a retry has found it down, so that the downtime is seen whatever the load.
  await waitForClient(page, 'k', (log) => failedAttemptCloses(log).length >= 1, { timeoutMs: maxDelay + 3000, what: 'a failed attempt while Tornado is down' });
  // The port accepts connections a moment before start() has seen it do so (it polls), and a
  // retry can land in that moment: the open comes after the spawn and at most one backoff delay
  // after start() returned.
  const spawnedAt = now();
  await tornado.start();
  const upAt = now();
  // A deadline for the wait, not a bound: the bound follows, from the failures it took.
  const reopened = await waitForClient(page, 'k', (log) => log.opens === 2, { timeoutMs: 10_000, what: 'the reconnection' });
  const reopenedAt = eventsOf(reopened, 'open')[1].at;
  // The failures in a row before the open: the kill (no close frame) and every failed attempt.
  const failuresBefore = 1 + failedAttemptCloses(reopened).length;
  assertWithin(reopenedAt - spawnedAt, -CLOCK_SLACK_MS, Infinity, 'server process spawned to the client open');
  assertWithin(reopenedAt - upAt, -Infinity, retryWithinMs(maxDelay, failuresBefore) + TOLERANCE_MS, `server up to the client open (after ${failuresBefore} failures; browser's hold up to ${handshakeHoldMs(failuresBefore)} ms)`);
  await sleep(300);
  const log = await settleEcho(page, 'k');

  const [close] = connectionCloses(log);
  assert.deepEqual({ code: close.code, readyState: close.readyState }, { code: 1006, readyState: 0 }, 'the killed server: 1006, a reconnect follows');
  const failures = failedAttemptCloses(log);
  assert.ok(failures.every((f) => f.code === 1006), 'every attempt while Tornado was down: 1006');
  // nginx logs a request when it ends: the first connection's at the kill, the second's not yet.
  const statuses = (await nginx.requests()).filter((r) => r.client === 'k').map((r) => r.status);
  assert.deepEqual(statuses, [101, ...failures.map(() => 502)], 'nginx: the first connection, then a 502 for every attempt while Tornado was down');
  const record = await tornado.record();
  assert.equal(record.connectionsOf('k').length, 2, 'Tornado saw two connections');
  assertDelivery(t, log, record, 'k', { lossAllowed: (open) => open === 1 });
  // What came back: each message at most once, in order, and everything sent on the second connection.
  const back = log.messages.map((m) => Number(m.data.slice(2)));
  assert.deepEqual(back, [...new Set(back)].sort((a, b) => a - b), 'echoes arrived once each, in order');
  const onSecond = log.sent.filter((m) => !m.direct || m.open === 2).map((m) => m.n);
  assert.deepEqual(onSecond.filter((n) => !back.includes(n)), [], 'everything queued or sent on the new connection was echoed');
  await assertOneConnectionAtATime(record, 'k', t);
  assertCleanPage(errors, log);
});

test("Tornado's check_origin refuses the page's Origin (403): error and close 1006 each time, retried on the backoff schedule, connected once the origin is allowed", { timeout: 30_000 }, async (t) => {
  // The server starts with another site's origin allowed, then is restarted with the page's.
  const { tornado, nginx, url } = await seedStack(t, { origin: 'http://elsewhere.invalid' });
  const { page, errors } = await openFaultPage(t, shared.browser, shared.http.url);
  const reconnect = { minDelay: 100, factor: 2, maxDelay: 1600, jitter: 'none', minUptime: 0 };
  const refusals = 3;
  await createClient(page, 'o', url('o'), { reconnect });
  await call(page, 'o', 'startSending', 50);
  await waitForClient(page, 'o', (log) => failedAttemptCloses(log).length >= refusals, { what: `${refusals} refused handshakes` });
  await tornado.stop();
  await tornado.start({ origin: pageOrigin() });
  await waitForClient(page, 'o', (log) => log.opens === 1, { timeoutMs: 10_000, what: 'the open once the origin is allowed' });
  const log = await settleEcho(page, 'o');

  const failures = failedAttemptCloses(log);
  const reconnecting = eventsOf(log, 'reconnecting');
  const attempts = failures.length + 1;
  assert.ok(failures.length >= refusals, `at least ${refusals} failed attempts`);
  assert.equal(log.sockets.length, attempts, 'one socket per attempt');
  assert.deepEqual(
    log.events.filter((e) => ['error', 'close', 'reconnecting', 'open'].includes(e.type)).map((e) => e.type),
    [...failures.flatMap(() => ['error', 'close', 'reconnecting']), 'open'],
    'each failed attempt: an error event, a close event, then the retry is scheduled; then the open',
  );
  assert.ok(failures.every((f) => f.code === 1006 && !f.wasClean), 'every failed attempt closed with 1006, not clean');

  // Who refused: nginx logged one line per failed attempt (the open connection's comes when it
  // ends). Tornado's 403s first; then, if an attempt fell in the restart, nginx's own 502.
  const statuses = (await nginx.requests()).filter((r) => r.client === 'o').map((r) => r.status);
  const forbidden = statuses.filter((s) => s === 403).length;
  assert.ok(forbidden >= refusals, `at least ${refusals} attempts got Tornado's 403 (${JSON.stringify(statuses)})`);
  assert.deepEqual(statuses, [...Array(forbidden).fill(403), ...Array(failures.length - forbidden).fill(502)], 'nginx: 403s, then 502s while Tornado restarted');
  const record = await tornado.record();
  const [first, second] = [...new Set(record.handshakes.map((h) => h.pid))];
  const refused = record.handshakes.filter((h) => h.pid === first);
  assert.ok(refused.every((h) => h.origin === pageOrigin() && !h.accepted), "the first process saw the page's origin and refused it every time");
  // The kill can fall between check_origin's refusal and its 403 leaving Tornado: nginx then
  // answers that attempt with a 502 instead.
  assertWithin(refused.length, forbidden, forbidden + 1, 'refusals Tornado recorded, against the 403s nginx relayed');
  assert.deepEqual(
    record.handshakes.filter((h) => h.pid === second).map((h) => ({ origin: h.origin, accepted: h.accepted })),
    [{ origin: pageOrigin(), accepted: true }],
    'the restarted process accepted the next handshake',
  );
  assert.equal(record.connectionsOf('o').length, 1, 'one connection, on the restarted process');

  // The backoff schedule (jitter none: exactly min(maxDelay, minDelay * factor^n)), as in
  // backoff.test.js: lower bounds from the page's stamp before the client was constructed, upper
  // bounds from each failure's close event.
  const ceiling = (n) => Math.min(reconnect.maxDelay, reconnect.minDelay * reconnect.factor ** n);
  const earliest = (n) => log.createdAt + reconnecting.slice(0, n).reduce((sum, r) => sum + r.delay, 0);
  for (let n = 0; n < failures.length; n += 1) {
    assert.deepEqual({ attempt: reconnecting[n].attempt, delay: reconnecting[n].delay }, { attempt: n + 1, delay: ceiling(n) }, `retry ${n + 1}: min(maxDelay, minDelay * factor^${n})`);
    assertWithin(log.sockets[n + 1].at - earliest(n + 1), -CLOCK_SLACK_MS, Infinity, `socket ${n + 2} created no sooner than the delays drawn so far`);
    assertWithin(log.sockets[n + 1].at - failures[n].at, -Infinity, ceiling(n) + TOLERANCE_MS, `socket ${n + 2} created after failure ${n + 1}`);
  }
  // What Tornado saw of it: each refused handshake after the previous failure's delay, and so the
  // accepted one.
  const seen = [...refused.slice(0, forbidden), ...record.handshakes.filter((h) => h.pid === second)];
  const retries = [...Array(forbidden).keys(), failures.length].slice(1);
  seen.slice(1).forEach((h, i) => {
    const n = retries[i];
    assertWithin(h.at - earliest(n), -CLOCK_SLACK_MS, Infinity, `attempt ${n + 1} at Tornado, no sooner than the delays drawn so far`);
    assertWithin(h.at - failures[n - 1].at, -Infinity, retryWithinMs(ceiling(n - 1), n) + TOLERANCE_MS, `attempt ${n + 1} at Tornado after failure ${n} (browser's hold up to ${handshakeHoldMs(n)} ms)`);
    // Firefox's hold runs from the failure as it saw it, after Tornado refused the attempt
    // before: from below, where that attempt is the one Tornado saw last (not a 502 of nginx's).
    if (n - 1 === [0, ...retries][i]) {
      assertWithin(h.at - seen[i].at, handshakeHoldMinMs(n) - CLOCK_SLACK_MS, Infinity, `attempt ${n + 1} at Tornado no sooner than the browser's hold after ${n} failures`);
    }
  });
  if (ENGINE === 'firefox') t.diagnostic(`o: Firefox's hold after each failure, bounds ${JSON.stringify(failures.map((_, n) => [handshakeHoldMinMs(n + 1), handshakeHoldMs(n + 1)]))} ms`);
  t.diagnostic(`o: nginx statuses ${JSON.stringify(statuses)}, delays ${JSON.stringify(reconnecting.map((r) => r.delay))}`);
  assert.ok(log.sent.some((m) => !m.direct), 'messages were sent before the open');
  assertDelivery(t, log, record, 'o');
  await assertOneConnectionAtATime(record, 'o', t);
  assertCleanPage(errors, log);
});
