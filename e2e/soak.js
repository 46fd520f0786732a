// Soak mode (issue 5): a random fault schedule for a given duration against clients that send a
// numbered stream the whole time, then a delivery summary. Not part of the test command (the name
// is not *.test.js, so `node --test e2e/**/*.test.js` does not pick it up).
//
//   node e2e/soak.js --minutes 10 [--seed 12345] [--clients 2] [--acked | --cluster]
//   npm run soak -- --minutes 10 [--acked | --cluster]
//
// It builds nothing: `pkg/` must exist (`bash scripts/build.sh`, or `bash scripts/test.sh`, which
// builds it), and so must node_modules and /usr/bin/chromium (`bash scripts/bootstrap.sh`).
//
// Faults, drawn with a seeded PRNG (the seed is printed; --seed replays the same schedule of kinds
// and parameters, not the same timing): server restart (crash, and graceful with 1001), TCP
// terminate, silent server (caught by the heartbeat), close with a random non-terminal code,
// N upgrades refused (503), handshakes stalled (connectTimeout), offline/online through
// context.setOffline. After each fault it waits (bounded) until every client is OPEN again with one
// connection on the server, then lets them run healthy for a moment.
//
// Exit status: 0 when nothing was duplicated, nothing was "lost otherwise", nothing was handed to a
// CLOSING socket or taken and never handed over, nothing arrived out of order and every recovery
// finished within its bound; 1 otherwise; 2 on an internal error or the
// global watchdog; 130 on SIGINT (after a summary of what ran). "Lost in flight" (handed to a socket
// that died without a close frame) is reported, not failed: only acknowledgements can prevent it.
//
// With --acked (issue 6) the clients use `delivery: 'acked'` and the chaos server has the AckedServer
// adapter behind it (e2e/acked/stack.js), whose application also sends each client a numbered stream.
// Server restarts keep the sessions (the adapter lives in this process). Exit status 0 then requires
// both streams complete: zero lost (in flight included) and zero duplicated, in both directions.
//
// With --cluster (issue 15) it is e2e/cluster/soak-run.js instead: acked clients through nginx to
// three AckedServer nodes sharing Redis, while nodes are killed, cut, restarted and silenced and
// Redis restarts (the faults in turn, the seed draws their parameters); exit status 0 on its pass.
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH, isBrowserConnectionReport } from './support/browser.js';
import { startChaosServer } from './support/chaos-server.js';
import { analyzeDelivery, call, openFaultPage, prng, sleep } from './support/fault-harness.js';
import { startStaticServer } from './support/servers.js';
import { countStream, startAckedStack } from './acked/stack.js';
import { clusterSoakPassed, formatClusterSoak, runClusterSoak } from './cluster/soak-run.js';

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    seed: { type: 'string' },
    clients: { type: 'string', default: '2' },
    period: { type: 'string', default: '25' }, // ms between two numbered messages, per client
    acked: { type: 'boolean', default: false },
    cluster: { type: 'boolean', default: false },
  },
});
const minutes = Number(args.minutes);
const clientCount = Number.parseInt(args.clients, 10);
const periodMs = Number(args.period);
const seed = args.seed !== undefined ? Number.parseInt(args.seed, 10) >>> 0 : (Math.random() * 2 ** 32) >>> 0;
if (!(minutes > 0) || !(clientCount >= 1) || !(periodMs >= 1) || Number.isNaN(seed)) {
  console.error('usage: node e2e/soak.js [--minutes N (> 0)] [--seed U32] [--clients N (>= 1)] [--period MS] [--acked | --cluster]');
  process.exit(2);
}
if (args.cluster) {
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true, timeout: 30_000 });
  const http = await startStaticServer();
  let code = 2;
  try {
    console.log(`soak --cluster: seed ${seed}, ${minutes} min, ${clientCount} client(s)`);
    const result = await runClusterSoak({
      browser,
      httpUrl: http.url,
      seconds: minutes * 60,
      periodMs,
      clients: clientCount,
      seed,
      log: (line) => console.log(line),
    });
    console.log(formatClusterSoak(result).join('\n'));
    const passed = clusterSoakPassed(result);
    console.log(passed ? 'soak: PASS (zero lost, zero duplicated, zero out of order, both directions; every repeated delivery flagged redelivered)' : 'soak: FAIL');
    code = passed ? 0 : 1;
  } catch (error) {
    console.error(`soak: error: ${error.stack ?? error}`);
  } finally {
    await browser.close().catch(() => {});
    await http.stop().catch(() => {});
  }
  process.exit(code);
}

