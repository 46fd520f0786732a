// The Node side of the fault tests: opens the harness page with fault-client.js in it, drives the
// clients in the page, and checks what every reliability test asserts (TESTING.md): delivery
// (exactly once, in order, unless a `drop` event named the message), "lost in flight" counted and
// printed, at most one open connection per client on the server, no page error.
import assert from 'node:assert/strict';
import { CLOSE_EVENT_WAITS_FOR_SERVER, handshakeHoldMs, isBrowserConnectionReport, openPage } from './browser.js';
import { CLOSE_IN_FLIGHT_MS, now } from './chaos-server.js';

export { now };

/** Upper-bound slack for timing windows: timers, IPC and two busy cores. Lower bounds are exact. */
export const TOLERANCE_MS = 300;
/** The clocks of the page and of Node are both the wall clock; allow for their rounding. */
export const CLOCK_SLACK_MS = 5;

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** mulberry32: a small seeded PRNG, enough for a fault schedule.
 * @param {number} s the seed */
export function prng(s) {
  let a = s >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The longest from the close event of a failure (a failed attempt, or a connection lost without a
 * close frame) to the next attempt reaching the server, less TOLERANCE_MS: the client waits
 * `delay`, and Firefox also holds the new handshake until up to handshakeHoldMs(failures) after the
 * failure as it saw it, which comes before that event (browser.js says what counts). `failures`:
 * the failures in a row so far, this one included. `delay` in Chromium and WebKit.
 * @param {number} delay
 * @param {number} failures
 */
export function retryWithinMs(delay, failures) {
  return Math.max(delay, handshakeHoldMs(failures));
}

/**
 * Opens the harness page (from `baseUrl`) with fault-client.js loaded; closed after the test `t`
 * (pass null for a page shared by several tests: it goes with the browser).
 */
export async function openFaultPage(t, browser, baseUrl) {
  const { page, errors } = await openPage(browser);
  t?.after(() => page.close());
  await page.goto(`${baseUrl}/e2e/pages/harness.html`);
  await page.evaluate(() => import('/e2e/support/fault-client.js'));
  return { page, errors };
}

/** Creates the client `name` in the page, connecting to `url` with `options`. */
export async function createClient(page, name, url, options) {
  await page.evaluate(([name, url, options]) => {
    window.faults.createClient(name, url, options);
  }, [name, url, options]);
}

/** Calls `method(...args)` of the page-side client `name` (sendNext, startSending, stopSending). */
export function call(page, name, method, ...args) {
  return page.evaluate(([name, method, args]) => window.faults.clients.get(name)[method](...args), [name, method, args]);
}

/** Runs `ws[method](...args)` on the client's ResilientWebSocket (reconnect, close). */
export function wsCall(page, name, method, ...args) {
  return page.evaluate(([name, method, args]) => {
    window.faults.clients.get(name).ws[method](...args);
  }, [name, method, args]);
}

/** The client's record (see fault-client.js). */
export function snapshot(page, name) {
  return page.evaluate((name) => window.faults.clients.get(name).snapshot(), name);
}

/** The page's clock now (same wall clock as Node's `now()`). */
export function pageNow(page) {
  return page.evaluate(() => window.faults.now());
}

/** Polls the client's record until `predicate(log)` holds; returns that record. */
export async function waitForClient(page, name, predicate, { timeoutMs = 5000, what = 'the expected client state' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let log;
  for (;;) {
    log = await snapshot(page, name);
    if (predicate(log)) return log;
    if (Date.now() > deadline) {
      throw new Error(`client ${name}: no ${what} within ${timeoutMs} ms; ${describeClient(log)}`);
    }
    await sleep(20);
  }
}

export function describeClient(log) {
  const events = log.events
    .filter((e) => e.type !== 'statechange' && e.type !== 'heartbeat' && e.type !== 'drop')
    .map((e) => (e.type === 'close' ? `close(${e.code} ${e.reason})` : e.type === 'reconnecting' ? `reconnecting(${e.attempt}, ${e.delay})` : e.type))
    .join(' ');
  return `state ${log.state}/${log.readyState}, opens ${log.opens}, sent ${log.sent.length}, ` +
    `drops ${log.drops.length}, stats ${JSON.stringify(log.stats)}; events: ${events}`;
}

/** Events of one type from a record, optionally after a time. */
export function eventsOf(log, type, after = -Infinity) {
  return log.events.filter((e) => e.type === type && e.at >= after);
}

/**
 * The close events of connections that had opened, one per open (the close events of failed
 * attempts, which also fire, are left out).
 */
export function connectionCloses(log) {
  const closes = [];
  let open = false;
  for (const e of log.events) {
    if (e.type === 'open') open = true;
    else if (e.type === 'close') {
      if (open) closes.push(e);
      open = false;
    }
  }
  return closes;
}

/** The close events of attempts that never opened. */
export function failedAttemptCloses(log) {
  const closes = [];
  let open = false;
  for (const e of log.events) {
    if (e.type === 'open') open = true;
    else if (e.type === 'close') {
      if (!open) closes.push(e);
      open = false;
    }
  }
  return closes;
}

/** Asserts lo <= value <= hi with a message that shows all three. */
export function assertWithin(value, lo, hi, what) {
  assert.ok(
    value >= lo && value <= hi,
    `${what}: ${value.toFixed(1)} ms is outside [${lo.toFixed(1)}, ${hi.toFixed(1)}] ms`,
  );
}

const SEQ = /^m:(\d+)$/;

/**
 * Compares what the page sent with what the server received for one client.
 *
 * - queued: the client's queue took it (sent while not OPEN, or while the server was closing the
 *   socket); must arrive exactly once, in order, unless a `drop` event reported it. Queued and
 *   never handed to any socket (nor dropped) is a product bug: `lostOtherwise`.
 * - direct: handed to the socket within send().
 * - A message handed to a socket (directly, or by the replay of a later connection) that never
 *   arrived and that no drop reported was handed to a socket that was already dead: "lost in
 *   flight" on the connection it was handed to. `lossAllowed(open)` says whether connection number
 *   `open` (1-based, per client) ended without a close frame, where such a loss cannot be noticed
 *   by a client without acknowledgements (a replay can land on a connection the server is just
 *   crashing, as a direct send can).
 * - Through the recording WebSocket of fault-client.js each hand-over also says what the native
 *   socket's readyState was when the product handed the message over. Handed to a CLOSING or CLOSED
 *   native socket (the browser discards it) is a product bug whatever the fault: the product could
 *   have seen it and kept the message queued. Never handed over at all (and not dropped) likewise.
 * - On a connection the server closed with a close frame, a message handed to the native socket
 *   while it still said OPEN but that reached the browser's network process after the server's
 *   close frame crossed that frame: the browser had already answered the close and discards it
 *   before the page can know (measured in Chromium: the native WebSocket loses it the same way, see
 *   the report). The page's hand-over can precede the server's close by the time the message takes
 *   from the page to the network process, which a loaded machine stretches; so a loss counts as
 *   such a crossing (`crossedCloseFrame`: lost in flight, printed, not a failure) when it was
 *   handed over at most TOLERANCE_MS before the server's close and nothing handed over after it on
 *   that connection arrived. Anything else lost on such a connection fails.
 * - Order: the server receives everything in the order it was sent, but where the close event does
 *   not wait for the server to end the connection (Firefox: CLOSE_EVENT_WAITS_FOR_SERVER), a
 *   message that the server read on a connection after sending its close frame there, once a later
 *   connection had already delivered, was overtaken by the reconnection (`overtaken`: printed, not
 *   a failure). The order is then checked without those, and on each connection with them.
 */
export function analyzeDelivery(log, chaos, client, options = {}) {
  const { lossAllowed = () => false } = options;
  const ordinals = new Map(chaos.connectionsOf(client).map((c) => [c.id, c.ordinal]));
  const byOrdinal = new Map(chaos.connectionsOf(client).map((c) => [c.ordinal, c]));
  const received = chaos
    .messages(client)
    .filter((m) => typeof m.data === 'string' && SEQ.test(m.data))
    .map((m) => ({ n: Number(SEQ.exec(m.data)[1]), connection: ordinals.get(m.connection), at: m.at }));
  const receivedCount = new Map();
  const receivedOn = new Map();
  for (const r of received) {
    receivedCount.set(r.n, (receivedCount.get(r.n) ?? 0) + 1);
    receivedOn.set(r.n, r.connection);
  }
  const dropped = new Map();
  for (const d of log.drops) {
    const match = SEQ.exec(d.data);
    if (match) dropped.set(Number(match[1]), d.reason);
  }
  // Every hand-over of each message, with its index in log.handed; and per connection, the index
  // of the last hand-over whose message arrived.
  const handed = new Map();
  const lastArrivedHand = new Map();
  (log.handed ?? []).forEach((h, index) => {
    const n = Number(SEQ.exec(h.data)[1]);
    if (!handed.has(n)) handed.set(n, []);
    handed.get(n).push({ ...h, index });
    if (receivedCount.has(n)) lastArrivedHand.set(h.open, index);
  });
  const sentNumbers = new Set(log.sent.map((m) => m.n));
  const result = {
    sent: log.sent.length,
    queued: 0,
    direct: 0,
    delivered: 0,
    refused: log.refused.length,
    duplicated: [...receivedCount].filter(([, count]) => count > 1).map(([n]) => n),
    outOfOrder: [],
    overtaken: [],
    phantom: received.filter((r) => !sentNumbers.has(r.n)).map((r) => r.n),
    droppedWithEvent: [],
    droppedAndDelivered: [],
    misrouted: [],
    lostInFlight: [],
    lostInFlightUnexplained: [],
    handedToClosingSocket: [],
    neverHanded: [],
    crossedCloseFrame: [],
    handedTwice: [],
    lostOtherwise: [],
  };
  for (const [n, hands] of handed) {
    if (hands.length > 1) result.handedTwice.push(n);
  }
  const inOrder = [];
  let latestConnection = -Infinity;
  for (const r of received) {
    const closeSentAt = byOrdinal.get(r.connection)?.closeSentAt ?? null;
    const late = !CLOSE_EVENT_WAITS_FOR_SERVER && closeSentAt !== null && r.at >= closeSentAt && latestConnection > r.connection;
    if (late) result.overtaken.push({ n: r.n, connection: r.connection, afterCloseMs: Math.round(r.at - closeSentAt) });
    else inOrder.push(r);
    latestConnection = Math.max(latestConnection, r.connection);
  }
  for (let i = 1; i < inOrder.length; i += 1) {
    if (inOrder[i].n <= inOrder[i - 1].n) result.outOfOrder.push([inOrder[i - 1].n, inOrder[i].n]);
  }
  for (const connection of new Set(received.map((r) => r.connection))) {
    const on = received.filter((r) => r.connection === connection);
    for (let i = 1; i < on.length; i += 1) {
      if (on[i].n <= on[i - 1].n) result.outOfOrder.push([on[i - 1].n, on[i].n]);
    }
  }
  for (const m of log.sent) {
    const isDirect = m.direct;
    if (isDirect) result.direct += 1;
    else result.queued += 1;
    if (receivedCount.has(m.n)) {
      result.delivered += 1;
      if (dropped.has(m.n)) result.droppedAndDelivered.push(m.n);
      const on = receivedOn.get(m.n);
      // A direct send goes out on the connection that was open; a queued one on a later one.
      if (isDirect ? on !== m.open : !(on > m.open)) result.misrouted.push({ n: m.n, sentOn: m.open, receivedOn: on, isDirect });
    } else if (dropped.has(m.n)) {
      result.droppedWithEvent.push({ n: m.n, reason: dropped.get(m.n) });
    } else if (!handed.has(m.n) && !isDirect) {
      result.lostOtherwise.push(m.n);
    } else {
      const hand = handed.get(m.n)?.[0];
      // The connection it was handed to: its own for a direct send, the one whose replay took it
      // for a queued one.
      const open = hand?.open ?? m.open;
      const lost = { n: m.n, open, replayed: !isDirect, native: hand ? hand.native : 'never handed to a socket' };
      result.lostInFlight.push(lost);
      const closeSentAt = byOrdinal.get(open)?.closeSentAt ?? null;
      if (!hand) {
        // Taken by send() while OPEN, never given to any socket, never dropped: a product bug.
        result.neverHanded.push(lost);
      } else if (hand.native !== 1) {
        // The product could have seen that the socket was closing: a product bug on any fault.
        result.handedToClosingSocket.push(lost);
      } else if (
        closeSentAt !== null &&
        hand.at >= closeSentAt - TOLERANCE_MS &&
        !((lastArrivedHand.get(open) ?? -1) > hand.index)
      ) {
        // Handed over (native socket still OPEN) as the server's close frame arrived, the last of
        // its connection: the browser answers a close frame at once and discards data that reaches
        // it after that, before the page is told (the native WebSocket loses it the same way).
        // Only acknowledgements can help.
        lost.beforeCloseMs = Math.round(closeSentAt - hand.at);
        result.crossedCloseFrame.push(lost);
      } else if (!lossAllowed(open)) {
        result.lostInFlightUnexplained.push(lost);
      }
    }
  }
  return result;
}

export function formatDelivery(r) {
  const byConnection = {};
  for (const m of r.lostInFlight) byConnection[m.open] = (byConnection[m.open] ?? 0) + 1;
  const replayed = r.lostInFlight.filter((m) => m.replayed).length;
  return `delivery: sent ${r.sent} (${r.queued} queued, ${r.direct} direct), delivered ${r.delivered}, ` +
    `duplicated ${r.duplicated.length}, out of order ${r.outOfOrder.length}, ` +
    (r.overtaken.length ? `overtaken by the reconnection ${JSON.stringify(r.overtaken)}, ` : '') +
    `dropped with event ${r.droppedWithEvent.length}, refused by send() ${r.refused}, ` +
    `lost in flight ${r.lostInFlight.length}${r.lostInFlight.length ? ` (per connection ${JSON.stringify(byConnection)}` +
      `${replayed ? `; ${replayed} of them replayed from the queue` : ''}` +
      `${r.crossedCloseFrame.length ? `; ${r.crossedCloseFrame.length} sent after the server's close frame` : ''})` : ''}, ` +
    `lost otherwise ${r.lostOtherwise.length}` +
    (r.handedToClosingSocket.length ? `; handed to a CLOSING/CLOSED native socket ${JSON.stringify(r.handedToClosingSocket)}` : '') +
    (r.neverHanded.length ? `; taken while OPEN but never handed to a socket ${JSON.stringify(r.neverHanded)}` : '');
}

/** The delivery assertions; prints the counts (lost in flight included) as a test diagnostic. */
export function assertDelivery(t, log, chaos, client, options = {}) {
  const r = analyzeDelivery(log, chaos, client, options);
  t.diagnostic(`${client}: ${formatDelivery(r)}`);
  assert.ok(r.sent > 0, 'the page sent messages during the fault');
  assert.deepEqual(r.duplicated, [], 'no message arrived twice');
  assert.deepEqual(r.outOfOrder, [], 'messages arrived in the order they were sent');
  assert.deepEqual(r.phantom, [], 'the server received nothing the page did not send');
  assert.deepEqual(r.droppedAndDelivered, [], 'no message was both dropped and delivered');
  assert.deepEqual(r.misrouted, [], 'direct sends arrive on their connection, queued ones on a later one');
  assert.deepEqual(r.lostOtherwise, [], 'every queued message was replayed to a socket or dropped with a drop event');
  assert.deepEqual(r.handedTwice, [], 'no message was handed to a socket twice');
  assert.deepEqual(r.handedToClosingSocket, [], 'no message was handed to a native socket that was already CLOSING or CLOSED');
  assert.deepEqual(r.neverHanded, [], 'every message send() took while OPEN was handed to a socket (or dropped with an event)');
  assert.deepEqual(
    r.lostInFlightUnexplained,
    [],
    'nothing is lost in flight on a connection that ended with a close frame',
  );
  if (options.expectDrops !== undefined) {
    assert.ok(r.droppedWithEvent.every((d) => d.reason === options.expectDrops), `drops are '${options.expectDrops}'`);
  }
  return r;
}

/**
 * Stops the sender and waits until the client is OPEN with an empty queue and the server has every
 * message sent up to then (or `graceMs` passed: the delivery check then says what is missing).
 */
export async function settle(page, name, chaos, client, { graceMs = 1000, expectOpen = true } = {}) {
  await call(page, name, 'stopSending');
  if (expectOpen) {
    await waitForClient(page, name, (log) => log.readyState === 1 && log.stats.queued === 0, {
      timeoutMs: 5000,
      what: 'open connection with an empty queue',
    });
  }
  const log = await snapshot(page, name);
  const last = log.sent.at(-1)?.n;
  if (last !== undefined) {
    await chaos
      .waitFor((c) => c.messages(client).some((m) => m.data === `m:${last}`), { timeoutMs: graceMs })
      .catch(() => {});
  } else {
    await sleep(50);
  }
  return snapshot(page, name);
}

/**
 * At most one open connection per client on the server at any moment (see chaos-server.js for the
 * definition, and for the client-close-in-flight race, which is printed but not a failure).
 */
export async function assertOneConnectionAtATime(chaos, client, t) {
  const youngest = Math.max(-Infinity, ...chaos.overlaps.map((o) => o.at));
  const wait = youngest + CLOSE_IN_FLIGHT_MS + 50 - now();
  if (wait > 0) await sleep(wait);
  const overlaps = chaos.overlaps.filter((o) => client === undefined || o.client === client);
  const inFlight = overlaps.filter((o) => o.closeInFlight);
  if (inFlight.length > 0) {
    t?.diagnostic(`${client}: ${inFlight.length} new connection(s) arrived while the client's close frame for the old one was still in flight`);
  }
  assert.deepEqual(
    overlaps.filter((o) => !o.closeInFlight),
    [],
    'the server never had two open connections of one client at once',
  );
}

/**
 * No uncaught exception, unhandled rejection or other console error in the page, but the browser's
 * own reports of failed connections (`isBrowserConnectionReport`): under faults they are expected.
 */
export function assertCleanPage(errors, log) {
  assert.deepEqual(errors.filter((e) => !isBrowserConnectionReport(e)), [], 'the page raised no error');
  if (log) assert.deepEqual(log.pageProblems, [], 'no uncaught error or unhandled rejection in the page');
}
