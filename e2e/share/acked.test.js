// `share` with `delivery: 'acked'` (API.md §7, issue 17): three tabs of one context share one
// session of the real AckedServer adapter (support/share-server.js, `acked`). Every tab sends a
// numbered sequence and the server a numbered stream to the session; then the holder's tab is
// closed, crashed, or frozen and thawed (support/tab-faults.js). Nothing is lost or duplicated:
// every live tab's sequence reaches the server's application once each, in its order, and the
// stream reaches every live tab once each, in order; the session goes on (one session, no
// `sessionlost`, no `drop`). The lost holder's own messages arrived at most once each, in order: a
// crashed tab's unsent messages die with it. Each test prints the takeover's time, the fault to the
// new holder's connection at the server and to each follower's `open`.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { upTo } from '../acked/stack.js';
import { ENGINE } from '../support/browser.js';
import { now, startShareServer } from '../support/share-server.js';
import { closeTab, closeTabBrowser, crashTab, freezeTab, launchTabBrowser } from '../support/tab-faults.js';
import { assertCleanTabs, call, create, mirrored, mirrorTabs, openShareTabs, settled, sleep, useTabBrowser, waitForMirrors, waitForTabs } from './helpers.js';

const shared = useTabBrowser();

const TABS = 3;
const PERIOD_MS = 20;
/** Each tab's sequence: one message every PERIOD_MS, the fault 300 ms in. */
const SENDS = 150;
/** The server's stream to the session, one message every STREAM_PERIOD_MS from before the fault. */
const STREAM = 40;
const STREAM_PERIOD_MS = 100;

/** The numbers of tab `name`'s messages, in the order the application got them. */
const deliveredFrom = (server, name) => server.delivered.filter((m) => m.data.startsWith(`${name}:`)).map((m) => Number(m.data.slice(name.length + 1)));

/**
 * Three tabs in one acked group; `fault(holderTab)` hits the holder's tab and answers
 * `{ how, at?, thaw? }`. Checks and prints what the header says.
 * @param {import('node:test').TestContext} t
 * @param {any} tabBrowser
 * @param {string} label
 * @param {(tab: any) => Promise<{ how: string, at?: number, thaw?: () => Promise<void> }>} fault
 * @param {{ holderSurvives?: boolean }} [options] the holder's tab comes back (a freeze)
 */
