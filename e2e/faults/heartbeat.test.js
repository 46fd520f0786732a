// The half-open connection: the server stops reading and answering but keeps TCP open. Nothing in
// the browser notices; only the client's heartbeat does, within interval + timeout.
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
  openFaultPage,
  settle,
  sleep,
  snapshot,
  waitForClient,
} from '../support/fault-harness.js';
import { useBrowser } from '../support/fixtures.js';

const shared = useBrowser({ staticServer: true });

const interval = 300;
const timeout = 300;

test('silent server: only the heartbeat detects it, within interval + timeout', { timeout: 30_000 }, async (t) => {
  const chaos = await startChaosServer();
  t.after(() => chaos.dispose());
  const { page, errors } = await openFaultPage(t, shared.browser, shared.http.url);
  const minDelay = 100;
  await createClient(page, 's', chaos.urlFor('s'), {
    heartbeat: { interval, timeout },
    reconnect: { minDelay, jitter: 'none' },
  });
  await waitForClient(page, 's', (log) => log.opens === 1, { what: 'first open' });
  await call(page, 's', 'startSending', 20);
  // Healthy first: pings are answered, the connection stays.
  await waitForClient(page, 's', (log) => eventsOf(log, 'heartbeat').length >= 2, { what: 'two heartbeat round trips' });

  const [first] = chaos.connectionsOf('s');
  chaos.silenceAll('s');
  const silencedAt = first.silencedAt;
  // The last thing the client received: the last pong (or nothing since the open).
  const lastInbound = first.lastSentAt ?? first.openedAt;
  await chaos.waitFor((c) => c.connectionsOf('s').length === 2, { timeoutMs: 5000, what: 'a new connection after the heartbeat timeout' });
  await sleep(200);
  const log = await settle(page, 's', chaos, 's');

  const [close] = connectionCloses(log);
  assert.deepEqual(
    { code: close.code, reason: close.reason, wasClean: close.wasClean, readyState: close.readyState },
    { code: 4000, reason: 'heartbeat timeout', wasClean: false, readyState: 0 },
    'the heartbeat, not the browser, closed the connection',
  );
  assert.equal(eventsOf(log, 'error', silencedAt).length, 0, 'the browser itself reported nothing');
  // The ping goes out `interval` after the last inbound traffic; death is declared `timeout` later.
  assertWithin(close.at - lastInbound, interval + timeout - CLOCK_SLACK_MS, interval + timeout + TOLERANCE_MS, 'last inbound traffic to the heartbeat close');
  assertWithin(close.at - silencedAt, 0, interval + timeout + TOLERANCE_MS, 'silence to the heartbeat close');
  const [, second] = chaos.attemptsOf('s');
  // From below, from the last inbound traffic (the close event's listener runs after the client
  // read its clock, and a loaded machine can delay it); from above, from the close event.
  assertWithin(second.at - lastInbound, interval + timeout + minDelay - CLOCK_SLACK_MS, Infinity, 'last inbound traffic to the next attempt');
  assertWithin(second.at - close.at, -Infinity, minDelay + TOLERANCE_MS, 'heartbeat close to the next attempt');
  // The silent connection is still up on the server: the client's close frame is never read.
  assert.equal(chaos.zombies('s').length, 1, 'the silenced connection is a zombie on the server');
  assertDelivery(t, log, chaos, 's', { lossAllowed: (open) => open === 1 });
  await assertOneConnectionAtATime(chaos, 's', t);
  assertCleanPage(errors, log);
});

test('silent server without heartbeat: nothing notices (the control for the test above)', { timeout: 30_000 }, async (t) => {
  const chaos = await startChaosServer();
  t.after(() => chaos.dispose());
  const { page, errors } = await openFaultPage(t, shared.browser, shared.http.url);
  await createClient(page, 'q', chaos.urlFor('q'), { reconnect: { minDelay: 100, jitter: 'none' } });
  await waitForClient(page, 'q', (log) => log.opens === 1, { what: 'first open' });
  await call(page, 'q', 'startSending', 50);
  await sleep(100);
  chaos.silenceAll('q');
  const waitMs = 3 * (interval + timeout);
  await sleep(waitMs);
  await call(page, 'q', 'stopSending');
  const log = await snapshot(page, 'q');
  assert.equal(log.readyState, 1, `still OPEN ${waitMs} ms after the server went silent`);
  assert.equal(eventsOf(log, 'close').length, 0, 'no close event');
  assert.equal(chaos.attemptsOf('q').length, 1, 'no reconnect attempt');
  const lost = log.sent.filter((m) => !chaos.messages('q').some((r) => r.data === m.data)).length;
  t.diagnostic(`q: ${lost} of ${log.sent.length} messages handed to the silent connection (lost in flight, undetectable without heartbeat)`);
  assert.ok(lost > 0, 'messages went into the silent connection');
  assertCleanPage(errors, log);
});
