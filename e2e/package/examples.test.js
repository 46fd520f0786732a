// The examples as a user gets them: the repository is packed once with `npm pack`, each example is
// copied to a temporary directory, the tarball and the example's dependencies are installed with
// `npm install`, the Vite apps are built with `vite build`, and the result is served by a static
// server and driven in headless Chromium against a local WebSocket echo server: it connects, shows
// the echoed messages, rides out a server restart (a message sent while the server is down is
// queued and shown once it is back), and the server never has two connections of one page open.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { before, test } from 'node:test';
import { openPage } from '../support/browser.js';
import { startChaosServer } from '../support/chaos-server.js';
import { assertCleanPage } from '../support/fault-harness.js';
import { useBrowser } from '../support/fixtures.js';
import { startStaticServer } from '../support/servers.js';
import { exampleDir, installExample, packTarball, progress, sh } from './support.js';

const shared = useBrowser();
/** name -> the example's temporary copy with everything installed */
const installed = new Map();

before(async () => {
  const tarball = await packTarball();
  // The examples name the tarball that `npm pack` makes at the repository root; the test installs
  // its own copy of it, but the name must still match the package's version.
  for (const name of ['script-tag', 'react', 'vue']) {
    const manifest = JSON.parse(await readFile(path.join(exampleDir(name), 'package.json'), 'utf8'));
    assert.equal(
      manifest.dependencies['resilient-websocket'],
      `file:../../${path.basename(tarball)}`,
      `examples/${name}/package.json depends on the tarball npm pack makes`,
    );
  }
  // npm install is mostly waiting on the cache and the disk: the three run side by side.
  await Promise.all(['script-tag', 'react', 'vue'].map(async (name) => installed.set(name, await installExample(name, tarball))));
}, { timeout: 600_000 }); // with an empty npm cache, the installs download Vite, React and Vue

