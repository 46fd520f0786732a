// The cluster soak (issue 15): acked clients in a browser page, connected through nginx to three
// AckedServer nodes sharing Redis (e2e/support/cluster.js), numbered streams both ways the whole
// time, while faults strike in turn: a node killed with SIGKILL and started again, a node's
// connections cut, a node restarted gracefully, Redis restarted from its AOF, a node gone silent.
// After each fault it waits (bounded) for every client to be open again. At the end both streams
// are drained and judged: lost, duplicated, out of order, per direction (client → server as the
// nodes' application applied it: it deduplicates on the delivery id of a message flagged
// `redelivered`, as PROTOCOL.md asks of an application); the deliveries themselves (a message handed
// over again after a SIGKILL between the application and the inbox clear is flagged, and a delivery
// id handed over twice without the flag is a failure); drops and session losses; and whether a
// connection ever delivered a client's message after a newer connection of the same session had
// (two live connections of one session).
//
// Used by e2e/cluster/soak.test.js (60 s in the test command) and `node e2e/soak.js --cluster`.
import { countStream } from '../acked/stack.js';
import { isBrowserConnectionReport, openPage } from '../support/browser.js';
import { startCluster } from '../support/cluster.js';
import { prng, sleep } from '../support/fault-harness.js';

const OPTIONS = {
  heartbeat: { interval: 1000, timeout: 1000 },
  reconnect: { minDelay: 100, maxDelay: 1500, factor: 1.6, jitter: 'full', connectTimeout: 3000 },
  ackInterval: 50,
};
const RECOVERY_TIMEOUT_MS = 20_000;
const DRAIN_TIMEOUT_MS = 30_000;
/** The faults, in turn (each picks its node in turn too). */
const KINDS = ['kill', 'cut', 'restart', 'redis', 'silent'];

/**
 * The deliveries to the nodes' application, as the adapter made them: how many were flagged
 * `redelivered`, how many handed a delivery id over again (`repeated`), and how many delivery ids
 * were handed over more than once without the flag (`unflagged`: the adapter's promise is that only
 * one delivery of an id, the first-hand one, goes without it), with a few examples.
 * @param {{ id: string, redelivered: boolean }[]} lines
 * @returns {{ deliveries: number, redelivered: number, repeated: number, unflagged: number, examples: object[] }}
 */
function judgeDeliveries(lines) {
  /** @type {Map<string, { id: string, redelivered: boolean }[]>} */
  const byId = new Map();
  for (const line of lines) byId.set(line.id, [...(byId.get(line.id) ?? []), line]);
  let repeated = 0;
  let unflagged = 0;
  const examples = [];
  for (const deliveries of byId.values()) {
    repeated += deliveries.length - 1;
    if (deliveries.filter((d) => !d.redelivered).length > 1) {
      unflagged += 1;
      if (examples.length < 5) examples.push(deliveries);
    }
  }
  return { deliveries: lines.length, redelivered: lines.filter((l) => l.redelivered).length, repeated, unflagged, examples };
}

/**
 * @param {{ browser: import('playwright-core').Browser, httpUrl: string, seconds: number,
 *   clients?: number, periodMs?: number, seed?: number, log?: (line: string) => void }} options
 */
