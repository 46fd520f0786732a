// The browser half of `npm run bench`, once per engine: one browser (engines.js: Chromium over the
// DevTools protocol without playwright-core, Firefox and WebKit over WebDriver as in the tests), a
// bench server on loopback per measure, and the contenders of bench/contenders.js. The measures that time the CPU (throughput, replay) run the
// contenders one after the other, A B C D A B C D … (each throughput round starting one contender
// further), each in its own page (kept for all rounds of the measure, after one warm-up). The
// others run them side by side, each in its own page: recovery and dead-connection detection wait
// on timers and go through the same server event (the recovery rounds in fresh pages:
// reconnecting-websocket draws its minimum delay once per page load), and memory counts bytes,
// not milliseconds.
import { performance } from 'node:perf_hooks';
import { EngineUnsupportedError } from '../../e2e/support/browser.js';
import { startStaticServer } from '../../e2e/support/servers.js';
import { CONTENDERS } from '../contenders.js';
import { launchBenchEngine } from './engines.js';
import { startBenchServer } from './server.js';

export const ROUNDS = 5;
export const THROUGHPUT = {
  count: 20_000,
  warmUp: 1_000,
  rows: [
    { key: 'receive-text', direction: 'receive', binary: false, bytes: 64, label: 'receive, 64 B text' },
    { key: 'receive-binary', direction: 'receive', binary: true, bytes: 16 * 1024, label: 'receive, 16 KB binary' },
    { key: 'send-text', direction: 'send', binary: false, bytes: 64, label: 'send, 64 B text' },
    { key: 'send-binary', direction: 'send', binary: true, bytes: 16 * 1024, label: 'send, 16 KB binary' },
  ],
};
export const REPLAY = { count: 10_000, bytes: 64 };
/**
 * Acknowledged delivery against plain mode: the throughput rows with fewer messages (the ratio,
 * not the absolute rate, is the figure: 2,000 messages still take hundreds of milliseconds a run,
 * against timer and GC noise of milliseconds), the buffer caps lifted for the burst, and a pause
 * after each run so that the last acks are counted.
 */
export const ACKED = {
  count: 2_000,
  settleMs: 300,
  options: { delivery: 'acked', buffer: { maxMessages: Infinity, maxBytes: Infinity } },
};
export const MEMORY = { warmUp: 100, cycles: 1000 };
export const RESTART = { downtimeMs: 1000 };
export const ONLINE = { offlineMs: 3000 };
/**
 * The rows of the recovery measures: every contender with its defaults, and ours with its earlier
 * defaults as well (the rows "our previous default" and "our first default" of benches/herd.rs),
 * for comparison.
 */
export const RECOVERY_ROWS = [
  ...CONTENDERS.map((contender) => ({ key: contender.key, contender: contender.key })),
  {
    key: 'ours-previous-default',
    contender: 'ours',
    label: 'resilient-websocket, the previous default (`{ firstDelay: null, minDelay: 5000, factor: 1.4, maxDelay: 7000 }`)',
    options: { reconnect: { firstDelay: null, minDelay: 5000, factor: 1.4, maxDelay: 7000 } },
  },
  {
    key: 'ours-first-default',
    contender: 'ours',
    label: 'resilient-websocket, the first default (`{ firstDelay: null, minDelay: 1000, factor: 1.6, maxDelay: 30000 }`)',
    options: { reconnect: { firstDelay: null, minDelay: 1000, factor: 1.6, maxDelay: 30000 } },
  },
];
export const DETECTION = {
  windowMs: 60_000,
  rows: [
    { key: 'native', contender: 'native', label: 'native WebSocket' },
    { key: 'ours-heartbeat', contender: 'ours', label: 'resilient-websocket, `heartbeat: true` (25 s + 10 s)', options: { heartbeat: true } },
    {
      key: 'ours-heartbeat-5s',
      contender: 'ours',
      label: 'resilient-websocket, `heartbeat: { interval: 5000, timeout: 2000 }`',
      options: { heartbeat: { interval: 5000, timeout: 2000 } },
    },
    { key: 'reconnecting-websocket', contender: 'reconnecting-websocket', label: 'reconnecting-websocket (no heartbeat)' },
    { key: 'partysocket', contender: 'partysocket', label: 'partysocket (no heartbeat)' },
  ],
};