async function ackedTakeover(t, tabBrowser, label, fault, { holderSurvives = false } = {}) {
  // The adapter acknowledges within 500 ms, or with its next message of the stream (every 100 ms):
  // a fault finds messages at the server and not yet acknowledged, which the new holder's
  // welcome settles.
  const server = await startShareServer({ acked: ['g'], ackInterval: 500 });
  t.after(() => server.stop());
  const context = await tabBrowser.newContext();
  const tabs = await openShareTabs(t, tabBrowser, context, shared.http.url, TABS);
  for (const tab of tabs) await create(tab, 'ws', server.urlFor('g'), { share: true, delivery: 'acked' });
  const steady = await waitForTabs(tabs, 'ws', settled, { what: 'every tab OPEN, one holder' });
  assert.equal(server.connectionsOf('g').length, 1, `one connection before the fault (${server.describe()})`);
  await mirrorTabs(tabs, 'ws', server);
  const holder = tabs[steady.findIndex((s) => s.shareRole === 'holder')];
  const survivors = tabs.filter((tab) => tab !== holder);
  const everyone = holderSurvives ? tabs : survivors;

  let streamed = 0;
  const stream = setInterval(() => {
    if (streamed < STREAM && server.sendSession(`s:${streamed + 1}`)) streamed += 1;
  }, STREAM_PERIOD_MS);
  t.after(() => clearInterval(stream));
  for (const tab of tabs) await call(tab, 'ws', 'start', tab.name, PERIOD_MS, SENDS);
  await sleep(300);

  const before = now();
  const { how, thaw, at } = await fault(holder);
  const faultAt = at ?? before;
  t.diagnostic(`fault: holder tab ${holder.name}: ${how}`);
  try {
    await server.waitFor((s) => s.connectionsOf('g').length >= 2, { timeoutMs: 10_000, what: "the new holder's connection" });
    const reopened = (all) => settled(all) && all.every((s) => s.events.some((e) => e.type === 'open' && e.at > faultAt));
    const afterTakeover = await waitForMirrors(server, survivors, reopened, { what: 'the survivors OPEN again under one holder' });
    const toServer = server.connectionsOf('g')[1].openedAt - faultAt;
    const toOpens = afterTakeover.map((s, i) => `${survivors[i].name} ${Math.round(s.events.find((e) => e.type === 'open' && e.at > faultAt).at - faultAt)} ms`);
    t.diagnostic(`acked takeover (${label}, ${ENGINE}): fault to the new socket open at the server ${Math.round(toServer)} ms; to each follower's open: ${toOpens.join(', ')}`);
    if (holderSurvives) {
      await thaw?.();
      await waitForMirrors(server, tabs, settled, { what: 'the thawed tab back as a follower' });
    }
  } finally {
    await thaw?.();
  }

  await waitForMirrors(server, everyone, (all) => all.every((s) => s.sent.length + s.refused.length === SENDS), { timeoutMs: 20_000, what: 'every live tab done sending' });
  await server.waitFor(() => streamed === STREAM, { timeoutMs: 20_000, what: 'the whole stream sent' });
  await waitForMirrors(server, everyone, (all) => all.every((s) => s.messages.some((m) => m.data === `s:${STREAM}`)), { timeoutMs: 20_000, what: "the stream's last message in every live tab" });
  await server.waitFor((s) => everyone.every((tab) => deliveredFrom(s, tab.name).includes(SENDS)), { timeoutMs: 20_000, what: "every live tab's last message at the application" });
  await sleep(300); // anything delivered twice would arrive in this time
  const final = everyone.map((tab) => mirrored(server, tab));

  // What the takeover had to settle: each survivor's messages not yet acknowledged by the server
  // at the fault (bufferedAmount after its last send before it), and those sent until it was open
  // again (they went out through the new holder).
  const settledAt = survivors.map((tab, i) => {
    const s = final[everyone.indexOf(tab)];
    const last = s.sent.filter((m) => m.at < faultAt).at(-1);
    const reopenedAt = s.events.find((e) => e.type === 'open' && e.at > faultAt)?.at ?? Infinity;
    const during = s.sent.filter((m) => m.at >= faultAt && m.at < reopenedAt).length;
    return `${tab.name} ${last?.bufferedAmount ?? 0} bytes unacknowledged at the fault, ${during} sent during the takeover`;
  });
  t.diagnostic(`acked takeover (${label}, ${ENGINE}): ${settledAt.join('; ')}`);
  assert.equal(server.sessions.length, 1, 'one session all along');
  assert.deepEqual(server.delivered.filter((m) => m.redelivered), [], 'nothing redelivered');
  assert.equal(new Set(server.delivered.map((m) => m.id)).size, server.delivered.length, 'every delivery identity new');
  for (const [i, tab] of everyone.entries()) {
    assert.deepEqual(final[i].refused, [], `tab ${tab.name}: no send() refused`);
    assert.deepEqual(deliveredFrom(server, tab.name), upTo(SENDS), `tab ${tab.name}: every message once, in order`);
    const stream = final[i].messages.map((m) => m.data).filter((data) => data.startsWith('s:'));
    assert.deepEqual(stream, upTo(STREAM).map((n) => `s:${n}`), `tab ${tab.name}: the server's stream once each, in order`);
    const lost = final[i].events.filter((e) => e.type === 'drop' || e.type === 'sessionlost');
    assert.deepEqual(lost, [], `tab ${tab.name}: no drop, no sessionlost`);
  }
  if (!holderSurvives) {
    const own = deliveredFrom(server, holder.name);
    assert.deepEqual(own, upTo(own.length), `the lost holder ${holder.name}'s messages: 1..${own.length}, once each, in order`);
  }
  assertCleanTabs(everyone, final);
}

test('acked share, holder tab closed: nothing lost or duplicated, one session', { timeout: 90_000 }, async (t) => {
  await ackedTakeover(t, shared.browser, 'closed', async (tab) => {
    await closeTab(tab);
    return { how: 'page closed' };
  });
});

test('acked share, holder tab crashed: nothing lost or duplicated, one session', { timeout: 90_000 }, async (t) => {
  // WebKit: the kill ends the browser's WebDriver session (support/tab-faults.js): a browser of its own.
  const crashBrowser = ENGINE === 'webkit' ? await launchTabBrowser() : shared.browser;
  if (crashBrowser !== shared.browser) t.after(() => closeTabBrowser(crashBrowser).catch(() => {}));
  await ackedTakeover(t, crashBrowser, 'crashed', async (tab) => ({ how: await crashTab(tab) }));
});

test('acked share, holder tab frozen and thawed: nothing lost or duplicated, one session', { timeout: 90_000 }, async (t) => {
  await ackedTakeover(t, shared.browser, 'frozen', (tab) => freezeTab(tab), { holderSurvives: true });
});
