// `share` (API.md §7, issue 17) when the holder's tab goes: closed, crashed, frozen (then thawed)
// or navigated away, with three tabs of one context sending all along. Another tab takes over: the
// server sees one new connection (once), never two holders writing (share-server.js's rule), every
// survivor's sequence arrives once and in its order (a crashed or frozen holder may have written a
// message whose confirmation never left it: group.rs's documented limit, written again by the next
// holder, and printed), and every tab gets every push once. A holder frozen and thawed finds it is
// no longer the holder: nothing arrives on its old socket after the new holder's opened, and it
// closes it. Each takeover's time, from the fault to the new holder's socket at the server and to
// each follower's `open`, is printed, and a summary line per engine (median, worst) at the end;
// the bound (min(heartbeat.timeout, 2 s)) is not asserted: the project asserts no timing. Each
// test also prints a timeline (every tab's roles and events, every connection, in ms after the
// fault). After the fault the tabs are read through their mirrors at the server (page-client.js),
// the only way to read them once a WebKit crash has ended the browser's automation.
// The faults per engine are support/tab-faults.js's; the line `fault:` of each test says which.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { ENGINE } from '../support/browser.js';
import { now, startShareServer } from '../support/share-server.js';
import { closeTab, closeTabBrowser, crashTab, freezeTab, launchTabBrowser, navigateAway } from '../support/tab-faults.js';
import {
  assertCleanTabs,
  assertFanOut,
  assertNeverTwoAtOnce,
  assertPerTabOrder,
  call,
  create,
  describeTabs,
  medianAndWorst,
  openShareTabs,
  settled,
  sleep,
  mirrored,
  mirrorTabs,
  useTabBrowser,
  waitForMirrors,
  waitForTabs,
} from './helpers.js';

const shared = useTabBrowser();

/**
 * Every takeover measured in this file: { fault, toServer, toOpens: number[] } (ms); `toServer` to
 * the new holder's connection that lasted.
 */
const takeovers = [];
after(async (t) => {
  for (const [what, pick] of [
    ["the new holder's socket open at the server", (m) => [m.toServer]],
    ["the followers' open", (m) => m.toOpens],
  ]) {
    const values = takeovers.flatMap(pick);
    if (values.length === 0) continue;
    const { median, worst } = medianAndWorst(values);
    t.diagnostic(`takeover summary (${ENGINE}): fault to ${what}: median ${Math.round(median)} ms, worst ${Math.round(worst)} ms, over ${values.length} (${takeovers.map((m) => m.fault).join(', ')})`);
  }
});

const TABS = 3;
const PERIOD_MS = 20;
/** Each tab's sequence: 200 messages, one every PERIOD_MS, the fault 200 ms in. */
const SENDS = 200;
const PUSHES_BEFORE = ['s:1', 's:2', 's:3'];
const PUSHES_AFTER = ['after:1', 'after:2', 'after:3'];

/**
 * Three tabs in one group, each sending SENDS messages; `fault(holderTab)` hits the holder's tab
 * and answers `{ how, at?, thaw? }`. Checks and prints what the header says. After the fault the tabs
 * are read through their mirrors at the server (page-client.js), so that a fault that ends the
 * browser's automation (a crash in WebKit) can be checked the same way.
 * @param {import('node:test').TestContext} t
 * @param {any} tabBrowser the browser to open the tabs in
 * @param {string} label
 * @param {(tab: any) => Promise<{ how: string, at?: number, thaw?: () => Promise<void> }>} fault
 * @param {{ holderSurvives?: boolean, rewriteAllowed: boolean }} options `holderSurvives`: the tab
 *   comes back (a freeze) and must end a follower; `rewriteAllowed`: the holder could not confirm
 *   what it had written (crash, freeze)
 */
async function takeover(t, tabBrowser, label, fault, { holderSurvives = false, rewriteAllowed }) {
  const server = await startShareServer();
  t.after(() => server.stop());
  const context = await tabBrowser.newContext();
  const tabs = await openShareTabs(t, tabBrowser, context, shared.http.url, TABS);
  for (const tab of tabs) await create(tab, 'ws', server.urlFor('g'), { share: true });
  const steady = await waitForTabs(tabs, 'ws', settled, { what: 'every tab OPEN, one holder' });
  assert.equal(server.connectionsOf('g').length, 1, `one connection before the fault (${server.describe()})`);
  await mirrorTabs(tabs, 'ws', server);
  const holder = tabs[steady.findIndex((s) => s.shareRole === 'holder')];
  const survivors = tabs.filter((tab) => tab !== holder);
  for (const data of PUSHES_BEFORE) server.push(data, 'g');
  await waitForTabs(tabs, 'ws', (all) => all.every((s) => s.messages.length === PUSHES_BEFORE.length), { what: 'the first pushes in every tab' });
  for (const tab of tabs) await call(tab, 'ws', 'start', tab.name, PERIOD_MS, SENDS);
  await sleep(200);

  const before = now();
  const { how, thaw, at } = await fault(holder);
  // From when the page stopped, where the fault says (a freeze starts with a busy task).
  const faultAt = at ?? before;
  t.diagnostic(`fault: holder tab ${holder.name}: ${how}`);
  // Thawed however the checks end: a stopped page would hold up the closing of its context.
  try {
    await afterFault(t, { label, server, tabs, holder, survivors, faultAt, holderSurvives, rewriteAllowed, thaw });
  } finally {
    await thaw?.();
  }
}

