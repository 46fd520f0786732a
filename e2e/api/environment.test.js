// The options that connect the instance to its environment: the WebSocket constructor override,
// debug logging, the browser's online/offline events (Playwright's setOffline) and the page
// lifecycle (synthetic pagehide/pageshow, freeze/resume and visibilitychange events).
import assert from 'node:assert/strict';
import { assertNoPageErrors, setNetwork, setup, sleep, test, useBrowser } from './helpers.js';

const shared = useBrowser();

test('the WebSocket option: the given constructor is used for every attempt', async (t) => {
  const { page, errors, echo } = await setup(t, shared, { handleProtocols: (offered) => [...offered][0] });
  await page.evaluate(async (url) => {
    window.calls = [];
    class RecordingWebSocket extends WebSocket {
      constructor(url, protocols) {
        window.calls.push([url, protocols]);
        super(url, protocols);
      }
    }
    const ws = new window.RWS(url, 'chat', { WebSocket: RecordingWebSocket, reconnect: { minDelay: 20, maxDelay: 20, jitter: 'none' } });
    window.ws = ws;
    await window.nextEvent(ws, 'open');
    window.reopened = window.nextEvent(ws, 'reconnecting').then(() => window.nextEvent(ws, 'open'));
  }, echo.url);
  echo.closeAll(1001, 'restart');
  const result = await page.evaluate(async () => {
    await window.reopened;
    return { calls: window.calls, protocol: window.ws.protocol };
  });
  assert.deepEqual(result, { calls: [[echo.url, ['chat']], [echo.url, ['chat']]], protocol: 'chat' });
  assert.equal(echo.connections, 2);
  assertNoPageErrors(errors);
});

test('a WebSocket constructor that throws fails that attempt, is reported, and the next one is tried', async (t) => {
  const { page, errors, echo } = await setup(t, shared);
  const result = await page.evaluate(async (url) => {
    let calls = 0;
    class FlakyWebSocket extends WebSocket {
      constructor(url, protocols) {
        calls += 1;
        if (calls === 1) throw new Error('constructor failed');
        super(url, protocols);
      }
    }
    const reported = new Promise((resolve) => window.addEventListener('error', (e) => resolve(e.error.message), { once: true }));
    const ws = new window.RWS(url, [], { WebSocket: FlakyWebSocket, reconnect: { minDelay: 20, maxDelay: 20, jitter: 'none' } });
    const constructed = [ws.readyState, ws.connectionState];
    await window.nextEvent(ws, 'open');
    return { constructed, calls, reported: await reported, attempts: ws.stats.attempts };
  }, echo.url);
  assert.deepEqual(result, {
    constructed: [0, 'reconnecting'],
    calls: 2,
    reported: 'constructor failed',
    attempts: 2,
  });
  assert.equal(errors.length, 1);
  assert.match(errors[0], /constructor failed/);
});

