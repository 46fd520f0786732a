// Acknowledged delivery end to end (issue 6): headless Chromium, the chaos server in front of the real
// AckedServer adapter, numbered streams in both directions during each fault. After recovery every
// message of both streams must have arrived exactly once and in order (no "lost in flight": that is
// what acknowledgements are for), with no drop and no session loss, at most one open connection per
// client on the server, and a clean page. When the server forgets its sessions, the loss must be
// reported instead, and still nothing may arrive twice.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isBrowserConnectionReport, openPage, setNetwork } from '../support/browser.js';
import { assertOneConnectionAtATime, sleep } from '../support/fault-harness.js';
import { useBrowser } from '../support/fixtures.js';
import { startAckedStack, upTo } from './stack.js';

const shared = useBrowser({ staticServer: true });
const CLIENT = 'a';
const PERIOD_MS = 10;
const OPTIONS = {
  heartbeat: { interval: 400, timeout: 400 },
  reconnect: { minDelay: 50, maxDelay: 400, connectTimeout: 2000 },
  ackInterval: 50,
};

async function setup(t) {
  const stack = await startAckedStack({ periodMs: PERIOD_MS });
  const context = await shared.browser.newContext();
  const { page, errors } = await openPage(context);
  t.after(async () => {
    await context.close();
    await stack.stop();
  });
  await page.goto(`${shared.http.url}/e2e/pages/harness.html`);
  await page.evaluate(() => import('/e2e/acked/page-client.js'));
  await page.evaluate(([name, url, options]) => window.acked.createClient(name, url, options), [
    CLIENT,
    stack.chaos.urlFor(CLIENT),
    OPTIONS,
  ]);
  const client = {
    snapshot: () => page.evaluate((name) => window.acked.snapshot(name), CLIENT),
    async waitFor(predicate, what, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const log = await client.snapshot();
        if (predicate(log)) return log;
        if (Date.now() > deadline) {
          const server = stack.client(CLIENT);
          throw new Error(`no ${what} within ${timeoutMs} ms; page ${JSON.stringify({ ...log, received: log.received.length })}; ` +
            `server received ${server.received.length}, sent ${server.sent}`);
        }
        await sleep(25);
      }
    },
  };
  await client.waitFor((log) => log.state === 'open', 'open');
  return { stack, page, context, errors, client };
}

/** Both streams run, `fault` strikes, `recover` (if any) ends it; then both must be complete. */
async function runFault(t, { fault, recover = async () => {}, expectLoss = false }) {
  const { stack, page, context, errors, client } = await setup(t);
  await page.evaluate(([name, ms]) => window.acked.startSending(name, ms), [CLIENT, PERIOD_MS]);
  stack.sending(CLIENT, true);
  await sleep(300);
  const opensBefore = (await client.snapshot()).opens;
  await fault({ t, stack, context, page });
  await sleep(300);
  await recover({ t, stack, context, page });
  await client.waitFor((log) => log.state === 'open' && log.opens > opensBefore, 'reconnection');
  await sleep(300);
  await page.evaluate((name) => window.acked.stopSending(name), CLIENT);
  stack.sending(CLIENT, false);
  const server = stack.client(CLIENT);
  const log = await client.waitFor(
    (l) => l.stats.unacked === 0 && l.stats.queued === 0 && server.session.unacked === 0 && l.received.length >= (expectLoss ? 0 : server.sent),
    'complete delivery both ways',
  );
  t.diagnostic(
    `client→server: sent ${log.sent}, received ${server.received.length}; server→client: sent ${server.sent}, ` +
    `received ${log.received.length}; resent by the client ${log.stats.resent}; reconnects ${log.stats.reconnects}; ` +
    `sessions lost ${log.sessionsLost}, unconfirmed ${log.unconfirmed}; server sessions ${server.sessions}`,
  );
  assert.ok(log.sent > 20 && server.sent > 20, 'both sides sent during the fault');
  if (!expectLoss) {
    assert.deepEqual(server.received, upTo(log.sent), 'client→server: exactly once, in order');
    assert.deepEqual(log.received, upTo(server.sent), 'server→client: exactly once, in order');
    assert.deepEqual(log.drops, [], 'nothing dropped');
    assert.equal(log.sessionsLost, 0);
    assert.equal(server.sessions, 1, 'one session throughout');
  }
  assert.deepEqual(stack.violations, [], 'no protocol violation');
  await assertOneConnectionAtATime(stack.chaos, CLIENT, t);
  assert.deepEqual(errors.filter((e) => !isBrowserConnectionReport(e)), [], 'a clean page');
  return { log, server, stack };
}

test('terminate: the TCP connection drops without a close frame', (t) =>
  runFault(t, { fault: ({ stack }) => stack.chaos.terminateAll() }));

test('silent server: the heartbeat notices, the session resumes on a new connection', (t) =>
  runFault(t, { fault: ({ stack }) => stack.chaos.silenceAll() }));

test('server restart with close frames (graceful, 1001), sessions kept', (t) =>
  runFault(t, { fault: ({ stack }) => stack.chaos.restart({ downMs: 200, close: { code: 1001, reason: 'restart' } }) }));

test('server restart without close frames (crash), sessions kept', (t) =>
  runFault(t, { fault: ({ stack }) => stack.chaos.restart({ downMs: 200 }) }));

test('offline, the connection lost meanwhile, then online', (t) =>
  runFault(t, {
    async fault({ t: test, stack, context, page }) {
      await setNetwork(test, context, page, false);
      // Chromium keeps loopback sockets open when offline; the network's loss is the server's.
      stack.chaos.terminateAll();
    },
    recover: ({ t: test, context, page }) => setNetwork(test, context, page, true),
  }));

test('a server that forgot its sessions: the loss is reported, nothing arrives twice', async (t) => {
  const { log, server, stack } = await runFault(t, {
    fault: ({ stack: s }) => s.forgetSessions(),
    expectLoss: true,
  });
  assert.equal(log.sessionsLost, 1, 'one sessionlost event');
  assert.equal(server.sessions, 2, 'the client went on in a new session');
  const isIncreasing = (list) => list.every((n, i) => i === 0 || n > list[i - 1]);
  assert.ok(isIncreasing(server.received), 'client→server: no duplicate, in order');
  assert.ok(isIncreasing(log.received), 'server→client: no duplicate, in order');
  const unconfirmed = log.drops.filter((d) => d.reason === 'unconfirmed').map((d) => d.data);
  assert.equal(unconfirmed.length, log.unconfirmed, 'one drop event per unconfirmed message');
  assert.deepEqual(log.drops.filter((d) => d.reason !== 'unconfirmed'), [], 'no other drop');
  const missing = upTo(log.sent).filter((n) => !server.received.includes(n) && !unconfirmed.includes(n));
  assert.deepEqual(missing, [], 'every client message arrived or was reported unconfirmed');
  // After the loss the new session is exactly-once again.
  const afterLoss = server.received.filter((n) => n > Math.max(0, ...unconfirmed));
  assert.deepEqual(afterLoss, upTo(log.sent).slice(log.sent - afterLoss.length), 'the new session is complete');
  assert.ok(stack.violations.length === 0);
});
