// The on* attributes with HTML event-handler semantics (checked against the native WebSocket with
// the same script), and handlers that call back into the instance: send() in onmessage, close() in
// onopen, reconnect() in onclose, send() in onopen before the replay, without exceptions and with
// every listener of one event running before the next event.
import assert from 'node:assert/strict';
import { assertNoPageErrors, setup, test, useBrowser } from './helpers.js';

const shared = useBrowser();

test('on* attributes: registration order, reassignment in place, null removes, as native', async (t) => {
  const { page, errors } = await setup(t, shared);
  const result = await page.evaluate(() => {
    const script = (ws) => {
      const log = [];
      const fire = (type) => ws.dispatchEvent(new Event(type));
      const first = () => log.push('first listener');
      ws.addEventListener('open', first);
      const h1 = function (e) {
        log.push(`h1 this=${this === ws} target=${e.target === ws}`);
      };
      ws.onopen = h1;
      ws.addEventListener('open', () => log.push('last listener'));
      const got = [ws.onopen === h1];
      fire('open');
      log.push('--');
      // Reassignment keeps the handler's position between the two listeners.
      ws.onopen = () => log.push('h2');
      fire('open');
      log.push('--');
      // null removes it; a later assignment appends it after every existing listener.
      ws.onopen = null;
      got.push(ws.onopen);
      fire('open');
      log.push('--');
      const h3 = () => log.push('h3');
      ws.onopen = h3;
      got.push(ws.onopen === h3);
      fire('open');
      log.push('--');
      // A non-callable value is treated as null.
      ws.onopen = 'not a function';
      got.push(ws.onopen);
      fire('open');
      log.push('--');
      // Each attribute is its own: onmessage, onerror, onclose.
      for (const type of ['message', 'error', 'close']) {
        ws[`on${type}`] = (e) => log.push(`on${type} ${e.type}`);
        got.push(typeof ws[`on${type}`]);
        fire(type);
        ws[`on${type}`] = undefined;
        got.push(ws[`on${type}`]);
        fire(type);
      }
      ws.removeEventListener('open', first);
      fire('open');
      return { log, got, initial: [new ws.constructor('ws://127.0.0.1:9/').onclose] };
    };
    const native = new WebSocket('ws://127.0.0.1:9/');
    const ours = new window.RWS('ws://127.0.0.1:9/', [], { startClosed: true });
    const results = { native: script(native), ours: script(ours) };
    return results;
  });
  assert.deepEqual(result.ours, result.native);
  assert.deepEqual(result.ours.log, [
    'first listener',
    'h1 this=true target=true',
    'last listener',
    '--',
    'first listener',
    'h2',
    'last listener',
    '--',
    'first listener',
    'last listener',
    '--',
    'first listener',
    'last listener',
    'h3',
    '--',
    'first listener',
    'last listener',
    '--',
    'onmessage message',
    'onerror error',
    'onclose close',
    'last listener',
  ]);
  assert.deepEqual(result.ours.got, [true, null, true, null, 'function', null, 'function', null, 'function', null]);
  // The native socket to port 9 fails; only its console line is expected.
  assertNoPageErrors(errors, { failedConnections: true });
});

