// The Node side of the share tests: opens tabs with page-client.js, drives their instances, and
// checks what a share group owes the server and the tabs (issue 17): one connection for N tabs and
// never two writing at once (share-server.js gives the exact rule), every push reaching every tab
// once and in order, every tab's numbered sequence arriving once and in that tab's order.
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { isBrowserConnectionReport } from '../support/browser.js';
import { sleep } from '../support/fault-harness.js';
import { startStaticServer } from '../support/servers.js';
import { closeTabBrowser, launchTabBrowser, openTab } from '../support/tab-faults.js';

export { sleep };

/**
 * The file's tab browser and static server: started before its tests, ended after them. Read
 * `browser` and `http` inside a test (they are set by then).
 * @returns {{ browser: any, http: any }}
 */
export function useTabBrowser() {
  const shared = { browser: /** @type {any} */ (null), http: /** @type {any} */ (null) };
  before(async () => {
    shared.browser = await launchTabBrowser();
    shared.http = await startStaticServer();
  });
  after(async () => {
    if (shared.browser) await closeTabBrowser(shared.browser);
    await shared.http?.stop();
  });
  return shared;
}

/**
 * `n` tabs of `context` on the harness page, each with page-client.js loaded; closed after `t`
 * (a tab a test already closed or crashed is left alone).
 * @param {import('node:test').TestContext} t
 * @param {any} browser
 * @param {any} context
 * @param {string} baseUrl the static server's
 * @param {number} n
 */
export async function openShareTabs(t, browser, context, baseUrl, n) {
  const tabs = [];
  t.after(() => context.close().catch(() => {}));
  for (let i = 0; i < n; i++) {
    const tab = await openTab(browser, context, `${baseUrl}/e2e/pages/harness.html`);
    await tab.page.evaluate(() => import('/e2e/share/page-client.js'));
    tabs.push(Object.assign(tab, { name: String.fromCharCode(65 + i) }));
  }
  return tabs;
}

/**
 * Creates the instance `name` in `tab` (`new ResilientWebSocket(url, protocols, options)`).
 * @param {any} tab
 * @param {string} name
 * @param {string} url
 * @param {Record<string, unknown>} options
 * @param {string[]} [protocols]
 */
export function create(tab, name, url, options, protocols = []) {
  return tab.page.evaluate(([name, url, protocols, options]) => window.share.create(name, url, protocols, options), [name, url, protocols, options]);
}

/** Calls `method` of instance `name` in `tab`; answers its snapshot. */
export function call(tab, name, method, ...args) {
  return tab.page.evaluate(([name, method, args]) => window.share.call(name, method, ...args), [name, method, args]);
}

/** The record of instance `name` in `tab`. */
export const snapshot = (tab, name) => call(tab, name, 'snapshot');

/**
 * Polls the snapshots of instance `name` in every tab of `tabs` until `predicate(snapshots)` holds;
 * fails after `timeoutMs` with `what` and the tabs' states. Answers the snapshots.
 * @param {any[]} tabs
 * @param {string} name
 * @param {(snapshots: any[]) => boolean} predicate
 * @param {{ timeoutMs?: number, what?: string }} [options]
 */
export async function waitForTabs(tabs, name, predicate, { timeoutMs = 10_000, what = 'the expected state' } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const snapshots = await Promise.all(tabs.map((tab) => snapshot(tab, name)));
    if (predicate(snapshots)) return snapshots;
    if (Date.now() > deadline) {
      throw new Error(`tabs: no ${what} within ${timeoutMs} ms; ${describeTabs(tabs, snapshots)}`);
    }
    await sleep(20);
  }
}

/**
 * Mirrors the record of instance `name` in every tab to `server` (page-client.js's `mirrorTo`),
 * each tab's on the path `mirror-<tab>`, outside every group.
 * @param {any[]} tabs
 * @param {string} name
 * @param {any} server
 */
export async function mirrorTabs(tabs, name, server) {
  for (const tab of tabs) await call(tab, name, 'mirrorTo', server.urlFor(`mirror-${tab.name}`));
}

/**
 * The record of `tab` as its mirror at `server` has it, shaped as a snapshot: `readyState` and
 * `shareRole` are those of its latest event (every event carries both, and every change of role is
 * an event).
 * @param {any} server
 * @param {any} tab
 */
export function mirrored(server, tab) {
  const record = { events: [], messages: [], sent: [], refused: [], pageProblems: [] };
  for (const connection of server.connectionsOf(`mirror-${tab.name}`)) {
    for (const { data } of connection.received) {
      const { list, entry } = JSON.parse(data);
      record[list].push(entry);
    }
  }
  const last = record.events.at(-1);
  return { ...record, readyState: last?.readyState ?? null, shareRole: last?.shareRole ?? null };
}

/**
 * Waits until `predicate` holds for the mirrored records of `tabs` (see `waitForTabs`).
 * @param {any} server
 * @param {any[]} tabs
 * @param {(snapshots: any[]) => boolean} predicate
 * @param {{ timeoutMs?: number, what?: string }} [options]
 */
export async function waitForMirrors(server, tabs, predicate, { timeoutMs = 10_000, what = 'the expected state' } = {}) {
  try {
    await server.waitFor(() => predicate(tabs.map((tab) => mirrored(server, tab))), { timeoutMs, what });
  } catch (error) {
    throw new Error(`${error.message}; the tabs: ${describeTabs(tabs, tabs.map((tab) => mirrored(server, tab)))}`);
  }
  return tabs.map((tab) => mirrored(server, tab));
}

