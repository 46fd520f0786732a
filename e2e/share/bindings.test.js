// The React hook and the Vue composable pass `share` through (issue 17): two tabs of one context,
// each rendering a component that calls `useResilientWebSocket(url, { share: true })` from the
// share entries (`resilient-websocket/share/react`, `resilient-websocket/share/vue`), make one
// connection at the server, one holder and one follower, and a server message reaches the
// binding's state (`lastMessage`) in both. As a user gets them: the package as `npm pack` makes it,
// installed with React and Vue (the examples' pinned versions) into a temporary project, each page
// bundled by esbuild.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { build } from 'esbuild';
import { exampleVersion, makeTempDir, npmInstall, packTarball } from '../package/support.js';
import { startStaticServer } from '../support/servers.js';
import { startShareServer } from '../support/share-server.js';
import { closeTabBrowser, launchTabBrowser, openTab } from '../support/tab-faults.js';
import { assertNeverTwoAtOnce, sleep } from './helpers.js';

// Each page shows the binding's state in #state, "<readyState> <lastMessage.data>", and puts the
// binding's socket on `window.socket` (its shareRole changes without a render).
const PAGES = {
  react: `
import { createElement, useEffect } from 'react';
import { createRoot } from 'react-dom/client';
import { useResilientWebSocket } from 'resilient-websocket/share/react';

const url = new URLSearchParams(location.search).get('url');
function App() {
  const { socket, readyState, lastMessage } = useResilientWebSocket(url, { share: true });
  useEffect(() => {
    window.socket = socket;
  }, [socket]);
  return createElement('output', { id: 'state' }, \`\${readyState} \${lastMessage?.data ?? ''}\`);
}
createRoot(document.getElementById('root')).render(createElement(App));
`,
  vue: `
import { createApp, h, watchEffect } from 'vue';
import { useResilientWebSocket } from 'resilient-websocket/share/vue';

const url = new URLSearchParams(location.search).get('url');
createApp({
  setup() {
    const { socket, readyState, lastMessage } = useResilientWebSocket(url, { share: true });
    watchEffect(() => {
      window.socket = socket.value;
    });
    return () => h('output', { id: 'state' }, \`\${readyState.value} \${lastMessage.value?.data ?? ''}\`);
  },
}).mount('#root');
`,
};

let browser;
let http;
before(async () => {
  const tarball = await packTarball();
  const dir = await makeTempDir('share-bindings');
  await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: 'share-bindings', private: true, type: 'module' }));
  const react = await exampleVersion('react', 'react');
  const vue = await exampleVersion('vue', 'vue');
  await npmInstall(dir, tarball, [`react@${react}`, `react-dom@${react}`, `vue@${vue}`], 'the share bindings test');
  for (const [name, source] of Object.entries(PAGES)) {
    await writeFile(path.join(dir, `${name}.js`), source);
    await build({
      entryPoints: [path.join(dir, `${name}.js`)],
      bundle: true,
      format: 'esm',
      outfile: path.join(dir, 'dist', `${name}.js`),
      define: { 'process.env.NODE_ENV': '"production"' },
      logLevel: 'warning',
    });
    await writeFile(
      path.join(dir, 'dist', `${name}.html`),
      `<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><div id="root"></div><script type="module" src="./${name}.js"></script>\n`,
    );
  }
  http = await startStaticServer({ root: path.join(dir, 'dist') });
  browser = await launchTabBrowser();
}, { timeout: 600_000 }); // with an empty npm cache, the install downloads React and Vue

after(async () => {
  if (browser) await closeTabBrowser(browser);
  await http?.stop();
});

/** Polls every tab's `{ shown: #state, role: socket.shareRole }` until `predicate(states)` holds (10 s). */
async function waitForStates(tabs, predicate, what) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const states = await Promise.all(
      tabs.map((tab) => tab.page.evaluate(() => ({ shown: document.querySelector('#state')?.textContent ?? '', role: window.socket?.shareRole ?? null }))),
    );
    if (predicate(states)) return states;
    if (Date.now() > deadline) {
      throw new Error(`no ${what} within 10 s; the tabs show ${JSON.stringify(states)}; their errors: ${JSON.stringify(tabs.map((tab) => tab.errors))}`);
    }
    await sleep(20);
  }
}

for (const binding of Object.keys(PAGES)) {
  test(`${binding}: two tabs using the binding with share: true make one connection; a server message reaches both`, { timeout: 60_000 }, async (t) => {
    const server = await startShareServer();
    t.after(() => server.stop());
    const context = await browser.newContext();
    t.after(() => context.close());
    const tabs = [];
    for (let i = 0; i < 2; i++) tabs.push(await openTab(browser, context, `${http.url}/${binding}.html?url=${encodeURIComponent(server.urlFor(binding))}`));
    const roles = (states) => states.map((s) => s.role).sort();
    const open = await waitForStates(tabs, (states) => states.every((s) => s.shown.startsWith('1 ')) && roles(states).join() === 'follower,holder', 'both OPEN, a holder and a follower');
    assert.deepEqual(roles(open), ['follower', 'holder']);
    assert.equal(server.connectionsOf(binding).length, 1, `one connection for two tabs (${server.describe()})`);
    server.push(`hello ${binding}`, binding);
    await waitForStates(tabs, (states) => states.every((s) => s.shown === `1 hello ${binding}`), "the push as both tabs' lastMessage");
    assert.equal(server.connectionsOf(binding).length, 1, `still one connection (${server.describe()})`);
    assertNeverTwoAtOnce(t, server, binding);
    for (const tab of tabs) assert.deepEqual(tab.errors, [], 'no page error');
  });
}