test('send() inside onmessage, close() inside onopen, reconnect() inside onclose', async (t) => {
  const { page, errors, echo } = await setup(t, shared);
  const result = await page.evaluate(async (url) => {
    // A ping-pong chain driven from onmessage.
    const chain = new window.RWS(`${url}chain`);
    const seen = [];
    const done = new Promise((resolve) => {
      chain.onmessage = (e) => {
        seen.push(e.data);
        const n = Number(e.data);
        if (n < 5) chain.send(String(n + 1));
        else resolve();
      };
    });
    chain.onopen = () => chain.send('1');
    await done;
    chain.close();

    // close() from onopen: terminal at once, with the socket's real close event after it.
    const closer = new window.RWS(`${url}closer`);
    const closerLog = window.record(closer, window.ALL_EVENTS);
    closer.onopen = () => {
      closer.close(3000, 'from onopen');
      closerLog.push(`in onopen after close() rs=${closer.readyState}`);
    };
    closer.addEventListener('open', () => closerLog.push(`second open listener rs=${closer.readyState}`));
    await window.nextEvent(closer, 'close');

    // reconnect() from onclose: a new connection at once, without waiting for the backoff.
    const phoenix = new window.RWS(`${url}phoenix`, [], { reconnect: { minDelay: 60000, maxDelay: 60000 } });
    const phoenixLog = window.record(phoenix, ['open', 'close', 'statechange']);
    let reconnected = false;
    phoenix.onclose = () => {
      if (reconnected) return;
      reconnected = true;
      phoenix.reconnect();
      phoenixLog.push(`in onclose after reconnect() rs=${phoenix.readyState} ${phoenix.connectionState}`);
      // Sent while the new attempt runs: queued, then replayed on the new connection.
      phoenix.send('from onclose');
    };
    await window.nextEvent(phoenix, 'open');
    window.phoenix = phoenix;
    window.phoenixLog = phoenixLog;
    return { seen, closerLog };
  }, echo.url);
  assert.deepEqual(result.seen, ['1', '2', '3', '4', '5']);
  assert.deepEqual(result.closerLog, [
    'statechange connecting->open rs=1',
    'open rs=1',
    'in onopen after close() rs=2',
    'second open listener rs=2',
    'statechange open->closing rs=2',
    'statechange closing->closed rs=3',
    'close 3000 "from onopen" clean rs=3',
  ]);

  // The server drops the phoenix connection: its onclose reconnects at once.
  await page.evaluate(() => {
    window.reopened = window.nextEvent(window.phoenix, 'open', 3000);
  });
  echo.closeAll(4001, 'kick');
  await page.evaluate(() => window.reopened);
  const phoenixLog = await page.evaluate(() => window.phoenixLog);
  assert.deepEqual(phoenixLog, [
    'statechange connecting->open rs=1',
    'open rs=1',
    'statechange open->reconnecting rs=0',
    'close 4001 "kick" clean rs=0',
    'in onclose after reconnect() rs=0 reconnecting',
    'statechange reconnecting->open rs=1',
    'open rs=1',
  ]);
  assert.deepEqual(echo.paths, ['/chain', '/closer', '/phoenix', '/phoenix']);
  await echo.waitFor((s) => s.received.includes('from onclose'), { what: 'the message sent in onclose' });
  assert.deepEqual(echo.received, ['1', '2', '3', '4', '5', 'from onclose']);
  assertNoPageErrors(errors);
});

test('a handler that throws is reported as native handlers are; the other listeners and the instance go on', async (t) => {
  const { page, errors, echo } = await setup(t, shared);
  const result = await page.evaluate(async (url) => {
    const run = async (ws) => {
      const log = [];
      ws.onmessage = (e) => {
        log.push(`onmessage ${e.data}`);
        throw new Error(`handler bug ${e.data}`);
      };
      ws.addEventListener('message', (e) => log.push(`listener ${e.data}`));
      await window.nextEvent(ws, 'open');
      for (const data of ['a', 'b']) {
        const echoed = window.nextEvent(ws, 'message');
        ws.send(data);
        await echoed;
      }
      const closed = window.nextEvent(ws, 'close');
      ws.close(1000);
      await closed;
      return log;
    };
    const reported = [];
    window.addEventListener('error', (e) => reported.push(e.error.message));
    return { ours: await run(new window.RWS(url)), native: await run(new WebSocket(url)), reported };
  }, echo.url);
  assert.deepEqual(result.ours, ['onmessage a', 'listener a', 'onmessage b', 'listener b']);
  assert.deepEqual(result.ours, result.native);
  assert.deepEqual(result.reported, ['handler bug a', 'handler bug b', 'handler bug a', 'handler bug b']);
  assert.equal(errors.length, 4);
  assert.ok(errors.every((e) => /handler bug/.test(e)));
});

test('every listener of one event runs before the next event, whatever a handler calls', async (t) => {
  const { page, errors, echo } = await setup(t, shared);
  const log = await page.evaluate(async (url) => {
    const ws = new window.RWS(url);
    const log = [];
    ws.addEventListener('statechange', (e) => {
      log.push(`statechange A ${e.to}`);
      // A send from the first listener must not dispatch 'open' before listener B ran.
      if (e.to === 'open') ws.send('from A');
    });
    ws.addEventListener('statechange', (e) => log.push(`statechange B ${e.to}`));
    ws.addEventListener('open', () => log.push('open'));
    ws.addEventListener('message', (e) => {
      log.push(`message ${e.data}`);
      if (e.data === 'from A') {
        // close() from a message listener: the next listener still sees this message first.
        ws.close(1000);
        log.push(`after close() rs=${ws.readyState}`);
      }
    });
    ws.addEventListener('message', (e) => log.push(`message 2nd listener ${e.data} rs=${ws.readyState}`));
    ws.addEventListener('close', (e) => log.push(`close ${e.code}`));
    await window.nextEvent(ws, 'close');
    return log;
  }, echo.url);
  assert.deepEqual(log, [
    'statechange A open',
    'statechange B open',
    'open',
    'message from A',
    'after close() rs=2',
    'message 2nd listener from A rs=2',
    'statechange A closing',
    'statechange B closing',
    'statechange A closed',
    'statechange B closed',
    'close 1000',
  ]);
  assertNoPageErrors(errors);
});