/** One line per tab: its state, role and counts. */
export function describeTabs(tabs, snapshots) {
  return snapshots
    .map((s, i) => `${tabs[i].name}: readyState ${s.readyState} ${s.shareRole} events ${s.events.map((e) => e.type === 'sharerole' ? `role:${e.role}` : e.type).join(',')} in ${s.messages.length} out ${s.sent.length} refused ${s.refused.length}`)
    .join('; ');
}

/** Every tab OPEN, one holder, the others followers. */
export const settled = (snapshots) =>
  snapshots.every((s) => s.readyState === 1) &&
  snapshots.filter((s) => s.shareRole === 'holder').length === 1 &&
  snapshots.filter((s) => s.shareRole === 'follower').length === snapshots.length - 1;

/**
 * The share server's connections of `group` never had two holders writing at once (the rule of
 * share-server.js); allowed overlaps are printed.
 * @param {import('node:test').TestContext} t
 * @param {any} server
 * @param {string} group
 */
export function assertNeverTwoAtOnce(t, server, group) {
  const overlaps = server.overlapsOf(group);
  for (const o of overlaps.filter((o) => o.late.length === 0)) {
    const until = o.olderClosedAt === null ? 'is still open' : `closed ${Math.round(o.olderClosedAt - o.newerOpenedAt)} ms after`;
    t.diagnostic(`${group}: connection #${o.older} ${until} #${o.newer} opened, and received nothing from then on (allowed)`);
  }
  assert.deepEqual(
    overlaps.filter((o) => o.late.length > 0),
    [],
    `${group}: no connection received anything after a newer one had opened (${server.describe()})`,
  );
}

/**
 * What the server received from tab `prefix` ("<prefix>:<n>") on the connections of `group`, in
 * arrival order, each with the connection it came on.
 */
function receivedFrom(server, group, prefix) {
  return server
    .connectionsOf(group)
    .flatMap((c) => c.received.map((m) => ({ ...m, connection: c.id })))
    .filter((m) => m.data.startsWith(`${prefix}:`))
    .sort((a, b) => a.at - b.at)
    .map((m) => ({ n: Number(m.data.slice(prefix.length + 1)), connection: m.connection, at: m.at }));
}

/**
 * Tab `prefix`'s messages 1..`count` arrived at the server in order, none lost. `rewritten`: how
 * many may arrive a second time, on a later connection than their first copy (the limit group.rs
 * names: a message the lost holder wrote whose confirmation never left its process, written again
 * by the next holder); 0 for a holder that left cleanly. Returns how many were rewritten.
 * @param {any} server
 * @param {string} group
 * @param {string} prefix
 * @param {number} count
 * @param {{ rewritten?: number }} [options]
 */
export function assertPerTabOrder(server, group, prefix, count, { rewritten = 0 } = {}) {
  const arrived = receivedFrom(server, group, prefix);
  const firstOn = new Map();
  const again = [];
  for (const m of arrived) {
    if (!firstOn.has(m.n)) firstOn.set(m.n, m.connection);
    else again.push(m);
  }
  const firsts = arrived.filter((m, i) => arrived.findIndex((o) => o.n === m.n) === i).map((m) => m.n);
  const expected = Array.from({ length: count }, (_, i) => i + 1);
  const missing = expected.filter((n) => !firstOn.has(n));
  const around = missing.slice(0, 3).map((n) => {
    const before = arrived.findLast((m) => m.n < n);
    const next = arrived.find((m) => m.n > n);
    const where = (m) => (m ? `${m.n} on #${m.connection}` : 'none');
    return `${n} (before it: ${where(before)}; after it: ${where(next)})`;
  });
  assert.deepEqual(firsts, expected, `${prefix}: 1..${count} arrived, in order, none lost${missing.length ? `; missing ${missing.length}: ${around.join(', ')}` : ''}`);
  for (const connection of new Set(arrived.map((m) => m.connection))) {
    const on = arrived.filter((m) => m.connection === connection).map((m) => m.n);
    assert.deepEqual(on, [...on].sort((a, b) => a - b), `${prefix}: in order on connection #${connection}`);
    assert.equal(new Set(on).size, on.length, `${prefix}: nothing twice on connection #${connection}`);
  }
  for (const m of again) {
    assert.ok(m.connection > firstOn.get(m.n), `${prefix}:${m.n} written again only by a later holder`);
  }
  assert.ok(again.length <= rewritten, `${prefix}: ${again.length} written twice (${again.map((m) => m.n).join(', ')}), at most ${rewritten} allowed`);
  return again.length;
}

/**
 * Every tab's record has the server's pushes `pushed` (in order), once each, and no other message
 * but those.
 * @param {any[]} tabs
 * @param {any[]} snapshots
 * @param {string[]} pushed
 */
export function assertFanOut(tabs, snapshots, pushed) {
  for (const [i, s] of snapshots.entries()) {
    assert.deepEqual(s.messages.map((m) => m.data), pushed, `tab ${tabs[i].name} received every push once, in order`);
  }
}

/** No page error in any tab (the browser's own reports of failed connections excepted). */
export function assertCleanTabs(tabs, snapshots) {
  for (const [i, tab] of tabs.entries()) {
    assert.deepEqual(tab.errors.filter((e) => !isBrowserConnectionReport(e)), [], `tab ${tab.name} raised no error`);
    if (snapshots[i]) assert.deepEqual(snapshots[i].pageProblems, [], `tab ${tab.name}: no uncaught error`);
  }
}

/** The median and the largest of `values`. @param {number[]} values */
export function medianAndWorst(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, worst: sorted.at(-1) };
}
