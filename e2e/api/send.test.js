// send(): every payload type byte-exact through a real echo server, queueing while CONNECTING and
// the replay after the open handlers, InvalidStateError after a terminal close, and the buffer
// options (overflow, replay, ttl) with their drop events.
import assert from 'node:assert/strict';
import { assertNoPageErrors, setup, test, useBrowser } from './helpers.js';

const shared = useBrowser();

// The payloads, built in the page, and the bytes each must put on the wire.
const PAYLOADS = `[
  'hello',
  'ünïcödé 😀 \\u{10FFFF}',
  '',
  new Uint8Array([0, 1, 2, 127, 128, 255]).buffer,
  new Uint8Array(new Uint8Array([9, 8, 7, 6, 5, 4, 3, 2]).buffer, 2, 4),
  new DataView(new Uint8Array([10, 20, 30, 40, 50]).buffer, 1, 3),
  new Uint16Array([0x0102, 0xfffe]),
  new Blob(['blob-', new Uint8Array([0, 255])]),
  new ArrayBuffer(0),
  12.5,
]`;
const EXPECTED = [
  'hello',
  'ünïcödé 😀 \u{10FFFF}',
  '',
  [0, 1, 2, 127, 128, 255],
  [7, 6, 5, 4],
  [20, 30, 40],
  [0x02, 0x01, 0xfe, 0xff],
  [...Buffer.from('blob-'), 0, 255],
  [],
  '12.5',
];
const onWire = (received) => received.map((m) => (typeof m === 'string' ? m : [...m]));

async function roundTrip(t, whileConnecting) {
  const { page, errors, echo } = await setup(t, shared);
  const echoed = await page.evaluate(
    async ({ url, whileConnecting, payloads, count }) => {
      const ws = new window.RWS(url);
      ws.binaryType = 'arraybuffer';
      const echoes = [];
      const all = new Promise((resolve) => {
        ws.onmessage = (e) => {
          echoes.push(typeof e.data === 'string' ? e.data : [...new Uint8Array(e.data)]);
          if (echoes.length === count) resolve();
        };
      });
      if (!whileConnecting) await window.nextEvent(ws, 'open');
      const list = (0, eval)(payloads);
      const states = list.map((p) => {
        ws.send(p);
        return ws.readyState;
      });
      // What send() was given is copied: changing it afterwards changes nothing.
      for (const p of list) {
        if (p instanceof ArrayBuffer) new Uint8Array(p).fill(0xee);
        else if (ArrayBuffer.isView(p)) new Uint8Array(p.buffer).fill(0xee);
      }
      await all;
      return { echoes, states };
    },
    { url: echo.url, whileConnecting, payloads: PAYLOADS, count: EXPECTED.length },
  );
  assert.deepEqual(echoed.states, Array(EXPECTED.length).fill(whileConnecting ? 0 : 1));
  assert.deepEqual(onWire(echo.received), EXPECTED, 'the server received every payload byte-exact, in order');
  assert.deepEqual(echoed.echoes, EXPECTED, 'and the page got them back byte-exact');
  assertNoPageErrors(errors);
}

test('send() while OPEN: string, ArrayBuffer, typed arrays with an offset, DataView, Blob round trip', (t) =>
  roundTrip(t, false));

test('send() while CONNECTING: every payload type is queued, then replayed byte-exact and in order', (t) =>
  roundTrip(t, true));

test('messages sent in open handlers go before the replay, whichever handler sends them', async (t) => {
  const { page, errors, echo } = await setup(t, shared);
  const log = await page.evaluate(async (url) => {
    const ws = new window.RWS(url);
    const log = [];
    ws.addEventListener('statechange', (e) => {
      if (e.to === 'open') ws.send('from statechange');
    });
    ws.onopen = () => {
      log.push(`onopen bufferedAmount=${ws.bufferedAmount}`);
      ws.send('auth');
    };
    ws.addEventListener('open', () => ws.send('subscribe'));
    ws.send('queued 1');
    ws.send('queued 2');
    const replayed = new Promise((resolve) => {
      let n = 0;
      ws.onmessage = (e) => {
        log.push(e.data);
        if (++n === 5) resolve();
      };
    });
    await replayed;
    log.push(`replayed=${ws.stats.replayed}`);
    return log;
  }, echo.url);
  const order = ['from statechange', 'auth', 'subscribe', 'queued 1', 'queued 2'];
  assert.deepEqual(echo.received, order);
  // While the open handlers run, bufferedAmount counts the queue (2 × 8 bytes) and what the socket
  // has not sent yet ('from statechange', 16 bytes, handed to it a moment before).
  assert.deepEqual(log, ['onopen bufferedAmount=32', ...order, 'replayed=2']);
  assertNoPageErrors(errors);
});