const random = prng(seed);
const between = (lo, hi) => lo + Math.floor(random() * (hi - lo + 1));
const pick = (list) => list[Math.floor(random() * list.length)];

const HEARTBEAT = { interval: 1000, timeout: 1000 };
const RECONNECT = { minDelay: 100, maxDelay: 1500, factor: 1.6, jitter: 'full', connectTimeout: 1500 };
/** Close codes the default policy reconnects on (no 1002/1003/1007–1010, 3500–3999, 4500–4999). */
const NON_TERMINAL_CODES = [1000, 1001, 1011, 1012, 1013, 1014, 3000, 3499, 4000, 4001, 4499];
const RECOVERY_TIMEOUT_MS = 20_000;
const PROGRESS_EVERY_MS = 30_000;
const DRAIN_TIMEOUT_MS = 30_000;

const names = Array.from({ length: clientCount }, (_, i) => String.fromCharCode(97 + (i % 26)) + (i >= 26 ? i : ''));
const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0)} s`;
const faults = {};
const recoveryFailures = [];
let interrupted = false;
const acked = args.acked;
let http;
let chaos;
/** With --acked: the chaos server with the adapter and its application behind it. */
let stack;
let browser;
let page;
let errors = [];

async function cleanup() {
  await Promise.race([
    (async () => {
      await browser?.close().catch(() => {});
      await chaos?.dispose().catch(() => {});
      await http?.stop().catch(() => {});
    })(),
    sleep(10_000),
  ]);
}

// A global watchdog: the schedule, the drain and the summary take minutes + a bounded tail.
const watchdog = setTimeout(async () => {
  console.error(`soak: watchdog: still running ${minutes} min + 3 min after the start; giving up`);
  await cleanup();
  process.exit(2);
}, (minutes + 3) * 60_000);
watchdog.unref();

process.on('SIGINT', () => {
  if (interrupted) {
    console.error('soak: second SIGINT, exiting now');
    cleanup().finally(() => process.exit(130));
    return;
  }
  interrupted = true;
  console.error('soak: SIGINT: ending the schedule, then draining and printing the summary (again to exit at once)');
});

/** Light per-client state (no full record: that grows with every message). */
function pageState() {
  return page.evaluate(([names, acked]) => names.map((name) => {
    const c = acked ? window.acked.clients.get(name) : window.faults.clients.get(name);
    const sent = acked ? c.sent : c.log.sent.length;
    return { name, readyState: c.ws.readyState, state: c.ws.connectionState, sent, stats: c.ws.stats };
  }), [names, acked]);
}

/** Every client OPEN in the page with exactly one open connection on the server (bounded). */
async function waitRecovered(kind, timeoutMs = RECOVERY_TIMEOUT_MS) {
  const deadline = Date.now() + timeoutMs;
  let states;
  for (;;) {
    states = await pageState();
    if (states.every((s) => s.readyState === 1 && chaos.open(s.name).length === 1)) return true;
    if (Date.now() > deadline) break;
    await sleep(50);
  }
  const detail = states.map((s) => `${s.name}:${s.state}/server-open ${chaos.open(s.name).length}`).join(' ');
  recoveryFailures.push({ kind, at: elapsed(), detail });
  console.log(`soak: [${elapsed()}] no recovery within ${timeoutMs} ms after ${kind}: ${detail}`);
  return false;
}

/** One fault of each kind; each returns when the fault is over (the recovery is waited for after). */
const FAULTS = {
  async 'restart-crash'() {
    await chaos.stop();
    await sleep(between(50, 1500));
    await chaos.start();
  },
  async 'restart-graceful'() {
    await chaos.stop({ close: { code: 1001, reason: 'going away' } });
    await sleep(between(50, 1500));
    await chaos.start();
  },
  async terminate() {
    chaos.terminateAll();
  },
  async silent() {
    chaos.silenceAll();
    // Detected by the heartbeat within interval + timeout; the recovery wait covers it.
  },
  async 'close-code'() {
    const code = pick(NON_TERMINAL_CODES);
    faults.codes ??= {};
    faults.codes[code] = (faults.codes[code] ?? 0) + 1;
    chaos.closeAll(code, `soak ${code}`);
  },
  async refuse() {
    chaos.refuse(between(1, 5));
    chaos.terminateAll();
    await waitRecovered('refuse');
    chaos.accept();
  },
  async stall() {
    chaos.stall(between(1, clientCount + 1));
    chaos.terminateAll();
    await waitRecovered('stall');
    chaos.accept();
  },
  async offline() {
    const context = page.context();
    await context.setOffline(true);
    await sleep(between(300, 3000));
    await context.setOffline(false);
  },
};
const KINDS = Object.keys(FAULTS);

function printSummary(results, finalStates) {
  const sum = (f) => results.reduce((acc, r) => acc + f(r.delivery), 0);
  const line = (label, value) => console.log(`  ${label.padEnd(26)} ${value}`);
  console.log(`\nsoak summary (seed ${seed}, ${elapsed()} wall, ${clientCount} client(s), a message every ${periodMs} ms each${interrupted ? ', INTERRUPTED' : ''})`);
  line('messages sent', sum((d) => d.sent));
  line('  of them queued', sum((d) => d.queued));
  line('messages received', `${sum((d) => d.delivered)} distinct (${results.reduce((a, r) => a + r.frames, 0)} frames)`);
  line('duplicated', sum((d) => d.duplicated.length));
  line('out of order', sum((d) => d.outOfOrder.length));
  line('lost in flight', `${sum((d) => d.lostInFlight.length)} (after the server's close frame ${sum((d) => d.crossedCloseFrame.length)}, ` +
    `handed to a CLOSING/CLOSED socket ${sum((d) => d.handedToClosingSocket.length)}, never handed ${sum((d) => d.neverHanded.length)})`);
  line('lost otherwise', sum((d) => d.lostOtherwise.length));
  line('dropped with event', sum((d) => d.droppedWithEvent.length));
  line('refused by send()', sum((d) => d.refused));
  line('faults injected', Object.entries(faults).filter(([k]) => k !== 'codes').map(([k, v]) => `${k} ${v}`).join(', ') || 'none');
  if (faults.codes) line('  close codes', Object.entries(faults.codes).map(([k, v]) => `${k}×${v}`).join(' '));
  line('reconnects (ws.stats)', finalStates.map((s) => `${s.name} ${s.stats.reconnects} (attempts ${s.stats.attempts}, downtime ${Math.round(s.stats.downtimeMs)} ms)`).join('; '));
  line('server connections', `${chaos.connections.length}, upgrade attempts ${chaos.attempts.length}, overlaps not explained by a close in flight ${chaos.overlaps.filter((o) => !o.closeInFlight).length}`);
  line('recovery timeouts', recoveryFailures.length);
  const pageErrors = errors.filter((e) => !isBrowserConnectionReport(e));
  line('page errors', `${pageErrors.length}${pageErrors.length ? `: ${[...new Set(pageErrors)].slice(0, 5).join(' | ')}` : ''}`);
  for (const r of results) console.log(`  ${r.name}: sent ${r.delivery.sent}, received ${r.delivery.delivered}, lost in flight ${r.delivery.lostInFlight.length}, lost otherwise ${r.delivery.lostOtherwise.length}`);
}

