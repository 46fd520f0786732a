// The seed scenarios of issue 5, rewritten on ResilientWebSocket with no hand-written reconnect,
// heartbeat or queue code (../../../shared/seeds/):
//
// - seed 000, a Vue page: a `heartCheck` object sends JSON `{heart:1}` after a quiet period, closes
//   the socket if nothing answers, and `reconnect()` reopens on every close/error with setTimeout;
//   on every open it sends `{id:'a1b2c3'}`. Here: the `heartbeat` option with that JSON message and
//   a `pong` predicate, against a chaos server that answers the JSON heartbeat; the open handler is
//   all that is left of the page's code.
// - seed 003, a Vue page whose `ws_send()` pushes a message onto `ErrorMsg` when the socket is not
//   OPEN and whose `onopen` resends `ErrorMsg`. Here: plain `ws.send()`; the product queues while
//   not OPEN and replays in order on open.
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

const HEART = JSON.stringify({ heart: 1 });
const HELLO = JSON.stringify({ id: 'a1b2c3' });

test('seed 000: JSON {heart:1} heartbeat and reconnect on close, with no hand-written timers', { timeout: 20_000 }, async (t) => {
  // The server answers the page's JSON heartbeat with JSON of its own.
  const chaos = await startChaosServer({ ping: HEART, pong: JSON.stringify({ heart: 1, pong: true }) });
  t.after(() => chaos.dispose());
  const { page, errors } = await openFaultPage(t, shared.browser, shared.http.url);
  const interval = 300;
  const timeout = 300;
  // The page: options instead of heartCheck/reconnect(); its open handler sends what the seed's
  // websocketonopen() sends. The `pong` predicate is a function, so the client is built in the page.
  await page.evaluate(([url, interval, timeout, heart, hello]) => {
    const client = window.faults.createClient('vue', url, {
      heartbeat: {
        interval,
        timeout,
        message: heart,
        pong: (data) => {
          try {
            const parsed = JSON.parse(data);
            return parsed.heart === 1 && parsed.pong === true;
          } catch {
            return false;
          }
        },
      },
      reconnect: { minDelay: 100, jitter: 'none' },
    });
    client.ws.addEventListener('open', () => client.ws.send(hello));
  }, [chaos.urlFor('vue'), interval, timeout, HEART, HELLO]);

  await waitForClient(page, 'vue', (log) => log.opens === 1 && eventsOf(log, 'heartbeat').length >= 2, {
    what: 'open and two JSON heartbeat round trips',
  });
  await call(page, 'vue', 'startSending', 20);

  // Fault 1: the server crashes and comes back: the page reconnects by itself.
  await sleep(100);
  await chaos.stop();
  await sleep(300);
  await chaos.start();
  await waitForClient(page, 'vue', (log) => log.opens === 2, { what: 'reopen after the restart' });

  // Fault 2: the server goes silent (TCP up, nothing read or answered): only the heartbeat notices.
  await waitForClient(page, 'vue', (log) => eventsOf(log, 'heartbeat').length >= 3, { what: 'a heartbeat on the new connection' });
  const second = chaos.connectionsOf('vue')[1];
  chaos.silenceAll('vue');
  const lastInbound = second.lastSentAt ?? second.openedAt;
  await waitForClient(page, 'vue', (log) => log.opens === 3, { timeoutMs: 5000, what: 'reopen after the silent server' });
  await sleep(150);
  const log = await settle(page, 'vue', chaos, 'vue');

  const closes = connectionCloses(log);
  assert.equal(closes.length, 2, 'one close per fault');
  assert.deepEqual({ code: closes[0].code, readyState: closes[0].readyState }, { code: 1006, readyState: 0 }, 'crash: 1006, a reconnect follows');
  assert.deepEqual(
    { code: closes[1].code, reason: closes[1].reason, readyState: closes[1].readyState },
    { code: 4000, reason: 'heartbeat timeout', readyState: 0 },
    'silent server: closed by the JSON heartbeat, a reconnect follows',
  );
  assertWithin(closes[1].at - lastInbound, interval + timeout - CLOCK_SLACK_MS, interval + timeout + TOLERANCE_MS, 'last inbound traffic to the heartbeat close');

  // The wire: the JSON heartbeat went out (the server classed it as a heartbeat), was answered,
  // and the answers were taken as pongs, not delivered as messages.
  const pings = chaos.messages('vue', { heartbeat: true }).filter((m) => m.heartbeat);
  assert.ok(pings.length >= 3, `the server got the JSON heartbeat (${pings.length} times)`);
  assert.ok(pings.every((m) => m.data === HEART), 'every heartbeat is {"heart":1}');
  assert.ok(eventsOf(log, 'heartbeat').every((e) => e.rtt >= 0), 'heartbeat round trips were measured');
  assert.deepEqual(log.messages, [], 'the JSON pongs were not delivered as message events');
  // The seed's open handler ran on every connection, first thing on each.
  const conns = chaos.connectionsOf('vue');
  assert.equal(conns.length, 3);
  for (const c of conns) {
    const first = chaos.messages('vue').find((m) => m.connection === c.id);
    assert.equal(first?.data, HELLO, `connection ${c.ordinal}: the open handler's message came first`);
  }
  assert.equal(log.stats.reconnects, 2, 'stats.reconnects counts both recoveries');
  // Connection 1 crashed, connection 2 went silent: messages handed to them may be lost in flight.
  assertDelivery(t, log, chaos, 'vue', { lossAllowed: (open) => open === 1 || open === 2 });
  await assertOneConnectionAtATime(chaos, 'vue', t);
  assertCleanPage(errors, log);
});