test('send() after a terminal close throws InvalidStateError; the argument is required as natively', async (t) => {
  const { page, errors, echo } = await setup(t, shared);
  const result = await page.evaluate(async (url) => {
    const ws = new window.RWS(url);
    await window.nextEvent(ws, 'open');
    const noArgument = [window.attempt(() => ws.send()), window.attempt(() => WebSocket.prototype.send.call(new WebSocket(url)))];
    const closed = window.nextEvent(ws, 'close');
    ws.close(1000);
    const closing = window.attempt(() => ws.send('while closing'));
    await closed;
    const afterClose = window.attempt(() => ws.send('after close'));
    const startClosed = new window.RWS(url, [], { startClosed: true });
    const beforeStart = window.attempt(() => startClosed.send('never'));
    return { noArgument, closing, afterClose, beforeStart, bufferedAmount: ws.bufferedAmount };
  }, echo.url);
  assert.deepEqual(result, {
    noArgument: ['TypeError', 'TypeError'],
    closing: 'InvalidStateError (DOMException)',
    afterClose: 'InvalidStateError (DOMException)',
    beforeStart: 'InvalidStateError (DOMException)',
    bufferedAmount: 0,
  });
  assert.deepEqual(echo.received, [], 'nothing was sent');
  assertNoPageErrors(errors);
});

test("buffer.overflow 'throw': QuotaExceededError at maxMessages and at maxBytes", async (t) => {
  const { page, errors, echo } = await setup(t, shared);
  const result = await page.evaluate(async (url) => {
    const byCount = new window.RWS(url, [], { buffer: { maxMessages: 2 } });
    const drops = window.record(byCount, ['drop']);
    const count = ['a', 'b', 'c'].map((m) => window.attempt(() => byCount.send(m)));
    const byBytes = new window.RWS(url, [], { buffer: { maxBytes: 5, overflow: 'throw' } });
    const bytes = ['abc', 'de', 'f', new Uint8Array(6)].map((m) => window.attempt(() => byBytes.send(m)));
    const state = [byCount.stats.queued, byBytes.stats.queuedBytes, byCount.readyState];
    await Promise.all([window.nextEvent(byCount, 'open'), window.nextEvent(byBytes, 'open')]);
    return { count, bytes, state, drops };
  }, echo.url);
  assert.deepEqual(result, {
    count: ['ok', 'ok', 'QuotaExceededError (DOMException)'],
    bytes: ['ok', 'ok', 'QuotaExceededError (DOMException)', 'QuotaExceededError (DOMException)'],
    state: [2, 5, 0],
    drops: [],
  });
  await echo.waitFor((s) => s.received.length === 4, { what: 'the replayed messages' });
  assert.deepEqual(echo.received.toSorted(), ['a', 'abc', 'b', 'de']);
  assertNoPageErrors(errors);
});

test("buffer.overflow 'drop-oldest' and 'drop-newest' fire drop events with the data and reason", async (t) => {
  const { page, errors, echo } = await setup(t, shared);
  const result = await page.evaluate(async (url) => {
    const oldest = new window.RWS(`${url}oldest`, [], { buffer: { maxMessages: 2, overflow: 'drop-oldest' } });
    const newest = new window.RWS(`${url}newest`, [], { buffer: { maxMessages: 2, overflow: 'drop-newest' } });
    const logs = { oldest: window.record(oldest, ['drop']), newest: window.record(newest, ['drop']) };
    const dropped = [];
    oldest.addEventListener('drop', (e) => dropped.push(e instanceof window.rws.DropEvent && e.data));
    for (const ws of [oldest, newest]) for (const m of ['1', '2', '3', '4']) ws.send(m);
    const bytes = new window.RWS(`${url}bytes`, [], { buffer: { maxBytes: 4, overflow: 'drop-oldest' } });
    logs.bytes = window.record(bytes, ['drop']);
    bytes.send('ab');
    bytes.send('cd');
    bytes.send(new Uint8Array(3));
    // Larger than the whole buffer: dropped itself, the queue is left alone.
    bytes.send('12345');
    const stats = [oldest.stats, newest.stats, bytes.stats].map((s) => [s.queued, s.dropped]);
    await Promise.all([oldest, newest, bytes].map((ws) => window.nextEvent(ws, 'open')));
    return { logs, dropped, stats };
  }, echo.url);
  assert.deepEqual(result.logs, {
    oldest: ['drop "1" overflow', 'drop "2" overflow'],
    newest: ['drop "3" overflow', 'drop "4" overflow'],
    bytes: ['drop "ab" overflow', 'drop "cd" overflow', 'drop "12345" overflow'],
  });
  assert.deepEqual(result.dropped, ['1', '2']);
  assert.deepEqual(result.stats, [[2, 2], [2, 2], [1, 3]]);
  await echo.waitFor((s) => s.received.length === 5, { what: 'the kept messages' });
  // Three sockets replay concurrently, so compare as a set: what each one kept.
  assert.deepEqual(onWire(echo.received).map((m) => JSON.stringify(m)).sort(), ['"1"', '"2"', '"3"', '"4"', '[0,0,0]']);
  assertNoPageErrors(errors);
});

