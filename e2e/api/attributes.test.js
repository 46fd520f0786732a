// The attributes of the WebSocket interface: constants, url, readyState, protocol, extensions,
// bufferedAmount and binaryType, each against a real server and, where the contract says "as
// native", against the browser's WebSocket in the same page.
import assert from 'node:assert/strict';
import { assertNoPageErrors, setup, test, useBrowser } from './helpers.js';

const shared = useBrowser();

test('constants and members have the native property descriptors', async (t) => {
  const { page, errors } = await setup(t, shared);
  const result = await page.evaluate(() => {
    const shape = (descriptor) =>
      descriptor && {
        kind: 'value' in descriptor ? 'data' : 'accessor',
        value: typeof descriptor.value === 'function' ? 'function' : descriptor.value,
        writable: descriptor.writable,
        enumerable: descriptor.enumerable,
        configurable: descriptor.configurable,
        getter: typeof descriptor.get,
        setter: typeof descriptor.set,
      };
    const constants = ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED'];
    const members = [
      ...constants,
      'url', 'readyState', 'bufferedAmount', 'onopen', 'onerror', 'onclose', 'extensions', 'protocol',
      'close', 'onmessage', 'binaryType', 'send',
    ];
    const ws = new window.RWS('ws://127.0.0.1:9/', [], { startClosed: true });
    return {
      classConstants: constants.map((c) => [c, shape(Object.getOwnPropertyDescriptor(window.RWS, c))]),
      nativeClassConstants: constants.map((c) => [c, shape(Object.getOwnPropertyDescriptor(WebSocket, c))]),
      prototype: members.map((m) => [m, shape(Object.getOwnPropertyDescriptor(window.RWS.prototype, m))]),
      nativePrototype: members.map((m) => [m, shape(Object.getOwnPropertyDescriptor(WebSocket.prototype, m))]),
      instanceValues: constants.map((c) => ws[c]),
      classValues: constants.map((c) => window.RWS[c]),
      lengths: [window.RWS.length, ws.send.length, ws.close.length],
      nativeLengths: [WebSocket.length, WebSocket.prototype.send.length, WebSocket.prototype.close.length],
      isEventTarget: ws instanceof EventTarget,
      ownKeys: Object.keys(ws),
      assignConstant: (() => {
        ws.OPEN = 7;
        return ws.OPEN;
      })(),
      tag: Object.prototype.toString.call(ws),
    };
  });
  assert.deepEqual(result.classConstants, result.nativeClassConstants);
  assert.deepEqual(result.prototype, result.nativePrototype);
  assert.deepEqual(result.instanceValues, [0, 1, 2, 3]);
  assert.deepEqual(result.classValues, [0, 1, 2, 3]);
  assert.deepEqual(result.lengths, result.nativeLengths);
  assert.equal(result.isEventTarget, true);
  assert.deepEqual(result.ownKeys, [], 'no own enumerable state on instances, as native');
  assert.equal(result.assignConstant, 1, 'constants are read-only');
  assert.equal(result.tag, '[object ResilientWebSocket]');
  assertNoPageErrors(errors);
});

test('url and readyState through open, a server close, a reconnect and a user close', async (t) => {
  const { page, errors, echo } = await setup(t, shared);
  await page.evaluate(async (url) => {
    const ws = new window.RWS(url, [], { reconnect: { minDelay: 20, maxDelay: 20, jitter: 'none' } });
    window.ws = ws;
    window.log = window.record(ws, window.ALL_EVENTS);
    window.log.push(`constructed url=${ws.url} rs=${ws.readyState} ${ws.connectionState}`);
    await window.nextEvent(ws, 'open');
  }, echo.url.replace(/\/$/, ''));
  echo.closeAll(1001, 'going away');
  await page.evaluate(async () => {
    await window.nextEvent(window.ws, 'open');
    const closing = window.nextEvent(window.ws, 'close');
    window.ws.close(3000, 'bye');
    window.log.push(`after close() rs=${window.ws.readyState} ${window.ws.connectionState}`);
    await closing;
    window.log.push(`end url=${window.ws.url} rs=${window.ws.readyState} ${window.ws.connectionState}`);
  });
  const log = await page.evaluate(() => window.log);
  assert.deepEqual(log, [
    `constructed url=${echo.url} rs=0 connecting`,
    'statechange connecting->open rs=1',
    'open rs=1',
    'statechange open->reconnecting rs=0',
    'close 1001 "going away" clean rs=0',
    'reconnecting attempt=1 delay=20 rs=0',
    'statechange reconnecting->open rs=1',
    'open rs=1',
    'statechange open->closing rs=2',
    'after close() rs=2 closing',
    'statechange closing->closed rs=3',
    'close 3000 "bye" clean rs=3',
    `end url=${echo.url} rs=3 closed`,
  ]);
  assert.equal(echo.connections, 2);
  await echo.waitFor((s) => s.closes.length === 2, { what: 'both closes' });
  assert.deepEqual(echo.closes, [
    { code: 1001, reason: 'going away' },
    { code: 3000, reason: 'bye' },
  ]);
  // The server counts a socket as open until its TCP connection ends, which can come after the
  // next connection's handshake; what must never happen is two sockets OPEN at once.
  assert.equal(echo.maxLive, 1, 'never two sockets OPEN on the server at once');
  assert.ok(echo.maxOpen <= 2, `at most one CLOSING socket beside the open one (saw ${echo.maxOpen})`);
  assertNoPageErrors(errors);
});