async function main() {
  console.log(`soak: seed ${seed}, ${minutes} min, ${clientCount} client(s); replay the schedule with --seed ${seed}`);
  http = await startStaticServer();
  if (acked) {
    stack = await startAckedStack({ periodMs });
    chaos = stack.chaos;
  } else {
    chaos = await startChaosServer();
  }
  // As launchChromium() in support/browser.js, but SIGINT is ours: Playwright's own handler would
  // kill the browser under the drain and the summary.
  browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: CHROMIUM_ARGS,
    headless: true,
    timeout: 30_000,
    handleSIGINT: false,
  });
  ({ page, errors } = await openFaultPage(null, browser, http.url));
  if (acked) await page.evaluate(() => import('/e2e/acked/page-client.js'));
  await page.evaluate(([names, urls, heartbeat, reconnect, acked]) => {
    const create = acked ? window.acked.createClient : window.faults.createClient;
    names.forEach((name, i) => create(name, urls[i], { heartbeat, reconnect }));
  }, [names, names.map((n) => chaos.urlFor(n)), HEARTBEAT, RECONNECT, acked]);
  if (!(await waitRecovered('start', 10_000))) throw new Error('the clients never opened');
  for (const name of names) {
    if (acked) {
      await page.evaluate(([name, ms]) => window.acked.startSending(name, ms), [name, periodMs]);
      stack.sending(name, true);
    } else {
      await call(page, name, 'startSending', periodMs);
    }
  }

  const end = Date.now() + minutes * 60_000;
  let nextProgress = Date.now() + PROGRESS_EVERY_MS;
  while (Date.now() < end && !interrupted) {
    await sleep(Math.min(between(500, 3000), Math.max(0, end - Date.now())));
    if (Date.now() >= end || interrupted) break;
    const kind = pick(KINDS);
    faults[kind] = (faults[kind] ?? 0) + 1;
    await FAULTS[kind]();
    await waitRecovered(kind);
    if (Date.now() >= nextProgress) {
      nextProgress += PROGRESS_EVERY_MS;
      const states = await pageState();
      const sent = states.reduce((a, s) => a + s.sent, 0);
      const received = acked
        ? names.reduce((a, n) => a + stack.client(n).received.length, 0)
        : chaos.messages().filter((m) => m.data?.startsWith?.('m:')).length;
      const reconnects = states.reduce((a, s) => a + s.stats.reconnects, 0);
      const injected = Object.entries(faults).filter(([k]) => k !== 'codes').reduce((a, [, v]) => a + v, 0);
      console.log(`soak: [${elapsed()}] sent ${sent}, received ${received}, faults ${injected}, reconnects ${reconnects}, recovery timeouts ${recoveryFailures.length}`);
    }
  }

  // Stop sending, let the queues drain, and wait (bounded) for the last message of each client.
  for (const name of names) {
    if (acked) {
      await page.evaluate((name) => window.acked.stopSending(name), name);
      stack.sending(name, false);
    } else {
      await call(page, name, 'stopSending');
    }
  }
  await context().setOffline(false);
  chaos.accept();
  if (!chaos.running) await chaos.start();
  await waitRecovered('drain', DRAIN_TIMEOUT_MS);
  if (acked) return finishAcked();
  const drainDeadline = Date.now() + DRAIN_TIMEOUT_MS;
  while (Date.now() < drainDeadline) {
    const states = await pageState();
    if (states.every((s) => s.stats.queued === 0)) break;
    await sleep(100);
  }
  const finalStates = await pageState();
  for (const s of finalStates) {
    const last = `m:${s.sent}`;
    await chaos.waitFor((c) => c.messages(s.name).some((m) => m.data === last), { timeoutMs: 3000 }).catch(() => {});
  }
  const results = [];
  for (const name of names) {
    const log = await page.evaluate((name) => window.faults.clients.get(name).snapshot(), name);
    const delivery = analyzeDelivery(log, chaos, name);
    const frames = chaos.messages(name).filter((m) => typeof m.data === 'string' && m.data.startsWith('m:')).length;
    results.push({ name, delivery, frames });
  }
  printSummary(results, finalStates);
  const failed = results.some(({ delivery: d }) => d.duplicated.length > 0 || d.lostOtherwise.length > 0 || d.outOfOrder.length > 0 ||
    d.handedToClosingSocket.length > 0 || d.neverHanded.length > 0) ||
    recoveryFailures.length > 0;
  for (const f of recoveryFailures) console.log(`  recovery timeout after ${f.kind} at ${f.at}: ${f.detail}`);
  console.log(`${failed ? 'soak: FAIL' : 'soak: PASS (zero duplicated, zero lost otherwise)'}${interrupted ? ' (interrupted: a partial run)' : ''}`);
  return interrupted ? 130 : failed ? 1 : 0;
}