test('debug: true logs each event with console.debug; a function receives (event, detail)', async (t) => {
  const { page, errors, echo } = await setup(t, shared);
  const result = await page.evaluate(async (url) => {
    const logged = [];
    const original = console.debug;
    console.debug = (...args) => logged.push(args.map((a) => (typeof a === 'string' ? a : a.constructor.name)));
    try {
      const ws = new window.RWS(`${url}console`, [], { debug: true });
      await window.nextEvent(ws, 'open');
      ws.close();
      await window.nextEvent(ws, 'close');
    } finally {
      console.debug = original;
    }
    const received = [];
    const ws = new window.RWS(`${url}function`, [], {
      debug: (event, detail) => received.push([event, detail.constructor.name, detail.type]),
    });
    await window.nextEvent(ws, 'open');
    ws.close();
    await window.nextEvent(ws, 'close');
    // A logger that throws is reported; the events are dispatched all the same.
    const reported = new Promise((resolve) => window.addEventListener('error', (e) => resolve(e.error.message), { once: true }));
    const throwing = new window.RWS(`${url}throwing`, [], {
      debug: () => {
        throw new Error('logger bug');
      },
    });
    await window.nextEvent(throwing, 'open');
    throwing.close();
    return { logged, received, reported: await reported, throwingState: throwing.readyState };
  }, echo.url);
  assert.deepEqual(result.logged, [
    ['[ResilientWebSocket]', 'statechange', 'StateChangeEvent'],
    ['[ResilientWebSocket]', 'open', 'Event'],
    ['[ResilientWebSocket]', 'statechange', 'StateChangeEvent'],
    ['[ResilientWebSocket]', 'statechange', 'StateChangeEvent'],
    ['[ResilientWebSocket]', 'close', 'CloseEvent'],
  ]);
  assert.deepEqual(result.received, [
    ['statechange', 'StateChangeEvent', 'statechange'],
    ['open', 'Event', 'open'],
    ['statechange', 'StateChangeEvent', 'statechange'],
    ['statechange', 'StateChangeEvent', 'statechange'],
    ['close', 'CloseEvent', 'close'],
  ]);
  assert.equal(result.reported, 'logger bug');
  assert.equal(result.throwingState, 2);
  // Only the throwing logger's errors (one per event it saw) reached the page.
  assert.ok(errors.length >= 1 && errors.every((e) => /logger bug/.test(e)), JSON.stringify(errors));
});

test('network: offline keeps retries suspended (connectionState offline); online reconnects', async (t) => {
  const { page, errors, echo, context } = await setup(t, shared);
  await page.evaluate(async (url) => {
    const ws = new window.RWS(url, [], { reconnect: { minDelay: 20, maxDelay: 100, jitter: 'none' } });
    window.ws = ws;
    await window.nextEvent(ws, 'open');
    window.log = window.record(ws, window.ALL_EVENTS);
    window.wentOffline = window.nextEvent(window, 'offline');
  }, echo.url);
  const emulated = await setNetwork(t, context, page, false);
  const offline = await page.evaluate(async () => {
    await window.wentOffline;
    window.pendingClose = window.nextEvent(window.ws, 'close');
    // Going offline does not close an open socket by itself.
    return [navigator.onLine, window.ws.readyState, window.ws.connectionState];
  });
  assert.deepEqual(offline, [!emulated, 1, 'open']);
  // The server drops the connection while the browser is offline: no attempt is made.
  echo.closeAll(1001, 'lost');
  const whileOffline = await page.evaluate(async () => {
    await window.pendingClose;
    return { rs: window.ws.readyState, state: window.ws.connectionState, attempts: window.ws.stats.attempts };
  });
  assert.deepEqual(whileOffline, { rs: 0, state: 'offline', attempts: 1 });
  await sleep(250);
  const later = await page.evaluate(() => [window.ws.stats.attempts, window.ws.connectionState]);
  assert.deepEqual(later, [1, 'offline'], 'no attempt while offline');
  assert.equal(echo.handshakes.length, 1);

  await page.evaluate(() => {
    window.reopened = window.nextEvent(window.ws, 'open', 3000);
  });
  await setNetwork(t, context, page, true);
  const log = await page.evaluate(async () => {
    await window.reopened;
    return window.log;
  });
  assert.equal(log.length, 6, JSON.stringify(log));
  assert.deepEqual(log.slice(0, 2), ['statechange open->offline rs=0', 'close 1001 "lost" clean rs=0']);
  assert.equal(log[2], 'statechange offline->reconnecting rs=0');
  assert.match(log[3], /^reconnecting attempt=1 delay=(\d+) rs=0$/);
  assert.ok(Number(/delay=(\d+)/.exec(log[3])[1]) <= 100, 'the online jitter is capped by maxDelay');
  assert.deepEqual(log.slice(4), ['statechange reconnecting->open rs=1', 'open rs=1']);
  assert.equal(echo.connections, 2);
  assertNoPageErrors(errors);
});