test('protocol and extensions are those of the open socket, as native, and survive a reconnect cycle', async (t) => {
  const { page, errors, echo } = await setup(t, shared, {
    handleProtocols: (offered) => (offered.has('v2') ? 'v2' : false),
    perMessageDeflate: true,
  });
  const result = await page.evaluate(async (url) => {
    const native = new WebSocket(url, ['v1', 'v2']);
    const ws = new window.RWS(url, ['v1', 'v2'], { reconnect: { minDelay: 20, maxDelay: 20, jitter: 'none' } });
    window.ws = ws;
    const before = { protocol: ws.protocol, extensions: ws.extensions, native: [native.protocol, native.extensions] };
    await Promise.all([window.nextEvent(ws, 'open'), window.nextEvent(native, 'open')]);
    const opened = { protocol: ws.protocol, extensions: ws.extensions, native: [native.protocol, native.extensions] };
    native.close(1000);
    return { before, opened };
  }, echo.url);
  assert.deepEqual(result.before, { protocol: '', extensions: '', native: ['', ''] });
  assert.equal(result.opened.protocol, 'v2');
  assert.match(result.opened.extensions, /^permessage-deflate/);
  assert.deepEqual([result.opened.protocol, result.opened.extensions], result.opened.native);
  assert.deepEqual(
    echo.handshakes.map((h) => h.protocols),
    ['v1, v2', 'v1, v2'],
    'both sockets offered the same protocols',
  );

  // During the reconnect cycle the values of the last open socket are kept.
  await page.evaluate(() => {
    window.pendingClose = window.nextEvent(window.ws, 'close');
  });
  echo.closeAll(1001, 'restart');
  const during = await page.evaluate(async () => {
    const close = await window.pendingClose;
    const seen = [close.code, window.ws.readyState, window.ws.protocol, window.ws.extensions];
    await window.nextEvent(window.ws, 'open');
    return { seen, reopened: window.ws.protocol };
  });
  assert.deepEqual(during.seen.slice(0, 3), [1001, 0, 'v2']);
  assert.match(during.seen[3], /^permessage-deflate/);
  assert.equal(during.reopened, 'v2');
  assertNoPageErrors(errors);
});