export async function runClusterSoak({ browser, httpUrl, seconds, clients: clientCount = 4, periodMs = 40, seed = 1, log = () => {} }) {
  const random = prng(seed);
  const between = (lo, hi) => lo + Math.floor(random() * (hi - lo + 1));
  const cluster = await startCluster({ periodMs });
  const started = Date.now();
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0)} s`;
  const names = Array.from({ length: clientCount }, (_, i) => `c${i + 1}`);
  const faults = {};
  const recoveries = [];
  const recoveryFailures = [];
  const { page, errors } = await openPage(browser);
  try {
    await page.goto(`${httpUrl}/e2e/pages/harness.html`);
    await page.evaluate(() => import('/e2e/acked/page-client.js'));
    await page.evaluate(([names, urls, options]) => {
      names.forEach((name, i) => window.acked.createClient(name, urls[i], options));
    }, [names, names.map((n) => cluster.urlFor(n)), OPTIONS]);

    const states = () => page.evaluate((names) => names.map((name) => {
      const c = window.acked.clients.get(name);
      return { name, readyState: c.ws.readyState, state: c.ws.connectionState };
    }), names);
    const waitOpen = async (kind) => {
      const from = Date.now();
      const deadline = from + RECOVERY_TIMEOUT_MS;
      for (;;) {
        const now = await states();
        if (now.every((s) => s.readyState === 1 && cluster.client(s.name).sid)) {
          recoveries.push({ kind, ms: Date.now() - from });
          return;
        }
        if (Date.now() > deadline) {
          recoveryFailures.push({ kind, at: elapsed(), detail: now.map((s) => `${s.name}:${s.state}`).join(' ') });
          log(`cluster soak: [${elapsed()}] no recovery within ${RECOVERY_TIMEOUT_MS} ms after ${kind}`);
          return;
        }
        await sleep(50);
      }
    };
    await waitOpen('start');
    for (const name of names) {
      await page.evaluate(([name, ms]) => window.acked.startSending(name, ms), [name, periodMs]);
      cluster.sending(name, true);
    }

    const end = started + seconds * 1000;
    let turn = 0;
    while (Date.now() < end) {
      await sleep(Math.min(between(800, 2000), Math.max(0, end - Date.now())));
      if (Date.now() >= end) break;
      const kind = KINDS[turn % KINDS.length];
      const node = turn % cluster.ports.length;
      turn += 1;
      faults[kind] = (faults[kind] ?? 0) + 1;
      if (kind === 'kill') await cluster.killNode(node, between(100, 1500));
      else if (kind === 'cut') cluster.cut(node);
      else if (kind === 'restart') await cluster.restartNode(node, between(100, 1500));
      else if (kind === 'redis') await cluster.restartRedis(between(300, 2000));
      else if (kind === 'silent') await cluster.silence(node, between(2500, 4000));
      await waitOpen(kind);
    }

    // Stop both streams and wait (bounded) until everything is through.
    for (const name of names) {
      await page.evaluate((name) => window.acked.stopSending(name), name);
      cluster.sending(name, false);
    }
    await cluster.stopProducing();
    const snapshot = (name) => page.evaluate((name) => window.acked.snapshot(name), name);
    const drainDeadline = Date.now() + DRAIN_TIMEOUT_MS;
    while (Date.now() < drainDeadline) {
      const logs = await Promise.all(names.map(snapshot));
      const given = await Promise.all(names.map((name) => cluster.delivered(name)));
      const done = logs.every((l, i) => {
        const server = cluster.client(names[i]);
        return l.stats.unacked === 0 && l.stats.queued === 0 && new Set(given[i].received).size >= l.sent && new Set(l.received).size >= server.sent;
      });
      if (done) break;
      await sleep(100);
    }
    const rows = [];
    for (const name of names) {
      const l = await snapshot(name);
      const server = cluster.client(name);
      const { received, owners, lines } = await cluster.delivered(name);
      const repeatedOwners = owners.filter((o, i) => owners.indexOf(o) !== i);
      const up = countStream(l.sent, received);
      rows.push({
        name,
        up,
        given: judgeDeliveries(lines),
        down: countStream(server.sent, l.received),
        drops: l.drops.length,
        sessionsLost: l.sessionsLost,
        reconnects: l.stats.reconnects,
        resent: l.stats.resent,
        connections: owners.length,
        repeatedOwners: repeatedOwners.length,
        failedSends: server.failedSends,
      });
    }
    const pageErrors = errors.filter((e) => !isBrowserConnectionReport(e));
    const ms = recoveries.filter((r) => r.kind !== 'start').map((r) => r.ms).sort((a, b) => a - b);
    const slowestByKind = {};
    for (const { kind, ms: took } of recoveries) slowestByKind[kind] = Math.max(slowestByKind[kind] ?? 0, took);
    return {
      seconds: (Date.now() - started) / 1000,
      rows,
      faults,
      recoveryMs: ms.length ? { median: ms[Math.floor(ms.length / 2)], min: ms[0], max: ms.at(-1) } : null,
      slowestByKind,
      recoveryFailures,
      violations: cluster.violations,
      pageErrors,
    };
  } finally {
    await page.close().catch(() => {});
    await cluster.stop();
  }
}

/** The summary lines of a result of runClusterSoak. */
export function formatClusterSoak(result) {
  const sum = (f) => result.rows.reduce((acc, r) => acc + f(r), 0);
  const stream = (key) => `sent ${sum((r) => r[key].sent)}, delivered ${sum((r) => r[key].delivered)}, ` +
    `duplicated ${sum((r) => r[key].duplicated)}, out of order ${sum((r) => r[key].outOfOrder)}, lost ${sum((r) => r[key].lost)}`;
  const line = (label, value) => `  ${label.padEnd(30)} ${value}`;
  const r = result.recoveryMs;
  return [
    `cluster soak: ${result.seconds.toFixed(0)} s, ${result.rows.length} clients, 3 nodes behind nginx, Redis (AOF, fsync always)`,
    line('client → server (applied)', stream('up')),
    line('  handed to the application', `${sum((x) => x.given.deliveries)}: flagged redelivered ${sum((x) => x.given.redelivered)}, ` +
      `a delivery id again ${sum((x) => x.given.repeated)}, of which without the flag ${sum((x) => x.given.unflagged)}`),
    line('server → client', stream('down')),
    line('drops, sessions lost', `${sum((x) => x.drops)}, ${sum((x) => x.sessionsLost)}`),
    line('reconnects, resent by clients', `${sum((x) => x.reconnects)}, ${sum((x) => x.resent)}`),
    line('delivering connections', `${sum((x) => x.connections)}; a connection delivering after a newer one: ${sum((x) => x.repeatedOwners)}`),
    line('producer sends refused', sum((x) => x.failedSends)),
    line('faults', Object.entries(result.faults).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'),
    line('back open after a fault', r ? `median ${r.median} ms (${r.min}–${r.max})` : 'n/a'),
    line('  slowest, per fault', Object.entries(result.slowestByKind).map(([k, v]) => `${k} ${v} ms`).join(', ')),
    line('recovery timeouts', result.recoveryFailures.length),
    line('protocol violations', result.violations.length),
    line('page errors', `${result.pageErrors.length}${result.pageErrors.length ? `: ${result.pageErrors.slice(0, 3).join(' | ')}` : ''}`),
  ];
}

/**
 * Whether a result of runClusterSoak is a pass: nothing lost, duplicated or out of order, both ways
 * (client → server as applied); no delivery id handed over twice without the `redelivered` flag; no
 * drop, no session lost, no connection delivering after a newer one.
 */
export function clusterSoakPassed(result) {
  return result.rows.every((r) => !r.up.lost && !r.up.duplicated && !r.up.outOfOrder && !r.given.unflagged &&
    !r.down.duplicated && !r.down.outOfOrder && !r.down.lost &&
    !r.drops && !r.sessionsLost && !r.repeatedOwners && !r.failedSends) &&
    result.recoveryFailures.length === 0 && result.violations.length === 0 && result.pageErrors.length === 0;
}