test('seed 003: messages sent while the server is down arrive exactly once, in order, when it is back', { timeout: 20_000 }, async (t) => {
  const chaos = await startChaosServer();
  t.after(() => chaos.dispose());
  const { page, errors } = await openFaultPage(t, shared.browser, shared.http.url);
  // The page: no ErrorMsg array, no resend loop in onopen; send() is all it calls.
  await createClient(page, 'q', chaos.urlFor('q'), { reconnect: { minDelay: 100, maxDelay: 400, jitter: 'none' } });
  await waitForClient(page, 'q', (log) => log.opens === 1, { what: 'first open' });
  for (let i = 0; i < 3; i += 1) await call(page, 'q', 'sendNext');
  await chaos.waitFor((c) => c.messages('q').length === 3, { what: 'the three messages sent while up' });

  // The server restarts (gracefully, 1001) and stays down a while; the page keeps sending.
  await chaos.stop({ close: { code: 1001, reason: 'restart' } });
  await waitForClient(page, 'q', (log) => log.readyState === 0, { what: 'CONNECTING after the server went away' });
  const whileDown = 20;
  for (let i = 0; i < whileDown; i += 1) await call(page, 'q', 'sendNext');
  await sleep(600); // refused attempts in the meantime (ECONNREFUSED)
  const down = await snapshot(page, 'q');
  assert.equal(chaos.messages('q').length, 3, 'nothing reached the server while it was down');
  assert.equal(down.stats.queued, whileDown, 'the product kept every message sent while down');
  assert.ok(down.sent.slice(3).every((m) => !m.direct && m.readyState === 0), 'all sent while CONNECTING, none handed to a socket');
  await chaos.start();
  await waitForClient(page, 'q', (log) => log.opens === 2, { what: 'reopen after the server came back' });
  const log = await settle(page, 'q', chaos, 'q');

  const onSecond = chaos.messages('q').filter((m) => m.connection === chaos.connectionsOf('q')[1].id).map((m) => m.data);
  assert.deepEqual(
    onSecond,
    Array.from({ length: whileDown }, (_, i) => `m:${i + 4}`),
    'the queued messages were resent on the new connection, each once, in order',
  );
  assert.equal(log.stats.queued, 0);
  assert.equal(log.stats.replayed >= whileDown, true, `stats.replayed counts the replay (${log.stats.replayed})`);
  const r = assertDelivery(t, log, chaos, 'q');
  assert.equal(r.queued, whileDown);
  assert.equal(r.lostInFlight.length, 0);
  await assertOneConnectionAtATime(chaos, 'q', t);
  assertCleanPage(errors, log);
});