const byKey = (key) => CONTENDERS.find((contender) => contender.key === key);
const reconnecting = CONTENDERS.filter((contender) => contender.module);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function median(values) {
  const sorted = values.filter((value) => value !== null).sort((a, b) => a - b);
  if (sorted.length < values.length / 2 || sorted.length === 0) return null;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Polls `condition` every 10 ms until it holds; throws after `ms`. */
async function until(condition, ms, what) {
  const deadline = performance.now() + ms;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(10);
  }
}

/** The browser measures, each a method of the session. */
export const MEASURES = ['throughput', 'acked', 'replay', 'memory', 'restart', 'online', 'detection'];

/**
 * Launches the browser of `engine` (engines.js) and the static server; the returned session runs
 * each measure on demand (several may run at once: each has its own bench server and pages).
 * `pageErrors` collects every uncaught error and crash of a page; `close()` ends the session.
 */
export async function startBrowserSession({ log, engine }) {
  const launched = await launchBenchEngine(engine);
  const { browser, cpu, heap } = launched;
  const http = await startStaticServer();
  const pageErrors = [];

  /** A fresh page with the bench harness and one contender's module loaded. */
  async function benchPage(contender, context = browser) {
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    page.on('pageerror', (error) => pageErrors.push(`${contender.key}: ${error.stack ?? error.message}`));
    page.on('crash', () => pageErrors.push(`${contender.key}: page crashed`));
    await page.goto(`${http.url}/bench/browser/page.html`);
    await page.waitForFunction(() => window.bench);
    await page.evaluate((spec) => window.bench.load(spec), contender);
    return page;
  }

  const timeline = (page) => page.evaluate(() => window.bench.timeline());

  return {
    engine,
    version: launched.version,
    heapUnavailable: launched.heapUnavailable,
    rounds: ROUNDS,
    throughput,
    acked,
    replay,
    memory,
    restart,
    online,
    detection,
    pageErrors,
    async close() {
      await browser.close();
      await http.stop();
    },
  };

  /** One page per contender, kept for every round of a measure; closed by the caller. */
  async function pagePerContender(contenders) {
    const pages = new Map();
    for (const contender of contenders) pages.set(contender.key, await benchPage(contender));
    return pages;
  }

  /** Closes the pages; one that crashed or closed already is not an error of its own here. */
  async function closeAll(pages) {
    for (const page of pages.values()) await page.close().catch(() => {});
  }

  async function throughput() {
    const server = await startBenchServer();
    const pages = await pagePerContender(CONTENDERS);
    const figures = Object.fromEntries(
      THROUGHPUT.rows.map((row) => [row.key, Object.fromEntries(CONTENDERS.map((c) => [c.key, { ms: [], cpuUs: [] }]))]),
    );
    const run = (contender, row, count) =>
      pages
        .get(contender.key)
        .evaluate(({ direction, spec }) => window.bench[direction](0, spec), {
          direction: row.direction,
          spec: { count, binary: row.binary, bytes: row.bytes },
        })
        .catch((error) => {
          throw new Error(`throughput: ${row.key}, ${count} messages, ${contender.key}: ${error.message}`);
        });
    /** CPU seconds the page's main thread has used so far (engines.js, `cpu`). */
    const cpuSeconds = (contender) => cpu.seconds(pages.get(contender.key));
    try {
      for (const contender of CONTENDERS) {
        const page = pages.get(contender.key);
        await cpu.prepare(page);
        await page.evaluate((url) => window.bench.open(url), `${server.url}/throughput-${contender.key}`);
        // The warm-up: the JIT has seen every path before the first measured round.
        for (const row of THROUGHPUT.rows) await run(contender, row, THROUGHPUT.warmUp);
      }
      // Row by row within a round, so that each contender's figure is taken seconds from the
      // native one it is paired with; each round starts with the next contender (A B C D, then
      // B C D A, …), so that none always runs first after the server switched rows.
      for (let round = 1; round <= ROUNDS; round++) {
        const start = (round - 1) % CONTENDERS.length;
        const order = [...CONTENDERS.slice(start), ...CONTENDERS.slice(0, start)];
        for (const row of THROUGHPUT.rows) {
          const line = [];
          for (const contender of order) {
            const cpuBefore = await cpuSeconds(contender);
            const ms = await run(contender, row, THROUGHPUT.count);
            const cpuUs = ((await cpuSeconds(contender)) - cpuBefore) * 1e6 / THROUGHPUT.count;
            figures[row.key][contender.key].ms.push(ms);
            figures[row.key][contender.key].cpuUs.push(cpuUs);
            line.push(`${contender.key} ${Math.round(THROUGHPUT.count / (ms / 1000))}/s ${cpuUs.toFixed(1)} µs`);
          }
          log(`throughput: round ${round}/${ROUNDS} ${row.key}: ${line.join(', ')}`);
        }
      }
    } finally {
      await closeAll(pages);
      await server.stop();
    }
    return {
      ...THROUGHPUT,
      rows: THROUGHPUT.rows.map((row) => ({
        ...row,
        byContender: Object.fromEntries(
          CONTENDERS.map(({ key }) => {
            const { ms, cpuUs } = figures[row.key][key];
            // Paired ratios: round r of a contender against round r of the native socket, which
            // ran seconds from it, so that load from elsewhere on the machine cancels out.
            const ratios = ms.map((value, r) => figures[row.key].native.ms[r] / value);
            const medianMs = median(ms);
            return [
              key,
              { ms, medianMs, messagesPerSecond: THROUGHPUT.count / (medianMs / 1000), ratios, ratio: median(ratios), cpuUs, cpuUsMedian: median(cpuUs) },
            ];
          }),
        ),
      })),
    };
  }

  /**
   * Acknowledged delivery's cost (issue 6): each throughput row in plain and in acked mode,
   * alternated in one page of ours, a fresh connection (and server tag) per run, so that the
   * server's wire counters give the bytes per message each way: the envelopes in the direction
   * of the data, the acks (and the few commands) in the other.
   */
  async function acked() {
    const server = await startBenchServer();
    // Both modes from the acked build (resilient-websocket/acked): the cost measured is the mode's.
    const page = await benchPage({ ...byKey('ours'), module: '/js/acked.js' });
    const modes = [
      { key: 'plain', options: undefined },
      { key: 'acked', options: ACKED.options },
    ];
    const figures = Object.fromEntries(
      THROUGHPUT.rows.map((row) => [row.key, Object.fromEntries(modes.map((m) => [m.key, { ms: [], up: [], down: [] }]))]),
    );
    let runs = 0;
    const run = async (mode, row, count) => {
      runs += 1;
      const tag = `${mode.key}-${row.key}-${runs}`;
      const index = await page.evaluate(({ url, options }) => window.bench.open(url, options), { url: `${server.url}/${tag}`, options: mode.options });
      const ms = await page.evaluate(({ direction, index: i, spec }) => window.bench[direction](i, spec), {
        direction: row.direction,
        index,
        spec: { count, binary: row.binary, bytes: row.bytes },
      });
      await sleep(ACKED.settleMs);
      const record = server.record(tag);
      await page.evaluate((i) => window.bench.close(i), index);
      return { ms, up: record.wireIn / count, down: record.wireOut / count };
    };
    try {
      for (const mode of modes) for (const row of THROUGHPUT.rows) await run(mode, row, THROUGHPUT.warmUp);
      for (let round = 1; round <= ROUNDS; round++) {
        for (const row of THROUGHPUT.rows) {
          const line = [];
          for (const mode of modes) {
            const { ms, up, down } = await run(mode, row, ACKED.count);
            const figure = figures[row.key][mode.key];
            figure.ms.push(ms);
            figure.up.push(up);
            figure.down.push(down);
            line.push(`${mode.key} ${Math.round(ACKED.count / (ms / 1000))}/s, ${up.toFixed(1)} B up, ${down.toFixed(1)} B down per message`);
          }
          log(`acked: round ${round}/${ROUNDS} ${row.key}: ${line.join('; ')}`);
        }
      }
    } finally {
      await page.close();
      await server.stop();
    }
    return {
      ...ACKED,
      rows: THROUGHPUT.rows.map((row) => {
        const { plain, acked: withAcks } = figures[row.key];
        // Paired as in the throughput measure: each acked run against the plain run just before.
        const ratios = withAcks.ms.map((ms, r) => plain.ms[r] / ms);
        const summary = (f) => ({
          ms: f.ms,
          messagesPerSecond: ACKED.count / (median(f.ms) / 1000),
          upBytesPerMessage: median(f.up),
          downBytesPerMessage: median(f.down),
        });
        return { ...row, plain: summary(plain), acked: summary(withAcks), ratios, ratio: median(ratios) };
      }),
    };
  }

  async function replay() {
    const server = await startBenchServer();
    const pages = await pagePerContender(reconnecting);
    const ms = Object.fromEntries(reconnecting.map((c) => [c.key, []]));
    const inOrder = Object.fromEntries(reconnecting.map((c) => [c.key, true]));
    try {
      for (let round = 1; round <= ROUNDS; round++) {
        for (const contender of reconnecting) {
          const page = pages.get(contender.key);
          const tag = `replay-${contender.key}-${round}`;
          const index = await page.evaluate((url) => window.bench.open(url), `${server.url}/${tag}`);
          server.refuse = 503;
          server.terminate(tag);
          await page.evaluate((i) => window.bench.closed(i, 1), index);
          const accepted = await page.evaluate(({ i, count, bytes }) => window.bench.sendSequence(i, count, bytes), { i: index, ...REPLAY });
          if (accepted !== REPLAY.count) throw new Error(`replay: ${contender.key} accepted ${accepted} of ${REPLAY.count} sends`);
          server.refuse = 0;
          await page.evaluate((i) => window.bench.reconnect(i), index);
          const record = server.record(tag);
          await until(() => record.received >= REPLAY.count, 60_000, `replay: ${contender.key} delivering ${REPLAY.count} messages`);
          // The connection that carried the replay: the last one the server accepted.
          const connection = record.connections.at(-1);
          ms[contender.key].push(record.receivedAt - connection.at);
          inOrder[contender.key] &&= record.inOrder && record.received === REPLAY.count;
          await page.evaluate((i) => window.bench.close(i), index);
          log(`replay: round ${round}/${ROUNDS} ${contender.key}: ${Math.round(ms[contender.key].at(-1))} ms`);
        }
      }
    } finally {
      await closeAll(pages);
      await server.stop();
    }
    return {
      ...REPLAY,
      byContender: Object.fromEntries(
        reconnecting.map(({ key }) => [key, { ms: ms[key], medianMs: median(ms[key]), inOrder: inOrder[key] }]),
      ),
    };
  }

  /**
   * Memory counts bytes, not milliseconds: the contenders cycle side by side, each in its own
   * page, and so in its own renderer process and heap (every `newPage()` has its own browser
   * context), which is what `Runtime.getHeapUsage` reads. The JS heap where the engine can read
   * one (engines.js, `heap`; null in the figures elsewhere), the wasm memory in every engine.
   */
  async function memory() {
    // A server (a port) per contender: Chromium lets one WebSocket per host and port be
    // CONNECTING at a time, so on one port the contenders would take turns at every handshake.
    // Where the engine reads no JS heap, only the wasm memory is measured: ours alone has one.
    const cycling = heap ? CONTENDERS : CONTENDERS.filter((contender) => contender.key === 'ours');
    const servers = new Map();
    for (const contender of cycling) servers.set(contender.key, await startBenchServer());
    const pages = await pagePerContender(cycling);
    const figures = Object.fromEntries(CONTENDERS.map((c) => [c.key, { heapPerCycle: [], wasmPerCycle: [] }]));
    try {
      await Promise.all(
        cycling.map(async (contender) => {
          const page = pages.get(contender.key);
          await heap?.prepare(page);
          const url = `${servers.get(contender.key).url}/memory-${contender.key}`;
          const cycle = (n) => page.evaluate(({ n, url }) => window.bench.cycle(0, n, url), { n, url });
          const sample = async () => ({ heap: heap ? await heap.read(page) : null, wasm: await page.evaluate(() => window.bench.wasmBytes()) });
          await page.evaluate((u) => window.bench.open(u, undefined, { track: false }), url);
          // The warm-up: allocator, JIT and table sizes settle before the first measured round.
          await cycle(MEMORY.warmUp);
          for (let round = 1; round <= ROUNDS; round++) {
            const before = await sample();
            await cycle(MEMORY.cycles);
            const after = await sample();
            const heapPerCycle = after.heap === null ? null : (after.heap - before.heap) / MEMORY.cycles;
            const wasm = after.wasm === null ? null : (after.wasm - before.wasm) / MEMORY.cycles;
            figures[contender.key].heapPerCycle.push(heapPerCycle);
            figures[contender.key].wasmPerCycle.push(wasm);
            log(
              `memory: round ${round}/${ROUNDS} ${contender.key}: JS heap ${heapPerCycle === null ? 'not measurable' : `${heapPerCycle.toFixed(1)} B/cycle`}` +
                (wasm === null ? '' : `, wasm memory ${wasm.toFixed(1)} B/cycle (${after.wasm} bytes)`),
            );
          }
        }),
      );
    } finally {
      await closeAll(pages);
      for (const server of servers.values()) await server.stop();
    }
    return {
      ...MEMORY,
      byContender: Object.fromEntries(
        CONTENDERS.map(({ key }) => {
          const { heapPerCycle, wasmPerCycle } = figures[key];
          return [key, { heapPerCycle, heapPerCycleMedian: median(heapPerCycle), wasmPerCycle, wasmPerCycleMedian: median(wasmPerCycle) }];
        }),
      ),
    };
  }

  async function restart() {
    const server = await startBenchServer();
    const ms = Object.fromEntries(RECOVERY_ROWS.map((row) => [row.key, []]));
    try {
      for (let round = 1; round <= ROUNDS; round++) {
        const pages = await openSideBySide(server, `restart-${round}`, browser);
        const listening = await server.restart(RESTART.downtimeMs);
        recordRecovery(ms, pages, await untilReopened(pages, 'restart'), () => listening);
        for (const { page } of pages) await page.close();
        log(`restart: round ${round}/${ROUNDS}: ${recoveryLine(ms)}`);
      }
    } finally {
      await server.stop();
    }
    return { ...RESTART, byContender: recoveryFigures(ms) };
  }

  /**
   * In an engine without offline emulation (WebKit), the figures are none and `unsupported` says
   * why: an `online` event dispatched by hand would not be the browser's, and would not take the
   * network away.
   */
  async function online() {
    const server = await startBenchServer();
    const ms = Object.fromEntries(RECOVERY_ROWS.map((row) => [row.key, []]));
    try {
      for (let round = 1; round <= ROUNDS; round++) {
        const context = await browser.newContext();
        const pages = await openSideBySide(server, `online-${round}`, context);
        // Refuse first, so that no retry made before the browser goes offline can succeed.
        server.refuse = 503;
        for (const { tag } of pages) server.terminate(tag);
        for (const { page } of pages) await page.evaluate(() => window.bench.closed(0, 1));
        try {
          await context.setOffline(true);
        } catch (error) {
          if (!(error instanceof EngineUnsupportedError)) throw error;
          await context.close();
          log(`online: not measured: ${error.message}`);
          return { ...ONLINE, unsupported: error.message };
        }
        await sleep(ONLINE.offlineMs);
        server.refuse = 0;
        await context.setOffline(false);
        const timelines = await untilReopened(pages, 'online');
        const onlineAt = new Map();
        for (const { row, page } of pages) onlineAt.set(row.key, (await page.evaluate(() => window.bench.onlineAt))[0]);
        recordRecovery(ms, pages, timelines, (row) => onlineAt.get(row.key));
        await context.close();
        log(`online: round ${round}/${ROUNDS}: ${recoveryLine(ms)}`);
      }
    } finally {
      await server.stop();
    }
    return { ...ONLINE, byContender: recoveryFigures(ms) };
  }

  /** One page per recovery row, each with one open instance (the row's options) tagged `<name>-<row>`. */
  async function openSideBySide(server, name, context) {
    const pages = [];
    for (const row of RECOVERY_ROWS) {
      const page = await benchPage(byKey(row.contender), context);
      const tag = `${name}-${row.key}`;
      await page.evaluate(({ url, options }) => window.bench.open(url, options), { url: `${server.url}/${tag}`, options: row.options });
      pages.push({ row, page, tag });
    }
    return pages;
  }

  /** Waits until every page but the native one (which never reconnects) is open again; their timelines. */
  async function untilReopened(pages, what) {
    const timelines = new Map();
    const waiting = () => pages.filter(({ row }) => byKey(row.contender).module && timelines.get(row.key).opens.length < 2);
    try {
      await until(
        async () => {
          for (const { row, page } of pages) timelines.set(row.key, (await timeline(page))[0]);
          return waiting().length === 0;
        },
        30_000,
        `${what}: every reconnecting contender open again`,
      );
    } catch (error) {
      const late = waiting().map(({ row }) => `${row.key} (open, close times: ${JSON.stringify(timelines.get(row.key))})`);
      error.message += `; not open again: ${late.join(', ')}`;
      throw error;
    }
    return timelines;
  }

  /** Each row's time from `since(row)` to its second `open` (null: it did not reconnect). */
  function recordRecovery(ms, pages, timelines, since) {
    for (const { row } of pages) {
      const { opens } = timelines.get(row.key);
      ms[row.key].push(opens.length >= 2 ? opens[1] - since(row) : null);
    }
  }

  function recoveryLine(ms) {
    return RECOVERY_ROWS.map(({ key }) => `${key} ${ms[key].at(-1) === null ? 'no reconnect' : `${ms[key].at(-1)} ms`}`).join(', ');
  }

  function recoveryFigures(ms) {
    return Object.fromEntries(RECOVERY_ROWS.map(({ key }) => [key, { ms: ms[key], medianMs: median(ms[key]) }]));
  }

  async function detection() {
    const server = await startBenchServer();
    try {
      const pages = [];
      for (const row of DETECTION.rows) {
        const page = await benchPage(byKey(row.contender));
        for (let round = 1; round <= ROUNDS; round++) {
          const url = `${server.url}/detect-${row.key}-${round}`;
          await page.evaluate(({ url, options }) => window.bench.open(url, options), { url, options: row.options });
        }
        pages.push({ row, page });
      }
      // The last inbound traffic of every connection, just before the silence: a heartbeat's
      // idle interval starts now.
      for (const { row } of pages) {
        for (let round = 1; round <= ROUNDS; round++) server.sendTo(`detect-${row.key}-${round}`, 'last message before the silence');
      }
      await sleep(50);
      server.silence();
      const silentAt = Date.now();
      log(`detection: the server went silent on ${DETECTION.rows.length * ROUNDS} connections; watching for ${DETECTION.windowMs / 1000} s`);
      for (let waited = 0; waited < DETECTION.windowMs; waited += 10_000) {
        await sleep(Math.min(10_000, DETECTION.windowMs - waited));
        log(`detection: ${Math.round((Date.now() - silentAt) / 1000)} s of ${DETECTION.windowMs / 1000} s`);
      }
      const rows = [];
      for (const { row, page } of pages) {
        const instances = await timeline(page);
        const after = (times) => times.find((time) => time >= silentAt) ?? null;
        const closeMs = instances.map((t) => (after(t.closes) === null ? null : after(t.closes) - silentAt));
        // The first open after the silence is the reconnect (the open before it is the first one).
        const reopenMs = instances.map((t) => (after(t.opens) === null ? null : after(t.opens) - silentAt));
        rows.push({ ...row, closeMs, closeMedianMs: median(closeMs), reopenMs, reopenMedianMs: median(reopenMs) });
        log(`detection: ${row.key}: close after ${JSON.stringify(closeMs)} ms, open again after ${JSON.stringify(reopenMs)} ms`);
        await page.close();
      }
      return { windowMs: DETECTION.windowMs, rows };
    } finally {
      await server.stop();
    }
  }
}