/** `vite build` in an installed example; returns the dist directory. */
async function viteBuild(name, env = {}) {
  const dir = installed.get(name);
  const started = Date.now();
  await sh(process.execPath, [path.join(dir, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], { cwd: dir, env });
  progress(`vite build of examples/${name}${env.NODE_ENV ? ` (NODE_ENV=${env.NODE_ENV})` : ''}: ${Date.now() - started} ms`);
  return path.join(dir, 'dist');
}

/**
 * Serves `root` for the test `t` (with `headScript` first in every page) and starts an echoing
 * chaos server; both stop after `t`.
 */
async function serve(t, root, { headScript } = {}) {
  const http = await startStaticServer({ root, headScript });
  t.after(() => http.stop());
  const chaos = await startChaosServer({ echo: true });
  t.after(() => chaos.dispose());
  return { http, chaos };
}

/** Opens `pageUrl` with `?url=` pointing at the chaos server. */
async function openExample(t, pageUrl, chaos) {
  const { page, errors } = await openPage(shared.browser);
  t.after(() => page.close());
  await page.goto(`${pageUrl}?url=${encodeURIComponent(chaos.url)}`);
  return { page, errors };
}

/** Every connection the server had is closed and recorded (open() drops one at its close frame already). */
const allClosed = (chaos) => chaos.connections.every((c) => c.closedAt !== null);

const shownState = (page) => page.locator('#state').textContent();

async function waitForState(page, state) {
  await page.waitForFunction((state) => document.querySelector('#state')?.textContent === state, state);
}

async function waitForMessage(page, text) {
  await page.waitForFunction(
    (text) => [...document.querySelectorAll('#messages li')].some((li) => li.textContent === text),
    text,
  );
}

async function sendFromPage(page, text) {
  await page.fill('#text', text);
  await page.click('#send');
}

/**
 * The scenario every example goes through: open, an echoed message, a server restart with a message
 * sent while it is down, and never two of the page's connections open at once on the server.
 */
async function chatThroughRestart(page, chaos, label) {
  await waitForState(page, 'open');
  await sendFromPage(page, `hello from ${label}`);
  await waitForMessage(page, `hello from ${label}`);

  // A crash: TCP dropped without a close frame; the page shows it is reconnecting.
  await chaos.stop();
  await page.waitForFunction(() => document.querySelector('#state')?.textContent !== 'open');
  const whileDown = await shownState(page);
  await sendFromPage(page, `${label} while the server was down`);
  await chaos.start();
  await waitForState(page, 'open');
  await waitForMessage(page, `${label} while the server was down`);
  assert.ok(['reconnecting', 'connecting'].includes(whileDown), `state while the server was down: ${whileDown}`);
  assert.deepEqual(
    chaos.messages().map((m) => m.data),
    [`hello from ${label}`, `${label} while the server was down`],
    'the server received each message once, the second on the new connection',
  );
  assert.equal(chaos.maxOpen, 1, `never two connections open at once on the server; ${chaos.describe()}`);
  progress(`${label}: connected, echoed, reconnected after a server restart (${chaos.connections.length} connections)`);
}

test('script-tag example: the IIFE bundle in a classic <script src>', { timeout: 60_000 }, async (t) => {
  const { http, chaos } = await serve(t, installed.get('script-tag'));
  const { page, errors } = await openExample(t, `${http.url}/classic.html`, chaos);
  assert.equal(await page.evaluate(() => typeof window.ResilientWebSocket.DropEvent), 'function');
  await chatThroughRestart(page, chaos, 'classic');
  assert.deepEqual(http.requests.filter((p) => p.endsWith('.wasm')), [], 'the wasm is inside the bundle: no .wasm fetched');
  assertCleanPage(errors);
});

test('script-tag example: the default entry in a <script type="module"> with an import map', { timeout: 60_000 }, async (t) => {
  const { http, chaos } = await serve(t, installed.get('script-tag'));
  const { page, errors } = await openExample(t, `${http.url}/module.html`, chaos);
  await chatThroughRestart(page, chaos, 'module');
  assert.deepEqual(http.requests.filter((p) => p.endsWith('.wasm')), [], 'the wasm is inlined: no .wasm fetched');
  assertCleanPage(errors);
});

test('the slim entry: constructing before init() throws and says so; after init() it connects', { timeout: 60_000 }, async (t) => {
  const { http, chaos } = await serve(t, installed.get('script-tag'));
  const { page, errors } = await openExample(t, `${http.url}/index.html`, chaos);
  const result = await page.evaluate(async (url) => {
    const next = (target, type) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no '${type}' event within 5000 ms`)), 5000);
        target.addEventListener(type, (event) => resolve(event, clearTimeout(timer)), { once: true });
      });
    const slim = await import('/node_modules/resilient-websocket/js/slim.js');
    let before;
    try {
      new slim.ResilientWebSocket(url);
      before = 'constructed';
    } catch (error) {
      before = `${error.name}: ${error.message}`;
    }
    await slim.init();
    const ws = new slim.ResilientWebSocket(url);
    await next(ws, 'open');
    ws.send('slim');
    const echo = await next(ws, 'message');
    ws.close();
    return { before, echo: echo.data };
  }, chaos.url).catch((error) => ({ error: String(error) }));
  assert.deepEqual(result, {
    before: "Error: ResilientWebSocket: call init() from 'resilient-websocket/slim' and await it before constructing",
    echo: 'slim',
  });
  assert.deepEqual(
    http.requests.filter((p) => p.endsWith('.wasm')),
    ['/node_modules/resilient-websocket/pkg/resilient_websocket_bg.wasm'],
    'init() fetched the .wasm shipped beside the entry',
  );
  assertCleanPage(errors);
});

test('react example (vite build, StrictMode): one socket through the double mount, closed on unmount', { timeout: 90_000 }, async (t) => {
  // StrictMode's mount, unmount and remount happen only in React's development build, so this
  // build is made with NODE_ENV=development (as `vite` dev serves it); the Vue example below is a
  // production build.
  const dist = await viteBuild('react', { NODE_ENV: 'development' });
  assert.deepEqual((await readdir(path.join(dist, 'assets'))).filter((f) => f.endsWith('.wasm')), [], 'no .wasm emitted: it is inlined');
  // Counts the hook's subscriptions: its effect subscribes to 'statechange' each time it runs.
  const countSubscriptions = () => {
    window.subscriptions = { added: 0, removed: 0 };
    const { addEventListener, removeEventListener } = EventTarget.prototype;
    EventTarget.prototype.addEventListener = function (type, ...rest) {
      if (type === 'statechange') window.subscriptions.added += 1;
      return addEventListener.call(this, type, ...rest);
    };
    EventTarget.prototype.removeEventListener = function (type, ...rest) {
      if (type === 'statechange') window.subscriptions.removed += 1;
      return removeEventListener.call(this, type, ...rest);
    };
  };
  const { http, chaos } = await serve(t, dist, { headScript: `(${countSubscriptions})();` });
  const { page, errors } = await openExample(t, `${http.url}/`, chaos);
  await waitForState(page, 'open');
  assert.deepEqual(
    await page.evaluate(() => window.subscriptions),
    { added: 2, removed: 1 },
    "StrictMode ran the hook's effect twice (mount, unmount, remount)",
  );
  assert.equal(chaos.connections.length, 1, `one connection for the double mount; ${chaos.describe()}`);

  await chatThroughRestart(page, chaos, 'react');
  assert.equal(await page.locator('#last').textContent(), 'react while the server was down', "the hook's lastMessage");

  // Unmounting the chat closes its socket for good (1000 from the client); mounting it again opens one.
  await page.click('#toggle');
  await chaos.waitFor(allClosed, { what: 'the socket closed on unmount' });
  assert.deepEqual(
    chaos.connections.map((c) => [c.closedBy, c.closeCode]),
    [['server-terminate', 1006], ['client', 1000]],
  );
  await page.click('#toggle');
  await waitForState(page, 'open');
  await chaos.waitFor((c) => c.open().length === 1, { what: 'one live socket after remounting' });
  assert.equal(chaos.connections.length, 3, chaos.describe());
  assert.equal(chaos.maxOpen, 1, `never two connections open at once on the server; ${chaos.describe()}`);
  assertCleanPage(errors);
});

test('vue example (vite build): the composable connects, survives a restart, closes with its scope', { timeout: 90_000 }, async (t) => {
  const dist = await viteBuild('vue');
  assert.deepEqual((await readdir(path.join(dist, 'assets'))).filter((f) => f.endsWith('.wasm')), [], 'no .wasm emitted: it is inlined');
  const { http, chaos } = await serve(t, dist);
  const { page, errors } = await openExample(t, `${http.url}/`, chaos);
  await chatThroughRestart(page, chaos, 'vue');

  await page.click('#toggle');
  await chaos.waitFor(allClosed, { what: 'the socket closed when the scope was disposed' });
  assert.deepEqual(
    chaos.connections.map((c) => [c.closedBy, c.closeCode]),
    [['server-terminate', 1006], ['client', 1000]],
  );
  await page.click('#toggle');
  await waitForState(page, 'open');
  await chaos.waitFor((c) => c.open().length === 1, { what: 'one live socket after remounting' });
  assert.equal(chaos.connections.length, 3, chaos.describe());
  assert.equal(chaos.maxOpen, 1, chaos.describe());
  assertCleanPage(errors);
});
