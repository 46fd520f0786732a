// close(): argument validation against the native WebSocket, what reaches the server, and the
// terminal behaviour (no reconnect, CLOSED, queued messages reported by drop events).
import assert from 'node:assert/strict';
import { assertNoPageErrors, setup, sleep, test, useBrowser } from './helpers.js';

const shared = useBrowser();

test('close() validates code and reason exactly as the native close()', async (t) => {
  const { page, errors, echo } = await setup(t, shared);
  // Each entry is the argument list, as an expression evaluated in the page.
  const cases = [
    ['999', 'InvalidAccessError'],
    ['1001', 'InvalidAccessError'],
    ['1005', 'InvalidAccessError'],
    ['2999', 'InvalidAccessError'],
    ['5000', 'InvalidAccessError'],
    ['0', 'InvalidAccessError'],
    ['NaN', 'InvalidAccessError'],
    ['null', 'InvalidAccessError'],
    ['-1', 'InvalidAccessError'],
    ['65536 + 1000', 'InvalidAccessError'],
    ['1000', 'ok'],
    ['3000', 'ok'],
    ['4999', 'ok'],
    ["'1000'", 'ok'],
    ['1000.4', 'ok'],
    ['999.4', 'InvalidAccessError'],
    ['undefined', 'ok'],
    ['', 'ok'],
    // The reason: at most 123 UTF-8 bytes, multi-byte characters counted by their bytes.
    ["1000, 'a'.repeat(123)", 'ok'],
    ["1000, 'a'.repeat(124)", 'SyntaxError'],
    ["1000, 'é'.repeat(61) + 'a'", 'ok'],
    ["1000, 'é'.repeat(62)", 'SyntaxError'],
    ["1000, '😀'.repeat(30) + 'abc'", 'ok'],
    ["1000, '😀'.repeat(31)", 'SyntaxError'],
    ["1000, '€'.repeat(41)", 'ok'],
    ["1000, '€'.repeat(41) + 'a'", 'SyntaxError'],
    // A lone surrogate is sent as U+FFFD, 3 bytes.
    ["1000, '\\uD800'.repeat(41)", 'ok'],
    ["1000, '\\uD800'.repeat(41) + 'a'", 'SyntaxError'],
    // The code is checked first.
    ["999, 'x'.repeat(124)", 'InvalidAccessError'],
  ];
  const results = await page.evaluate(
    ({ url, cases }) => {
      const attempt = (target, args) => {
        try {
          target.close(...args);
          return 'ok';
        } catch (error) {
          return error instanceof DOMException ? error.name : `not a DOMException: ${error}`;
        }
      };
      return cases.map(([expression]) => {
        const args = (0, eval)(`[${expression}]`);
        const ours = attempt(new window.RWS(url, [], { startClosed: true }), args);
        const native = attempt(new WebSocket(url), args);
        return { ours, native };
      });
    },
    { url: echo.url, cases },
  );
  for (const [i, [expression, want]] of cases.entries()) {
    assert.deepEqual(results[i], { ours: want, native: want }, `close(${expression})`);
  }

  // Where Chromium departs from the specification, the specification (and Firefox) is followed: a
  // fractional code is rounded as WebIDL's [Clamp] says (to the nearest integer, ties to even) where
  // Chromium truncates, and an undefined code is a missing one (so the reason is checked, and a
  // valid one is accepted) where Chromium converts it to 0 and throws InvalidAccessError.
  const specified = await page.evaluate(
    (url) =>
      [[999.6], [2999.5], [4999.5], [4998.5], [undefined, 'x'.repeat(124)], [undefined, 'fine']].map((args) => {
        try {
          new window.RWS(url, [], { startClosed: true }).close(...args);
          return 'ok';
        } catch (error) {
          return error.name;
        }
      }),
    echo.url,
  );
  assert.deepEqual(specified, ['ok', 'ok', 'InvalidAccessError', 'ok', 'SyntaxError', 'ok']);
  assertNoPageErrors(errors);
});