const context = () => page.context();

/** --acked: wait (bounded) until both streams of every client are through, then judge them. */
async function finishAcked() {
  const snapshot = (name) => page.evaluate((name) => window.acked.snapshot(name), name);
  const complete = async (name) => {
    const log = await snapshot(name);
    const server = stack.client(name);
    return log.stats.unacked === 0 && log.stats.queued === 0 && (server.session?.unacked ?? 0) === 0 &&
      server.received.length >= log.sent && log.received.length >= server.sent;
  };
  const drainDeadline = Date.now() + DRAIN_TIMEOUT_MS;
  while (Date.now() < drainDeadline) {
    const done = await Promise.all(names.map(complete));
    if (done.every(Boolean)) break;
    await sleep(100);
  }
  const finalStates = await pageState();
  const rows = [];
  for (const name of names) {
    const log = await snapshot(name);
    const server = stack.client(name);
    rows.push({
      name,
      up: countStream(log.sent, server.received),
      down: countStream(server.sent, log.received),
      drops: log.drops.length,
      sessionsLost: log.sessionsLost,
      resent: log.stats.resent,
      sessions: server.sessions,
    });
  }
  const line = (label, value) => console.log(`  ${label.padEnd(26)} ${value}`);
  const sum = (f) => rows.reduce((acc, r) => acc + f(r), 0);
  const stream = (key) => `sent ${sum((r) => r[key].sent)}, delivered ${sum((r) => r[key].delivered)}, ` +
    `duplicated ${sum((r) => r[key].duplicated)}, out of order ${sum((r) => r[key].outOfOrder)}, lost ${sum((r) => r[key].lost)}`;
  console.log(`\nsoak summary, acked delivery (seed ${seed}, ${elapsed()} wall, ${clientCount} client(s), a message every ${periodMs} ms each way${interrupted ? ', INTERRUPTED' : ''})`);
  line('client → server', stream('up'));
  line('server → client', stream('down'));
  line('resent by the clients', sum((r) => r.resent));
  line('drops, sessions lost', `${sum((r) => r.drops)}, ${sum((r) => r.sessionsLost)}`);
  line('server sessions', `${sum((r) => r.sessions)} for ${clientCount} client(s); protocol violations ${stack.violations.length}`);
  line('faults injected', Object.entries(faults).filter(([k]) => k !== 'codes').map(([k, v]) => `${k} ${v}`).join(', ') || 'none');
  if (faults.codes) line('  close codes', Object.entries(faults.codes).map(([k, v]) => `${k}×${v}`).join(' '));
  line('reconnects (ws.stats)', finalStates.map((s) => `${s.name} ${s.stats.reconnects}`).join('; '));
  line('recovery timeouts', recoveryFailures.length);
  const pageErrors = errors.filter((e) => !isBrowserConnectionReport(e));
  line('page errors', `${pageErrors.length}${pageErrors.length ? `: ${[...new Set(pageErrors)].slice(0, 5).join(' | ')}` : ''}`);
  for (const f of recoveryFailures) console.log(`  recovery timeout after ${f.kind} at ${f.at}: ${f.detail}`);
  const failed = rows.some((r) => ['up', 'down'].some((k) => r[k].duplicated || r[k].outOfOrder || r[k].lost) ||
    r.drops || r.sessionsLost) || stack.violations.length > 0 || recoveryFailures.length > 0 || pageErrors.length > 0;
  console.log(`${failed ? 'soak: FAIL' : 'soak: PASS (zero lost, zero duplicated, both directions)'}${interrupted ? ' (interrupted: a partial run)' : ''}`);
  return interrupted ? 130 : failed ? 1 : 0;
}

main()
  .then(async (code) => {
    await cleanup();
    process.exit(code);
  })
  .catch(async (error) => {
    console.error(`soak: error: ${error.stack ?? error}`);
    await cleanup();
    process.exit(2);
  });