test('buffer.replay false drops the queue at open; a replay filter keeps what it accepts', async (t) => {
  const { page, errors, echo } = await setup(t, shared);
  const result = await page.evaluate(async (url) => {
    const none = new window.RWS(`${url}none`, [], { buffer: { replay: false } });
    const seen = [];
    const filtered = new window.RWS(`${url}filter`, [], {
      buffer: {
        replay: (data) => {
          seen.push(data);
          if (data === 'boom') throw new Error('filter bug');
          return data.startsWith('keep');
        },
      },
    });
    const logs = { none: window.record(none, ['open', 'drop']), filtered: window.record(filtered, ['open', 'drop']) };
    none.send('a');
    none.send('b');
    for (const m of ['keep 1', 'skip 1', 'boom', 'keep 2']) filtered.send(m);
    // The error the filter throws is reported like an exception in an event handler.
    const reported = new Promise((resolve) => window.addEventListener('error', (e) => resolve(e.error.message), { once: true }));
    await Promise.all([window.nextEvent(none, 'open'), window.nextEvent(filtered, 'open')]);
    none.send('sent while open');
    return { logs, seen, reported: await reported, stats: [none.stats.dropped, filtered.stats.dropped, filtered.stats.replayed] };
  }, echo.url);
  assert.deepEqual(result.logs, {
    none: ['open rs=1', 'drop "a" filtered', 'drop "b" filtered'],
    filtered: ['open rs=1', 'drop "skip 1" filtered'],
  });
  assert.deepEqual(result.seen, ['keep 1', 'skip 1', 'boom', 'keep 2']);
  assert.equal(result.reported, 'filter bug');
  assert.deepEqual(result.stats, [2, 1, 3]);
  await echo.waitFor((s) => s.received.length === 4, { what: 'the replayed and live messages' });
  assert.deepEqual(echo.received.toSorted(), ['boom', 'keep 1', 'keep 2', 'sent while open']);
  // The filter's exception is the one error this test provokes.
  assert.equal(errors.length, 1);
  assert.match(errors[0], /filter bug/);
});

test('buffer.ttl drops messages that waited too long, with a drop event', async (t) => {
  const { page, errors, echo } = await setup(t, shared);
  const result = await page.evaluate(async (url) => {
    // The URL provider holds the first attempt until the test releases it.
    let release;
    const gate = new Promise((resolve) => (release = resolve));
    const ws = new window.RWS(() => gate.then(() => url), [], { buffer: { ttl: 500 } });
    const log = window.record(ws, ['open', 'drop']);
    ws.send('old');
    const oldQueuedBy = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 600));
    const newQueuedFrom = performance.now();
    ws.send('new');
    release();
    await window.nextEvent(ws, 'open');
    // The replay runs in the task of the open event, before this continuation.
    const replayedBy = performance.now();
    return {
      log,
      oldAgeAtLeast: newQueuedFrom - oldQueuedBy,
      newAgeAtMost: replayedBy - newQueuedFrom,
      stats: [ws.stats.dropped, ws.stats.replayed],
    };
  }, echo.url);
  // 'old' waited at least 600 ms, so it expired. 'new' is fresh unless the handshake itself took
  // longer than the ttl, which a loaded machine can make it do; then only its age says what is right.
  const timing = `'old' waited at least ${result.oldAgeAtLeast.toFixed(1)} ms, 'new' at most ${result.newAgeAtMost.toFixed(1)} ms`;
  t.diagnostic(timing);
  assert.ok(result.oldAgeAtLeast > 501, timing);
  const newDropped = result.log.length === 3;
  assert.deepEqual(result.log, ['open rs=1', 'drop "old" expired', ...(newDropped ? ['drop "new" expired'] : [])]);
  // The client's clock counts whole milliseconds: 1 ms of margin.
  assert.ok(!newDropped || result.newAgeAtMost >= 499, `'new' expired though ${timing}`);
  assert.deepEqual(result.stats, newDropped ? [2, 0] : [1, 1]);
  await echo.waitFor((s) => s.received.length === (newDropped ? 0 : 1), { what: 'the fresh message' });
  assert.deepEqual(echo.received, newDropped ? [] : ['new']);
  assertNoPageErrors(errors);
});