test('the code and reason of close() reach the server and come back in the close event', async (t) => {
  const { page, errors, echo } = await setup(t, shared);
  const result = await page.evaluate(async (url) => {
    const events = [];
    for (const [code, reason] of [[4999, 'bye ✓'], [3000, ''], [1000, 'é'.repeat(61) + 'a']]) {
      const ws = new window.RWS(url);
      await window.nextEvent(ws, 'open');
      const closing = window.nextEvent(ws, 'close');
      ws.close(code, reason);
      const again = (() => {
        try {
          ws.close(4000, 'twice');
          return 'no-op';
        } catch (error) {
          return error.name;
        }
      })();
      const event = await closing;
      events.push([event.code, event.reason, event.wasClean, ws.readyState, again]);
    }
    return events;
  }, echo.url);
  const long = 'é'.repeat(61) + 'a';
  assert.deepEqual(result, [
    [4999, 'bye ✓', true, 3, 'no-op'],
    [3000, '', true, 3, 'no-op'],
    [1000, long, true, 3, 'no-op'],
  ]);
  await echo.waitFor((s) => s.closes.length === 3, { what: 'three closes' });
  assert.deepEqual(echo.closes, [
    { code: 4999, reason: 'bye ✓' },
    { code: 3000, reason: '' },
    { code: 1000, reason: long },
  ]);
  assertNoPageErrors(errors);
});

test('close() is terminal: CLOSED, no reconnect, each queued message reported by a drop event', async (t) => {
  const { page, errors, echo } = await setup(t, shared);
  // Refused handshakes keep the instance in its reconnect cycle with messages queued.
  echo.refuse = 503;
  const result = await page.evaluate(async (url) => {
    const ws = new window.RWS(url, [], { reconnect: { minDelay: 40, maxDelay: 40, jitter: 'none' } });
    window.ws = ws;
    const log = window.record(ws, window.ALL_EVENTS);
    ws.send('one');
    ws.send(new Uint8Array([1, 2]));
    await window.nextEvent(ws, 'reconnecting');
    ws.send('three');
    log.push(`close() from ${ws.connectionState} bufferedAmount=${ws.bufferedAmount}`);
    ws.close(4000, 'done');
    log.push(`after close() rs=${ws.readyState} ${ws.connectionState} bufferedAmount=${ws.bufferedAmount}`);
    return log;
  }, echo.url);
  assert.deepEqual(result, [
    'error rs=0',
    'statechange connecting->reconnecting rs=0',
    'close 1006 "" unclean rs=0',
    'reconnecting attempt=1 delay=40 rs=0',
    'close() from reconnecting bufferedAmount=10',
    'statechange reconnecting->closed rs=3',
    'close 4000 "done" clean rs=3',
    'drop "one" closed',
    'drop Uint8Array(2) closed',
    'drop "three" closed',
    'after close() rs=3 closed bufferedAmount=0',
  ]);
  // No attempt follows, however long the backoff would have been, nor on the browser events that
  // reconnect a live instance (its listeners are gone).
  const handshakes = echo.handshakes.length;
  echo.refuse = 0;
  await page.evaluate(() => {
    window.dispatchEvent(new Event('online'));
    window.dispatchEvent(new PageTransitionEvent('pageshow', { persisted: true }));
    document.dispatchEvent(new Event('resume'));
  });
  await sleep(200);
  assert.equal(echo.handshakes.length, handshakes, 'no reconnect after close()');
  const after = await page.evaluate(() => ({
    rs: window.ws.readyState,
    stats: window.ws.stats,
    send: (() => {
      try {
        window.ws.send('x');
        return 'sent';
      } catch (error) {
        return error.name;
      }
    })(),
  }));
  assert.deepEqual(after, {
    rs: 3,
    send: 'InvalidStateError',
    stats: { ...after.stats, dropped: 3, queued: 0, queuedBytes: 0, replayed: 0 },
  });
  assertNoPageErrors(errors, { failedConnections: true });
});

test('close() while the first handshake runs fails the connection with the events a native socket fires', async (t) => {
  const { page, errors, echo } = await setup(t, shared);
  const result = await page.evaluate(async (url) => {
    const run = async (ws) => {
      const log = window.record(ws, ['open', 'error', 'close', 'drop']);
      if (ws instanceof window.RWS) ws.send('queued');
      ws.close(1000, 'never mind');
      log.push(`after close() rs=${ws.readyState}`);
      await window.nextEvent(ws, 'close');
      return log;
    };
    return { ours: await run(new window.RWS(url)), native: await run(new WebSocket(url)) };
  }, echo.url);
  assert.deepEqual(result.native, ['after close() rs=2', 'error rs=3', 'close 1006 "" unclean rs=3']);
  // The queue is dropped by close() itself, so its drop events come first.
  assert.deepEqual(result.ours, ['drop "queued" closed', 'after close() rs=2', 'error rs=3', 'close 1006 "" unclean rs=3']);
  assertNoPageErrors(errors);
});