/** The rest of `takeover`, from the fault on. */
async function afterFault(t, { label, server, tabs, holder, survivors, faultAt, holderSurvives, rewriteAllowed, thaw }) {
  await server.waitFor((s) => s.connectionsOf('g').length >= 2, { timeoutMs: 10_000, what: "the new holder's connection" });
  const fresh = server.connectionsOf('g')[1];
  const toServer = fresh.openedAt - faultAt;
  // An instance sees a close (1006) and an open when the new holder's connection opens (README).
  const reopened = (all) => settled(all) && all.every((s) => s.events.some((e) => e.type === 'open' && e.at > faultAt));
  const afterTakeover = await waitForMirrors(server, survivors, reopened, { what: 'the survivors OPEN again under one holder' });
  const toOpens = afterTakeover.map((s) => s.events.find((e) => e.type === 'open' && e.at > faultAt)?.at - faultAt);
  const opensLine = afterTakeover
    .map((s, i) => `${survivors[i].name} (${s.shareRole}) ${Number.isNaN(toOpens[i]) ? `no new open (events since: ${s.events.filter((e) => e.at > faultAt).map((e) => (e.type === 'sharerole' ? `role:${e.role}` : e.type)).join(',') || 'none'})` : `${Math.round(toOpens[i])} ms`}`)
    .join(', ');
  t.diagnostic(`takeover (${label}): fault to the new socket open at the server ${Math.round(toServer)} ms; to each follower's open: ${opensLine}`);
  const measured = { fault: label, toServer, toOpens: toOpens.filter((ms) => !Number.isNaN(ms)) };
  takeovers.push(measured);

  const everyone = holderSurvives ? tabs : survivors;
  t.after(() => printTimeline(t, server, tabs, faultAt));
  if (holderSurvives) {
    // Pushed while the old holder is frozen: its old socket (still open) gets it too.
    server.push('during:1', 'g');
    await sleep(100);
    await thaw();
    await waitForMirrors(server, tabs, settled, { what: 'the thawed tab back as a follower' });
    await server.waitFor(() => server.connectionsOf('g')[0].closedAt !== null, { what: "the thawed holder's old socket closed" });
  }
  await waitForMirrors(server, everyone, (all) => all.every((s) => s.sent.length + s.refused.length === SENDS), { timeoutMs: 15_000, what: 'every live tab done sending' });
  for (const data of PUSHES_AFTER) server.push(data, 'g');
  await waitForMirrors(server, everyone, (all) => all.every((s) => s.messages.some((m) => m.data === PUSHES_AFTER.at(-1))), { what: 'the last push in every tab' });
  await server.waitFor(
    (s) => everyone.every((tab) => s.connectionsOf('g').some((c) => c.received.some((m) => m.data === `${tab.name}:${SENDS}`))),
    { timeoutMs: 10_000, what: "every live tab's last message" },
  );
  await sleep(300); // anything written twice or delivered twice would arrive in this time
  const final = everyone.map((tab) => mirrored(server, tab));
  // Where more than one new connection opened, the summary counts the one that lasted.
  const lasting = server.connectionsOf('g').at(-1);
  if (lasting !== fresh) {
    measured.toServer = lasting.openedAt - faultAt;
    t.diagnostic(`takeover (${label}): ${server.connectionsOf('g').length - 1} new connections; the lasting one (#${lasting.id}) opened ${Math.round(measured.toServer)} ms after the fault`);
  }

  assert.equal(final.filter((s) => s.shareRole === 'holder').length, 1, `one holder at the end: ${describeTabs(everyone, final)}`);
  if (holderSurvives) {
    assert.equal(final[tabs.indexOf(holder)].shareRole, 'follower', 'the thawed holder found itself no longer holder');
    assert.ok(server.connectionsOf('g')[0].closedAt > fresh.openedAt, "its old socket closed after the new holder's opened");
  }
  assertNeverTwoAtOnce(t, server, 'g');
  const pushes = [...PUSHES_BEFORE, ...PUSHES_AFTER];
  if (holderSurvives) {
    // 'during:1' reached the group's connection while the old holder was frozen (and its stale
    // socket too): the survivors get it at once, the thawed tab once it follows (checked last).
    assertFanOut(survivors, final.filter((_, i) => everyone[i] !== holder), [...PUSHES_BEFORE, 'during:1', ...PUSHES_AFTER]);
    const thawedGot = final[everyone.indexOf(holder)].messages.map((m) => m.data);
    assert.deepEqual(thawedGot.filter((data) => data !== 'during:1'), pushes, `the thawed tab ${holder.name} got every other push once, in order`);
  } else {
    assertFanOut(everyone, final, pushes);
  }
  let rewritten = 0;
  for (const [i, tab] of everyone.entries()) {
    assert.deepEqual(final[i].refused, [], `tab ${tab.name}: no send() refused`);
    rewritten += assertPerTabOrder(server, 'g', tab.name, SENDS, { rewritten: rewriteAllowed ? Infinity : 0 });
  }
  if (!holderSurvives) {
    // The lost holder's own messages: what arrived of them arrived once, in order, from 1 on.
    const own = server.connectionsOf('g').flatMap((c) => c.received).filter((m) => m.data.startsWith(`${holder.name}:`)).map((m) => Number(m.data.split(':')[1]));
    assert.deepEqual(own, Array.from({ length: own.length }, (_, i) => i + 1), `the lost holder ${holder.name}'s messages: 1..${own.length}, once, in order`);
  }
  if (rewriteAllowed) t.diagnostic(`${label}: ${rewritten} message(s) written again by the new holder (confirmation lost with the old one)`);
  assertCleanTabs(everyone, final);
  if (holderSurvives) {
    const thawedGot = final[everyone.indexOf(holder)].messages.map((m) => m.data);
    assert.deepEqual(thawedGot.filter((data) => data === 'during:1'), ['during:1'], `the thawed tab ${holder.name} got 'during:1', pushed while it was frozen, once (every instance receives every message of the group's connection)`);
  }
  // Last, so that a second takeover still has the checks above run and reported.
  assert.equal(server.connectionsOf('g').length, 2, `one takeover, once: one new connection (${server.describe()})`);
}