test('bufferedAmount counts the queued bytes while CONNECTING, as native counts unsent bytes', async (t) => {
  const { page, errors, echo } = await setup(t, shared);
  const result = await page.evaluate(async (url) => {
    const payloads = () => [
      'abc',
      'héllo',
      '😀',
      '\uD800',
      new Uint8Array(10),
      new Uint8Array(new ArrayBuffer(32), 8, 5),
      new ArrayBuffer(7),
      new DataView(new ArrayBuffer(16), 4, 8),
      new Float64Array(2),
      new Blob(['abcd', new Uint8Array(3)]),
      42,
    ];
    const ws = new window.RWS(url);
    window.ws = ws;
    window.opened = window.nextEvent(ws, 'open');
    const ours = payloads().map((p) => {
      ws.send(p);
      return ws.bufferedAmount;
    });
    const stats = ws.stats;
    // The native socket counts what send() hands it, from its OPEN state on.
    const native = new WebSocket(url);
    await window.nextEvent(native, 'open');
    const nativeCounts = payloads().map((p) => {
      native.send(p);
      return native.bufferedAmount;
    });
    // Closed once everything came back: WebKit's close() discards a Blob still being read for
    // sending, and what was sent after it.
    let echoed = 0;
    await new Promise((resolve) => native.addEventListener('message', () => ++echoed === nativeCounts.length && resolve()));
    native.close(1000);
    await window.opened;
    return { ours, nativeCounts, queued: stats.queued, queuedBytes: stats.queuedBytes };
  }, echo.url);
  const sizes = [3, 6, 4, 3, 10, 5, 7, 8, 16, 7, 2];
  const cumulative = sizes.map((_, i) => sizes.slice(0, i + 1).reduce((a, b) => a + b));
  assert.deepEqual(result.ours, cumulative);
  assert.deepEqual(result.ours, result.nativeCounts);
  assert.equal(result.queued, sizes.length);
  assert.equal(result.queuedBytes, cumulative.at(-1));
  // Everything is replayed once open; both the native socket's and ours arrive at the server.
  await echo.waitFor((s) => s.received.length === 2 * sizes.length, { what: 'all messages' });
  const drained = await page.evaluate(() => {
    const { queued, queuedBytes, replayed } = window.ws.stats;
    return { bufferedAmount: window.ws.bufferedAmount, queued, queuedBytes, replayed };
  });
  assert.deepEqual(drained, { bufferedAmount: 0, queued: 0, queuedBytes: 0, replayed: sizes.length });
  // Both sockets delivered the same bytes (numbers are sent as their string, as native).
  const sizesOnWire = echo.received.map((m) => (typeof m === 'string' ? Buffer.byteLength(m) : m.length));
  assert.deepEqual(sizesOnWire.toSorted((a, b) => a - b), [...sizes, ...sizes].toSorted((a, b) => a - b));
  assertNoPageErrors(errors);
});

test('binaryType: blob by default, invalid values ignored, arraybuffer and blob honoured across reconnects', async (t) => {
  const { page, errors, echo } = await setup(t, shared);
  const initial = await page.evaluate(async (url) => {
    const ws = new window.RWS(url, [], { reconnect: { minDelay: 20, maxDelay: 20, jitter: 'none' } });
    const native = new WebSocket(`${url}native`);
    window.ws = ws;
    const values = [ws.binaryType, native.binaryType];
    for (const target of [ws, native]) {
      target.binaryType = 'text';
      values.push(target.binaryType);
      target.binaryType = 'ARRAYBUFFER';
      values.push(target.binaryType);
      target.binaryType = null;
      values.push(target.binaryType);
    }
    native.close();
    ws.binaryType = 'arraybuffer';
    values.push(ws.binaryType);
    await window.nextEvent(ws, 'open');
    return values;
  }, echo.url);
  assert.deepEqual(initial, ['blob', 'blob', 'blob', 'blob', 'blob', 'blob', 'blob', 'blob', 'arraybuffer']);

  // The server drops the connection; the next socket must deliver binary as ArrayBuffer.
  const bytes = [0, 1, 2, 250, 255];
  // Arms the wait in the page before the server acts, so the event cannot come first.
  const arm = (type) =>
    page.evaluate((type) => {
      window.pending = window.nextEvent(window.ws, type);
    }, type);
  const received = () =>
    page.evaluate(async () => {
      const { data } = await window.pending;
      const buffer = data instanceof Blob ? await data.arrayBuffer() : data;
      return {
        type: Object.prototype.toString.call(data),
        bytes: typeof data === 'string' ? data : [...new Uint8Array(buffer)],
      };
    });
  const reconnectThroughServer = async () => {
    await arm('open');
    echo.closeAll(1001, 'restart');
    await page.evaluate(() => window.pending);
  };
  await reconnectThroughServer();
  const ours = () => echo.paths.filter((path) => path === '/').length;
  assert.equal(ours(), 2);
  await arm('message');
  echo.sendAll(Buffer.from(bytes));
  assert.deepEqual(await received(), { type: '[object ArrayBuffer]', bytes });

  // Back to blob, on the live socket and after another reconnect.
  await page.evaluate(() => {
    window.ws.binaryType = 'blob';
  });
  await arm('message');
  echo.sendAll(Buffer.from(bytes));
  assert.deepEqual(await received(), { type: '[object Blob]', bytes });
  await reconnectThroughServer();
  await arm('message');
  echo.sendAll(Buffer.from(bytes.toReversed()));
  assert.deepEqual(await received(), { type: '[object Blob]', bytes: bytes.toReversed() });
  // Strings stay strings whatever the binaryType.
  await arm('message');
  echo.sendAll('text', { binary: false });
  assert.deepEqual(await received(), { type: '[object String]', bytes: 'text' });
  assert.equal(ours(), 3);
  assertNoPageErrors(errors);
});