test('network: false ignores offline and online', async (t) => {
  const { page, errors, echo, context } = await setup(t, shared);
  await page.evaluate(async (url) => {
    const ws = new window.RWS(url, [], { network: false, reconnect: { minDelay: 20, maxDelay: 20, jitter: 'none' } });
    window.ws = ws;
    await window.nextEvent(ws, 'open');
    window.wentOffline = window.nextEvent(window, 'offline');
  }, echo.url);
  await setNetwork(t, context, page, false);
  await page.evaluate(() => window.wentOffline);
  await setNetwork(t, context, page, true);
  const state = await page.evaluate(() => [window.ws.readyState, window.ws.connectionState]);
  assert.deepEqual(state, [1, 'open']);
  assertNoPageErrors(errors);
});

test('pageLifecycle: pagehide closes without giving up, pageshow (persisted) reconnects and replays', async (t) => {
  const { page, errors, echo } = await setup(t, shared);
  await page.evaluate(async (url) => {
    const ws = new window.RWS(url, [], { reconnect: { minDelay: 20, maxDelay: 20, jitter: 'none' } });
    window.ws = ws;
    await window.nextEvent(ws, 'open');
    window.log = window.record(ws, window.ALL_EVENTS);
    window.dispatchEvent(new PageTransitionEvent('pagehide', { persisted: true }));
    window.log.push(`after pagehide rs=${ws.readyState} ${ws.connectionState}`);
    ws.send('while hidden');
  }, echo.url);
  await echo.waitFor((s) => s.closes.length === 1, { what: 'the close on pagehide' });
  assert.deepEqual(echo.closes, [{ code: 1000, reason: 'page hidden' }]);
  await sleep(150);
  assert.equal(
    echo.handshakes.length,
    1,
    `nothing reconnects while the page is hidden: ${JSON.stringify(await page.evaluate(() => window.log))}`,
  );

  const log = await page.evaluate(async () => {
    const ws = window.ws;
    const opened = window.nextEvent(ws, 'open');
    window.dispatchEvent(new PageTransitionEvent('pageshow', { persisted: true }));
    await opened;
    // freeze and resume work the same way.
    const reopened = window.nextEvent(ws, 'close').then(() => window.nextEvent(ws, 'open'));
    document.dispatchEvent(new Event('freeze'));
    window.log.push(`after freeze rs=${ws.readyState} ${ws.connectionState}`);
    document.dispatchEvent(new Event('resume'));
    await reopened;
    return window.log;
  });
  assert.deepEqual(log, [
    'statechange open->reconnecting rs=0',
    'close 1001 "page hidden" clean rs=0',
    'after pagehide rs=0 reconnecting',
    'reconnecting attempt=1 delay=0 rs=0',
    'statechange reconnecting->open rs=1',
    'open rs=1',
    'statechange open->reconnecting rs=0',
    'close 1001 "page hidden" clean rs=0',
    'after freeze rs=0 reconnecting',
    'reconnecting attempt=1 delay=0 rs=0',
    'statechange reconnecting->open rs=1',
    'open rs=1',
  ]);
  await echo.waitFor((s) => s.received.length === 1, { what: 'the replayed message' });
  assert.deepEqual(echo.received, ['while hidden']);
  // (No maxOpen check here: resume reconnects at once, so the server may accept the new connection
  // before it has processed the close frame of the old one.)
  assert.equal(echo.connections, 3);
  assertNoPageErrors(errors);
});

