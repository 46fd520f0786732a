// The Leptos example (examples/leptos: the crate's Rust face in a Rust web app, client-side
// rendered), as scripts/test.sh's step leptos-build built it (`wasm-pack build --target web --dev`
// into examples/leptos/pkg/), served by a static server and driven against a local WebSocket echo
// server: it connects, sends typed JSON and renders the typed echo, rides out a server restart (the
// page shows the reconnection, and a message sent while the server is down is queued and rendered
// once it is back), and hiding the chat drops its handle, which closes the socket with 1000.
import assert from 'node:assert/strict';
import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { before, test } from 'node:test';
import { openPage } from '../support/browser.js';
import { startChaosServer } from '../support/chaos-server.js';
import { assertCleanPage } from '../support/fault-harness.js';
import { useBrowser } from '../support/fixtures.js';
import { REPO_ROOT, startStaticServer } from '../support/servers.js';
import { exampleDir, progress } from './support.js';

const shared = useBrowser();
const root = exampleDir('leptos');

before(async () => {
  await access(path.join(root, 'pkg/leptos_chat_bg.wasm')).catch(() => {
    throw new Error('examples/leptos/pkg/ is missing: build it first (cd examples/leptos && wasm-pack build --target web --dev), as scripts/test.sh does');
  });
});

const text = (page, selector) => page.locator(selector).textContent();

async function waitForState(page, state) {
  await page.waitForFunction((state) => document.querySelector('#state')?.textContent === state, state);
}

async function waitForMessage(page, shown) {
  await page.waitForFunction((shown) => [...document.querySelectorAll('#messages li')].some((li) => li.textContent === shown), shown);
}

async function send(page, message) {
  await page.fill('#text', message);
  await page.click('#send');
}

test('leptos example: its module carries the Rust face only, no JS-face export', async () => {
  // The example depends on the crate with default-features = false: the feature js-face, and with
  // it the WebDriver class the npm package's JS class wraps, stays out of its module.
  // The npm package's plain build (scripts/build.sh, with js-face) names it in its glue.
  const npmGlue = await readFile(path.join(REPO_ROOT, 'pkg/resilient_websocket.js'), 'utf8');
  assert.ok(npmGlue.includes('WebDriver'), "the npm build's glue exports WebDriver");
  const glue = await readFile(path.join(root, 'pkg/leptos_chat.js'), 'utf8');
  assert.equal(glue.includes('WebDriver'), false, "no WebDriver in the example's glue");
});

test('leptos example: typed JSON through a server restart; the socket closes with the component', { timeout: 60_000 }, async (t) => {
  const http = await startStaticServer({ root });
  t.after(() => http.stop());
  const chaos = await startChaosServer({ echo: true });
  t.after(() => chaos.dispose());
  const { page, errors } = await openPage(shared.browser);
  t.after(() => page.close());
  await page.goto(`${http.url}/index.html?url=${encodeURIComponent(chaos.url)}`);

  await waitForState(page, 'open');
  assert.equal(await text(page, '#reconnects'), '0');
  await send(page, 'hello from leptos');
  await waitForMessage(page, 'leptos: hello from leptos');

  // A crash: TCP dropped without a close frame; the page shows it is reconnecting.
  await chaos.stop();
  await page.waitForFunction(() => document.querySelector('#state')?.textContent !== 'open');
  const whileDown = await text(page, '#state');
  await send(page, 'sent while the server was down');
  await page.waitForFunction(() => Number(document.querySelector('#reconnects')?.textContent) >= 1);
  await chaos.start();
  await waitForState(page, 'open');
  await waitForMessage(page, 'leptos: sent while the server was down');
  assert.ok(['reconnecting', 'connecting'].includes(whileDown), `state while the server was down: ${whileDown}`);
  assert.deepEqual(
    chaos.messages().map((m) => JSON.parse(m.data)),
    [
      { user: 'leptos', text: 'hello from leptos' },
      { user: 'leptos', text: 'sent while the server was down' },
    ],
    'the server received each typed message once, as JSON, the second on the new connection',
  );
  assert.equal(chaos.maxOpen, 1, `never two connections open at once on the server; ${chaos.describe()}`);
  assert.equal(await text(page, '#problem'), '', 'every reply parsed as a ChatMessage');

  // Hiding the chat unmounts it: its handle is dropped, which closes the socket (1000 from the client).
  await page.click('#toggle');
  await chaos.waitFor((c) => c.connections.every((connection) => connection.closedAt !== null), { what: 'the socket closed on unmount' });
  assert.deepEqual(
    chaos.connections.map((c) => [c.closedBy, c.closeCode]),
    [
      ['server-terminate', 1006],
      ['client', 1000],
    ],
  );
  progress(`leptos: connected, typed JSON echoed, reconnected after a server restart, closed on unmount (${chaos.connections.length} connections)`);
  assertCleanPage(errors);
});
