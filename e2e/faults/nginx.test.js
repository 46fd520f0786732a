// A server nobody here wrote in the path: Debian's nginx as a reverse proxy with
// `proxy_read_timeout 3s` (seed 004's setting) in front of the chaos server in echo mode. nginx
// cuts an upgraded connection that carried no traffic for 3 s, without a close frame; a client
// heartbeat every second keeps it up.
//
// The cut is a failure to Firefox, which then holds the next handshake (handshakeHoldMs in
// ../support/browser.js): the reconnection is bounded by the longer of minDelay and that hold.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { handshakeHoldMs } from '../support/browser.js';
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
  retryWithinMs,
  settle,
  sleep,
  snapshot,
  waitForClient,
} from '../support/fault-harness.js';
import { NGINX_EARLY_MS, NGINX_TIMER_SLACK_MS, startNginx } from '../support/nginx.js';
import { useBrowser } from '../support/fixtures.js';

const READ_TIMEOUT_MS = 3000;

const shared = useBrowser({ staticServer: true });

async function proxied(t) {
  const chaos = await startChaosServer({ echo: true });
  t.after(() => chaos.dispose());
  const nginx = await startNginx({ upstreamPort: chaos.port, readTimeout: `${READ_TIMEOUT_MS / 1000}s` });
  t.after(() => nginx.stop());
  return { chaos, nginx, url: (client) => `${nginx.url}?client=${client}` };
}

test('nginx proxy_read_timeout 3s, no heartbeat: cut every ~3 s, reconnected, queued messages replayed', { timeout: 30_000 }, async (t) => {
  const { chaos, nginx, url } = await proxied(t);
  const { page, errors } = await openFaultPage(t, shared.browser, shared.http.url);
  const minDelay = 100;
  await createClient(page, 'n', url('n'), { reconnect: { minDelay, jitter: 'none', minUptime: 0 } });
  // Three messages from inside every close event: the client is CONNECTING then, so they are
  // queued and must be replayed on the next connection. Nothing else is sent: traffic in either
  // direction would re-arm nginx's timer.
  await call(page, 'n', 'sendOn', 'close', 3);
  await waitForClient(page, 'n', (log) => log.opens === 1, { what: 'first open' });
  const log = await waitForClient(page, 'n', (l) => l.opens === 3, {
    timeoutMs: 2 * (READ_TIMEOUT_MS + NGINX_TIMER_SLACK_MS + retryWithinMs(minDelay, 1) + TOLERANCE_MS) + 1000,
    what: 'two cuts and reconnections',
  });
  await sleep(200);
  const settled = await settle(page, 'n', chaos, 'n');

  const opens = eventsOf(log, 'open');
  const closes = connectionCloses(log);
  assert.ok(closes.length >= 2, 'nginx cut the connection twice');
  assert.equal(settled.sockets.length, settled.opens, 'one socket per connection, none failed');
  for (let i = 0; i < 2; i += 1) {
    assert.notEqual(settled.sockets[i].closedAt, null, `cut ${i + 1}: the socket fired its close event`);
    assert.deepEqual({ code: closes[i].code, wasClean: closes[i].wasClean, readyState: closes[i].readyState }, { code: 1006, wasClean: false, readyState: 0 }, `cut ${i + 1}: no close frame, a reconnect follows`);
    // The last traffic on connection i is its open (and the replay echoed right after it). From
    // below, from the socket's creation (stamped before the handshake nginx relays) to its native
    // close event: the open event's stamp can come late on a loaded machine. From above, from the
    // open event to the product's close event.
    assertWithin(settled.sockets[i].closedAt - settled.sockets[i].at, READ_TIMEOUT_MS - NGINX_EARLY_MS, Infinity, `connection ${i + 1}: socket to cut`);
    assertWithin(closes[i].at - opens[i].at, -Infinity, READ_TIMEOUT_MS + NGINX_TIMER_SLACK_MS + TOLERANCE_MS, `connection ${i + 1}: open to cut`);
    // From below, from the native close event (stamped before the client read its clock for it)
    // to the next socket; from above, from the product's close event to the next open.
    assertWithin(settled.sockets[i + 1].at - settled.sockets[i].closedAt, minDelay - CLOCK_SLACK_MS, Infinity, `cut ${i + 1} to the next socket`);
    assertWithin(opens[i + 1].at - closes[i].at, -Infinity, retryWithinMs(minDelay, 1) + TOLERANCE_MS, `cut ${i + 1} to the next open (browser's hold up to ${handshakeHoldMs(1)} ms)`);
  }
  t.diagnostic(`n: connection lifetimes behind nginx: ${JSON.stringify(closes.map((c, i) => Math.round(c.at - opens[i].at)))} ms; cut to the next open ${JSON.stringify([0, 1].map((i) => Math.round(opens[i + 1].at - closes[i].at)))} ms`);
  const logText = await nginx.errorLog();
  assert.match(logText, /upstream timed out .* while proxying upgraded connection/, 'nginx says it was its read timeout');
  const r = assertDelivery(t, settled, chaos, 'n', { lossAllowed: () => true });
  assert.ok(r.queued >= 6, 'messages were queued during the cuts');
  assert.equal(r.lostInFlight.length, 0, 'nothing was sent directly, so nothing is lost in flight');
  const echoed = settled.messages.map((m) => m.data);
  assert.deepEqual(echoed, settled.sent.map((m) => m.data), 'every message came back through nginx once, in order');
  await assertOneConnectionAtATime(chaos, 'n', t);
  assertCleanPage(errors, settled);
});

test('nginx proxy_read_timeout 3s, heartbeat every 1 s: the connection stays up for 15 s', { timeout: 40_000 }, async (t) => {
  const { chaos, url } = await proxied(t);
  const { page, errors } = await openFaultPage(t, shared.browser, shared.http.url);
  await createClient(page, 'p', url('p'), { heartbeat: { interval: 1000, timeout: 1000 }, reconnect: { minDelay: 100, jitter: 'none' } });
  await waitForClient(page, 'p', (log) => log.opens === 1, { what: 'first open' });
  await call(page, 'p', 'sendNext');
  const upFor = 15_000;
  await sleep(upFor);
  await call(page, 'p', 'sendNext');
  const log = await settle(page, 'p', chaos, 'p');

  assert.equal(eventsOf(log, 'close').length, 0, `no close in ${upFor / 1000} s`);
  assert.equal(log.opens, 1, 'no reconnect');
  assert.equal(chaos.connectionsOf('p').length, 1, 'the upstream saw one connection');
  const heartbeats = eventsOf(log, 'heartbeat');
  assert.ok(heartbeats.length >= 12, `a heartbeat round trip about every second (${heartbeats.length})`);
  t.diagnostic(`p: ${heartbeats.length} heartbeats in ${upFor / 1000} s, rtt max ${Math.max(...heartbeats.map((h) => h.rtt))} ms`);
  assertDelivery(t, log, chaos, 'p');
  assertCleanPage(errors, log);
  const final = await snapshot(page, 'p');
  assert.equal(final.readyState, 1);
});
