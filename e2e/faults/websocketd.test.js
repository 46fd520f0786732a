// A second, independent server implementation: Debian's websocketd (Go) running a shell echo per
// connection. Basic echo, then the server process is killed and started again on the same port.
// The kill and every refused attempt are failures to Firefox, which holds the next handshake
// (handshakeHoldMs in ../support/browser.js): the reconnection is bounded by the longer of
// maxDelay and that hold.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { handshakeHoldMs } from '../support/browser.js';
import {
  CLOCK_SLACK_MS,
  TOLERANCE_MS,
  assertCleanPage,
  assertDelivery,
  assertWithin,
  call,
  connectionCloses,
  createClient,
  failedAttemptCloses,
  now,
  openFaultPage,
  retryWithinMs,
  sleep,
  snapshot,
  waitForClient,
} from '../support/fault-harness.js';
import { startWebsocketd } from '../support/websocketd.js';
import { useBrowser } from '../support/fixtures.js';

const shared = useBrowser({ staticServer: true });

test('websocketd: echo, server process killed and restarted on the same port, queue replayed', { timeout: 30_000 }, async (t) => {
  const server = await startWebsocketd();
  t.after(() => server.dispose());
  const { page, errors } = await openFaultPage(t, shared.browser, shared.http.url);
  const maxDelay = 400;
  await createClient(page, 'd', server.url, { reconnect: { minDelay: 50, maxDelay, factor: 2, jitter: 'full', minUptime: 0 } });
  await waitForClient(page, 'd', (log) => log.opens === 1, { what: 'first open' });

  await call(page, 'd', 'sendNext');
  const echoed = await waitForClient(page, 'd', (log) => log.messages.length === 1, { what: 'the echo of m:1' });
  assert.equal(echoed.messages[0].data, 'm:1', 'websocketd echoed the first message');

  await call(page, 'd', 'startSending', 30);
  await sleep(300);
  await server.stop();
  await sleep(300);
  // The port accepts connections a moment before start() has seen it do so (it polls), and a
  // retry can land in that moment: the open comes after the spawn and at most one backoff delay
  // after start() returned.
  const spawnedAt = now();
  await server.start();
  const upAt = now();
  // A deadline for the wait, not a bound: the bound follows, from the failures it took.
  const reopened = await waitForClient(page, 'd', (log) => log.opens === 2, { timeoutMs: 10_000, what: 'the reconnection' });
  const reopenedAt = reopened.events.filter((e) => e.type === 'open')[1].at;
  // The failures in a row before the open: the kill (no close frame) and every refused attempt.
  const failuresBefore = 1 + failedAttemptCloses(reopened).length;
  assertWithin(reopenedAt - spawnedAt, -CLOCK_SLACK_MS, Infinity, 'server process spawned to the client open');
  assertWithin(reopenedAt - upAt, -Infinity, retryWithinMs(maxDelay, failuresBefore) + TOLERANCE_MS, `server up to the client open (after ${failuresBefore} failures; browser's hold up to ${handshakeHoldMs(failuresBefore)} ms)`);
  await sleep(300);
  await call(page, 'd', 'stopSending');
  const last = (await snapshot(page, 'd')).sent.at(-1).data;
  const log = await waitForClient(page, 'd', (l) => l.stats.queued === 0 && l.messages.some((m) => m.data === last), { what: `the echo of ${last}` });

  const [close] = connectionCloses(log);
  assert.deepEqual({ code: close.code, readyState: close.readyState }, { code: 1006, readyState: 0 }, 'the killed server: 1006, a reconnect follows');
  const record = await server.record();
  assert.equal(record.connections.length, 2, 'websocketd saw two connections');
  assertDelivery(t, log, record, 'd', { lossAllowed: (open) => open === 1 });
  // What came back: each message at most once, in order, and everything sent on the second connection.
  const back = log.messages.map((m) => Number(m.data.slice(2)));
  assert.deepEqual(back, [...new Set(back)].sort((a, b) => a - b), 'echoes arrived once each, in order');
  const onSecond = log.sent.filter((m) => m.readyState !== 1 || m.open === 2).map((m) => m.n);
  assert.deepEqual(onSecond.filter((n) => !back.includes(n)), [], 'everything queued or sent on the new connection was echoed');
  assertCleanPage(errors, log);
});
