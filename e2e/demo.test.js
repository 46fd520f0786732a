// README command 1 works: the demo's headless mode (what `bash scripts/demo.sh --headless` runs after
// the build) plays its fault scenario in the run's engine (`--engine`), prints the page's timeline as
// a table, saves a screenshot and exits 0. The checks of the scenario itself live in examples/demo/headless.js; this
// test holds it to its exit status and its output. Then the page's "Share across tabs" switch, in two
// tabs of one browser context.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { startDemoServers } from '../examples/demo/fault-server.js';
import { ENGINE, launchBrowser } from './support/browser.js';
import { REPO_ROOT } from './support/servers.js';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

test('the headless demo plays its fault scenario, prints the timeline, saves a screenshot and exits 0', { timeout: 90_000 }, async (t) => {
  const out = await mkdtemp(path.join(tmpdir(), 'rws-demo-'));
  t.after(() => rm(out, { recursive: true, force: true }));
  const child = spawn(process.execPath, ['examples/demo/server.js', '--headless', '--engine', ENGINE, '--out', out], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const [code] = await once(child, 'exit');
  const verdict = output.split('\n').find((line) => /^demo: (OK|FAILED)/.test(line));
  if (verdict) t.diagnostic(verdict);

  assert.equal(code, 0, `the demo exited ${code}:\n${output}`);
  const lines = output.split('\n');
  const header = lines.findIndex((line) => /^\s+t=\+ms\s+│ event\s+│ detail\s+│ connectionState\s+│ readyState/.test(line));
  assert.ok(header >= 0, `no timeline table in the output:\n${output}`);
  const rows = lines.slice(header + 2).filter((line) => /^\s+\+\d+\s+│/.test(line));
  const events = rows.map((row) => row.split('│')[1].trim());
  for (const event of ['open', 'fault', 'close', 'reconnecting', 'heartbeat', 'send', 'message']) {
    assert.ok(events.includes(event), `the timeline has no ${event} row:\n${output}`);
  }
  assert.match(output, /^demo: OK in [\d.]+ s: each of 4 faults was followed by a reconnect/m);

  const screenshot = path.join(out, 'demo-screenshot.png');
  assert.match(output, new RegExp(`screenshot saved to ${screenshot.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  const image = await readFile(screenshot);
  assert.deepEqual(image.subarray(0, 8), PNG_SIGNATURE, 'the screenshot is a PNG');
  // The PNG's IHDR: width and height, big-endian, at bytes 16 and 20. The page is shown 1280 × 900:
  // Chromium's screenshot is exactly that wide and the whole page high; Firefox's leaves out the
  // scrollbar, and WebKit's is the window's viewport, less its own toolbar.
  const [width, height] = [image.readUInt32BE(16), image.readUInt32BE(20)];
  if (ENGINE === 'chromium') {
    assert.equal(width, 1280);
    assert.ok(height >= 900, 'the screenshot shows the whole page');
  } else {
    assert.ok(width >= 1240 && width <= 1280, `the screenshot is ${width} px wide`);
    assert.ok(height >= 800, `the screenshot is ${height} px high`);
  }
});

test('the demo\'s "Share across tabs" switch puts two tabs of it on one connection', { timeout: 60_000 }, async (t) => {
  const servers = await startDemoServers();
  t.after(() => servers.stop());
  const browser = await launchBrowser();
  t.after(() => browser.close());
  const context = await browser.newContext();
  const tabs = [];
  for (let i = 0; i < 2; i++) {
    const page = await context.newPage();
    await page.goto(servers.pageUrl);
    await page.waitForFunction(() => window.demoSocket?.readyState === 1, undefined, { timeout: 10_000 });
    // The switch reloads the page with ?share=1 and `share: true`.
    await page.click('#share');
    await page.waitForFunction(() => location.search.includes('share=1') && window.demoSocket?.readyState === 1, undefined, { timeout: 10_000 });
    tabs.push(page);
  }
  // The cards are redrawn every 200 ms.
  for (const page of tabs) await page.waitForFunction(() => document.getElementById('share-role')?.textContent === window.demoSocket.shareRole);
  const roles = await Promise.all(tabs.map((page) => page.locator('#share-role').textContent()));
  assert.deepEqual([...roles].sort(), ['follower', 'holder'], `the share role cards: ${roles}`);
  const shared = servers.chaos.connections.filter((connection) => connection.closedAt === undefined || connection.closedAt === null);
  assert.equal(shared.length, 1, `one connection open for both tabs: ${JSON.stringify(servers.chaos.connections)}`);
  // A message sent in either tab is echoed to both.
  await tabs[1].fill('#message', 'from the second tab');
  await tabs[1].click('#send');
  for (const page of tabs) {
    await page.waitForFunction(() => window.demoTimeline.some((entry) => entry.event === 'message' && entry.data === 'from the second tab'), undefined, { timeout: 5000 });
  }
});
