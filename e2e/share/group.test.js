// `share` (API.md §7, issue 17) in a steady group: three tabs of one browser context, one
// connection at the server, every server message in every tab once, every tab's messages at the
// server once and in that tab's order; a group is its URL, protocols and key, so other keys, another
// URL or other protocols get connections of their own. The share entry (`/js/share.js`) with plain
// delivery. Every tab is a visible page (support/tab-faults.js).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startShareServer } from '../support/share-server.js';
import {
  assertCleanTabs,
  assertFanOut,
  assertNeverTwoAtOnce,
  assertPerTabOrder,
  call,
  create,
  openShareTabs,
  settled,
  sleep,
  useTabBrowser,
  waitForTabs,
} from './helpers.js';

const shared = useTabBrowser();

const TABS = 3;
const SENDS = 30;

test('3 tabs, one group: one connection; a server message reaches every tab once; every tab\'s sequence arrives once, in its order', { timeout: 60_000 }, async (t) => {
  const server = await startShareServer();
  t.after(() => server.stop());
  const { browser, http } = shared;
  const context = await browser.newContext();
  const tabs = await openShareTabs(t, browser, context, http.url, TABS);
  for (const tab of tabs) await create(tab, 'ws', server.urlFor('g'), { share: true });
  await waitForTabs(tabs, 'ws', settled, { what: 'every tab OPEN, one holder' });
  assert.equal(server.connectionsOf('g').length, 1, `one connection for ${TABS} tabs (${server.describe()})`);

  const pushed = Array.from({ length: 10 }, (_, i) => `s:${i + 1}`);
  for (const data of pushed) assert.equal(server.push(data, 'g'), 1, 'a push goes to the one connection');
  for (const tab of tabs) await call(tab, 'ws', 'start', tab.name, 10, SENDS);
  await server.waitFor((s) => tabs.every((tab) => s.connectionsOf('g')[0].received.filter((m) => m.data.startsWith(`${tab.name}:`)).length >= SENDS), {
    timeoutMs: 10_000,
    what: `${SENDS} messages from every tab`,
  });
  const snapshots = await waitForTabs(tabs, 'ws', (all) => all.every((s) => s.messages.length >= pushed.length), { what: 'every push in every tab' });
  await sleep(200); // anything sent twice or delivered twice would arrive in this time
  const final = await waitForTabs(tabs, 'ws', () => true);

  assertFanOut(tabs, final, pushed);
  for (const tab of tabs) assertPerTabOrder(server, 'g', tab.name, SENDS);
  for (const s of final) assert.deepEqual(s.refused, [], 'no send() refused');
  assert.equal(server.connectionsOf('g').length, 1, `still one connection (${server.describe()})`);
  assertNeverTwoAtOnce(t, server, 'g');
  assert.equal(snapshots.filter((s) => s.shareRole === 'holder').length, 1, 'one holder');
  assertCleanTabs(tabs, final);
});

test('groups: other keys on one URL, another URL, other protocols: a connection each, each carrying its own group', { timeout: 60_000 }, async (t) => {
  const server = await startShareServer();
  t.after(() => server.stop());
  const { browser, http } = shared;
  const context = await browser.newContext();
  const tabs = await openShareTabs(t, browser, context, http.url, TABS);
  // Instance name -> [path, options, protocols]: four groups in every tab.
  const groups = {
    red: ['a', { share: 'red' }, []],
    blue: ['a', { share: 'blue' }, []],
    chat: ['a', { share: 'red' }, ['chat']],
    b: ['b', { share: true }, []],
  };
  for (const tab of tabs) {
    for (const [name, [path, options, protocols]] of Object.entries(groups)) await create(tab, name, server.urlFor(path), options, protocols);
  }
  for (const name of Object.keys(groups)) await waitForTabs(tabs, name, settled, { what: `group ${name}: every tab OPEN, one holder` });
  assert.equal(server.connections.length, 4, `one connection per group, 4 in all (${server.describe()})`);
  assert.equal(server.connectionsOf('a').length, 3, 'three groups on /a');
  assert.equal(server.connectionsOf('b').length, 1, 'one on /b');
  assert.deepEqual(server.connections.map((c) => c.protocol).sort(), ['', '', '', 'chat'], "the 'chat' group's connection has its protocol");

  for (const tab of tabs) {
    for (const name of Object.keys(groups)) await call(tab, name, 'start', `${name}.${tab.name}`, 10, 10);
  }
  await server.waitFor((s) => s.connections.reduce((sum, c) => sum + c.received.length, 0) >= 10 * TABS * 4, { what: 'every instance\'s 10 messages' });
  await sleep(200);
  // Each group's messages, from every tab, on one connection of its own.
  const connectionOf = {};
  for (const name of Object.keys(groups)) {
    const carrying = server.connections.filter((c) => c.received.some((m) => m.data.startsWith(`${name}.`)));
    assert.equal(carrying.length, 1, `group ${name}: its messages on one connection`);
    connectionOf[name] = carrying[0];
    assert.ok(carrying[0].received.every((m) => m.data.startsWith(`${name}.`)), `group ${name}'s connection carries its messages only`);
    for (const tab of tabs) assertPerTabOrder(server, carrying[0].path.slice(1), `${name}.${tab.name}`, 10);
  }
  assert.equal(connectionOf.chat.protocol, 'chat');

  // A push on /b reaches group b only; one on /a each of the three groups there, once.
  server.push('to-b', 'b');
  server.push('to-a', 'a');
  await sleep(300);
  for (const name of Object.keys(groups)) {
    const final = await waitForTabs(tabs, name, () => true);
    assertFanOut(tabs, final, [groups[name][0] === 'b' ? 'to-b' : 'to-a']);
    assertCleanTabs(tabs, final);
  }
  // Three groups share the path /a, so its connections overlap by right: that no group had two is
  // that there were never more than the four.
  assert.equal(server.connections.length, 4, `no group opened a second connection (${server.describe()})`);
  assertNeverTwoAtOnce(t, server, 'b');
});