/**
 * Prints what happened from the fault on, in ms after it: each tab's events (as its mirror has
 * them) and each connection of the group, so that a failure can be read.
 */
function printTimeline(t, server, tabs, faultAt) {
  const ms = (at) => Math.round(at - faultAt);
  for (const tab of tabs) {
    const events = mirrored(server, tab).events.filter((e) => e.at > faultAt - 50);
    const line = events.map((e) => `${ms(e.at)} ${e.type === 'sharerole' ? `role:${e.role}` : e.type === 'close' ? `close(${e.code})` : e.type}`).join(', ');
    t.diagnostic(`timeline ${tab.name}: ${line || 'no event'}`);
  }
  const connections = server.connectionsOf('g').map((c) => `#${c.id} ${ms(c.openedAt)}..${c.closedAt === null ? 'open' : `${ms(c.closedAt)} (${c.closeCode})`}`);
  t.diagnostic(`timeline server: ${connections.join(', ')}`);
}

test('holder tab closed: a follower takes over; the survivors\' messages arrive once, in order', { timeout: 60_000 }, async (t) => {
  await takeover(t, shared.browser, 'closed', async (tab) => {
    await closeTab(tab);
    return { how: 'page closed' };
  }, { rewriteAllowed: false });
});

test('holder tab crashed: a follower takes over; the survivors\' messages arrive in order, none lost', { timeout: 60_000 }, async (t) => {
  // WebKit: the kill ends the browser's WebDriver session (support/tab-faults.js), so the crash
  // gets a browser of its own, and the survivors are read through their mirrors only.
  const crashBrowser = ENGINE === 'webkit' ? await launchTabBrowser() : shared.browser;
  // Its session is gone after the crash: closing it fails, after ending its processes.
  if (crashBrowser !== shared.browser) t.after(() => closeTabBrowser(crashBrowser).catch(() => {}));
  await takeover(t, crashBrowser, 'crashed', async (tab) => ({ how: await crashTab(tab) }), { rewriteAllowed: true });
});

test('holder tab frozen: a follower takes over; thawed, the old holder never writes again and follows', { timeout: 60_000 }, async (t) => {
  await takeover(t, shared.browser, 'frozen', (tab) => freezeTab(tab), { holderSurvives: true, rewriteAllowed: true });
});

test('holder tab navigated away: a follower takes over; the survivors\' messages arrive once, in order', { timeout: 60_000 }, async (t) => {
  await takeover(t, shared.browser, 'navigated away', async (tab) => {
    // The pagehide of the page left, in the tab's sessionStorage, which the next page reads.
    await tab.page.evaluate(() => addEventListener('pagehide', (event) => sessionStorage.setItem('left', JSON.stringify({ persisted: event.persisted }))));
    await navigateAway(tab, `${shared.http.url}/e2e/pages/harness.html?away`);
    const left = await tab.page.evaluate(() => sessionStorage.getItem('left'));
    return { how: `navigated to another page of the server; the page left: pagehide ${left}` };
  }, { rewriteAllowed: false });
});
