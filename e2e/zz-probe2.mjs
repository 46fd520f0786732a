// scratch probe (not committed): the browser facts the share group's design assumes
import { launchEngine } from './support/browser.js';
import { startStaticServer } from './support/servers.js';
const engine = process.argv[2];
const http = await startStaticServer();
const browser = await launchEngine(engine);
const url = `http://127.0.0.1:${http.port}/e2e/pages/harness.html`;
const out = {};
const context = await browser.newContext();
const a = await context.newPage(); const b = await context.newPage();
await a.goto(url); await b.goto(url);
const name = 'p2-' + Math.random();
// 1. BroadcastChannel round trips a -> b -> a
await b.evaluate((name) => { const bc = new BroadcastChannel(name); bc.onmessage = (e) => bc.postMessage(e.data); globalThis.keep = bc; }, name);
out.channelRoundTripMs = await a.evaluate(async (name) => {
  const bc = new BroadcastChannel(name); const rtts = [];
  for (let i = 0; i < 50; i++) {
    const t = performance.now();
    await new Promise((r) => { bc.onmessage = r; bc.postMessage(i); });
    rtts.push(performance.now() - t);
  }
  rtts.sort((x, y) => x - y);
  return { median: rtts[25], worst: rtts[49], best: rtts[0] };
}, name);
// 2. lock passes on page close
await a.evaluate((name) => { navigator.locks.request(name, () => new Promise(() => {})); }, name);
await new Promise((r) => setTimeout(r, 100));
await b.evaluate((name) => { globalThis.grantedAt = null; navigator.locks.request(name, () => { globalThis.grantedAt = Date.now(); return new Promise(() => {}); }); }, name);
const closedAt = Date.now();
await a.close();
await b.waitForFunction(() => globalThis.grantedAt !== null, null, { timeout: 10000 });
out.lockPassesAfterCloseMs = (await b.evaluate(() => globalThis.grantedAt)) - closedAt;
// 3. Chromium: a frozen holder keeps its lock; what runs first on resume
if (engine === 'chromium') {
  const c = await context.newPage(); await c.goto(url);
  const n2 = name + '-f';
  await c.evaluate((n2) => {
    globalThis.log = [];
    navigator.locks.request(n2, () => { log.push(['held', performance.now()]); return new Promise(() => {}); })
      .catch((e) => log.push(['lost:' + e.name, performance.now()]));
    const bc = new BroadcastChannel(n2); bc.onmessage = (e) => log.push(['post:' + e.data, performance.now()]); globalThis.keepBc = bc;
    setInterval(() => log.push(['tick', performance.now()]), 50);
  }, n2);
  await new Promise((r) => setTimeout(r, 200));
  const cdp = await context.newCDPSession(c);
  out.frozeAt = await c.evaluate(() => Math.round(performance.now()));
  await cdp.send('Debugger.enable');
  await cdp.send('Debugger.pause');

  const kept = await b.evaluate((n2) => navigator.locks.request(n2, { ifAvailable: true }, (l) => l === null), n2);
  await b.evaluate((n2) => { const bc = new BroadcastChannel(n2); bc.postMessage('during-freeze'); }, n2);
  await b.evaluate((n2) => navigator.locks.request(n2, { steal: true }, () => new Promise(() => {})) && true, n2);
  await new Promise((r) => setTimeout(r, 500));
  await cdp.send('Debugger.resume');
  out.resumedBy = await c.evaluate(() => Math.round(performance.now()));
  await new Promise((r) => setTimeout(r, 300));
  const log = await c.evaluate(() => log);
  const i = log.lastIndexOf('held');
  const gap = log.findIndex((e, k) => k > 0 && e[1] - log[k - 1][1] > 300);
  out.ticks = log.map((e) => (e[0] === 'tick' ? '' : e[0]) + Math.round(e[1])).join(' ');
  out.frozen = { lockKeptWhileFrozen: kept, aroundResume: log.slice(Math.max(0, gap - 1), gap + 4).map((e) => e[0] + '@' + Math.round(e[1])), nonTicks: log.filter((e) => e[0] !== 'tick').map((e) => e[0] + '@' + Math.round(e[1])) };
}
console.log(engine, JSON.stringify(out));
await browser.close(); await http.stop();