test('pageLifecycle: false ignores pagehide and freeze', async (t) => {
  const { page, errors, echo } = await setup(t, shared);
  const state = await page.evaluate(async (url) => {
    const ws = new window.RWS(url, [], { pageLifecycle: false });
    await window.nextEvent(ws, 'open');
    window.dispatchEvent(new PageTransitionEvent('pagehide', { persisted: true }));
    document.dispatchEvent(new Event('freeze'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    return [ws.readyState, ws.connectionState];
  }, echo.url);
  assert.deepEqual(state, [1, 'open']);
  assert.deepEqual(echo.closes, []);
  assertNoPageErrors(errors);
});

test('a heartbeat deadline that passes while hidden is re-probed on becoming visible before it counts', async (t) => {
  const { page, errors, echo } = await setup(t, shared, { reply: (m) => (m === 'ping' ? null : undefined) });
  const result = await page.evaluate(async (url) => {
    let hidden = false;
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => hidden });
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (hidden ? 'hidden' : 'visible') });
    const setHidden = (value) => {
      hidden = value;
      document.dispatchEvent(new Event('visibilitychange'));
    };
    const ws = new window.RWS(url, [], { heartbeat: { interval: 40, timeout: 60 }, reconnect: { minDelay: 5000, maxDelay: 5000 } });
    const log = window.record(ws, ['open', 'close']);
    await window.nextEvent(ws, 'open');
    setHidden(true);
    // Well past interval + timeout: hidden, so not dead.
    await new Promise((resolve) => setTimeout(resolve, 250));
    log.push(`hidden rs=${ws.readyState}`);
    const visibleAt = performance.now();
    const closed = window.nextEvent(ws, 'close', 2000);
    setHidden(false);
    await closed;
    return { log, deadAfterVisible: performance.now() - visibleAt };
  }, echo.url);
  assert.deepEqual(result.log, ['open rs=1', 'hidden rs=1', 'close 4000 "heartbeat timeout" unclean rs=0']);
  assert.ok(result.deadAfterVisible >= 55, `a fresh probe with the full timeout (${result.deadAfterVisible} ms)`);
  assert.deepEqual(echo.received, ['ping', 'ping'], 'the second ping is the re-probe on becoming visible');
  assertNoPageErrors(errors);
});

test('a WebSocket subclass whose methods call back into the instance works (no borrow held)', async (t) => {
  const { page, errors, echo } = await setup(t, shared, { handleProtocols: () => 'chat' });
  const result = await page.evaluate(async (url) => {
    const seen = [];
    const look = (where) => {
      const ws = window.ws;
      if (ws) seen.push(`${where}: rs=${ws.readyState} ${ws.connectionState} buffered=${ws.bufferedAmount} binaryType=${ws.binaryType}`);
    };
    class Reentrant extends WebSocket {
      send(data) {
        look(`send ${data}`);
        super.send(data);
      }
      close(code, reason) {
        look(`close ${code}`);
        super.close(code, reason);
      }
      get protocol() {
        look('protocol');
        return super.protocol;
      }
      get bufferedAmount() {
        return super.bufferedAmount;
      }
      set binaryType(value) {
        look(`binaryType ${value}`);
        super.binaryType = value;
      }
      get binaryType() {
        return super.binaryType;
      }
    }
    const ws = new window.RWS(url, ['chat'], { WebSocket: Reentrant, heartbeat: { interval: 30, timeout: 1000 } });
    window.ws = ws;
    ws.send('queued');
    await window.nextEvent(ws, 'open');
    await window.nextEvent(ws, 'heartbeat', 2000);
    ws.binaryType = 'arraybuffer';
    const closed = window.nextEvent(ws, 'close');
    ws.close(1000);
    await closed;
    return { seen, protocol: ws.protocol, rs: ws.readyState };
  }, echo.url);
  // (The first binaryType assignment runs inside the constructor, before window.ws exists.)
  assert.deepEqual(result.seen, [
    'protocol: rs=0 connecting buffered=6 binaryType=blob',
    'send queued: rs=1 open buffered=0 binaryType=blob',
    'send ping: rs=1 open buffered=0 binaryType=blob',
    'binaryType arraybuffer: rs=1 open buffered=0 binaryType=arraybuffer',
    'close 1000: rs=2 closing buffered=0 binaryType=arraybuffer',
  ]);
  assert.deepEqual([result.protocol, result.rs], ['chat', 3]);
  assertNoPageErrors(errors);
});
