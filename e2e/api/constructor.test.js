// The constructor: URL resolution and every error it throws, with the browser's own WebSocket as the
// reference for the exception names, and a TypeError naming the option for every bad option.
import assert from 'node:assert/strict';
import { assertNoPageErrors, setup, test, useBrowser } from './helpers.js';

const shared = useBrowser();

/**
 * Runs `new ResilientWebSocket(...args)` and `new WebSocket(...args)` in the page for every case and
 * returns what each did: `{ name, message }` of the exception, or `{ url }` when it constructed (the
 * instance is closed at once; ours is built with startClosed so it never connects).
 */
function constructBoth(page, cases) {
  return page.evaluate((cases) => {
    const attempt = (construct) => {
      try {
        const ws = construct();
        const url = ws.url;
        ws.close();
        return { url };
      } catch (error) {
        return { name: error.name, message: error.message, isDOMException: error instanceof DOMException };
      }
    };
    return cases.map(({ args, native = true }) => ({
      ours: attempt(() => {
        // The third argument is ours only; startClosed keeps valid URLs from connecting anywhere.
        const [url, protocols] = args;
        return args.length === 0 ? new window.RWS() : new window.RWS(url, protocols, { startClosed: true });
      }),
      native: native ? attempt(() => new WebSocket(...args)) : null,
    }));
  }, cases);
}

test('invalid URLs and protocols throw what the native constructor throws', async (t) => {
  const { page, errors, echo } = await setup(t, shared);
  const host = `127.0.0.1:${echo.port}`;
  const cases = [
    // Unparsable URLs.
    { args: ['ws://[::1'], want: 'SyntaxError' },
    { args: ['http://'], want: 'SyntaxError' },
    { args: ['ws://a<b/'], want: 'SyntaxError' },
    // Schemes other than ws/wss/http/https.
    { args: [`ftp://${host}/`], want: 'SyntaxError' },
    { args: ['file:///etc/hosts'], want: 'SyntaxError' },
    { args: ['javascript:alert(1)'], want: 'SyntaxError' },
    { args: ['data:text/plain,hello'], want: 'SyntaxError' },
    { args: ['blob:null/1234'], want: 'SyntaxError' },
    // Fragments, even empty ones, and a relative fragment that resolves against the page.
    { args: [`ws://${host}/#`], want: 'SyntaxError' },
    { args: [`ws://${host}/path#x`], want: 'SyntaxError' },
    { args: ['#x'], want: 'SyntaxError' },
    { args: [`http://${host}/#frag`], want: 'SyntaxError' },
    // Invalid protocol tokens.
    { args: [`ws://${host}/`, ''], want: 'SyntaxError' },
    { args: [`ws://${host}/`, ['']], want: 'SyntaxError' },
    { args: [`ws://${host}/`, ['chat room']], want: 'SyntaxError' },
    { args: [`ws://${host}/`, 'a,b'], want: 'SyntaxError' },
    { args: [`ws://${host}/`, ['chät']], want: 'SyntaxError' },
    { args: [`ws://${host}/`, ['v1', 'x(y)']], want: 'SyntaxError' },
    { args: [`ws://${host}/`, ['a\u0000b']], want: 'SyntaxError' },
    // Duplicate protocols.
    { args: [`ws://${host}/`, ['chat', 'chat']], want: 'SyntaxError' },
    { args: [`ws://${host}/`, ['v1', 'v2', 'v1']], want: 'SyntaxError' },
    // No argument at all: a TypeError, as for every WebIDL constructor with a required argument.
    { args: [], want: 'TypeError' },
  ];
  const results = await constructBoth(page, cases);
  assert.equal(results.length, cases.length);
  for (const [i, { args, want }] of cases.entries()) {
    const { ours, native } = results[i];
    const label = `new ResilientWebSocket(${args.map((a) => JSON.stringify(a)).join(', ')})`;
    assert.equal(ours.name, want, `${label} throws ${want}; got ${JSON.stringify(ours)}`);
    assert.equal(ours.name, native.name, `${label}: same exception as the native constructor`);
    assert.equal(ours.isDOMException, native.isDOMException, `${label}: DOMException exactly when native`);
  }
  assertNoPageErrors(errors);
});

test('duplicate protocols differing only in case throw a SyntaxError', async (t) => {
  // RFC 6455 asks for unique protocol names and Firefox compares them case-insensitively; Chromium's
  // native constructor compares them case-sensitively. The contract takes the stricter rule, so this
  // case is checked against the expected name, not against Chromium.
  const { page, errors, echo } = await setup(t, shared);
  const results = await constructBoth(page, [
    { args: [echo.url, ['chat', 'CHAT']], native: false },
    { args: [echo.url, ['Json', 'xml', 'JSON']], native: false },
  ]);
  assert.deepEqual(
    results.map((r) => r.ours.name),
    ['SyntaxError', 'SyntaxError'],
  );
  assertNoPageErrors(errors);
});

test('valid URLs resolve as the native constructor resolves them', async (t) => {
  const { page, errors, echo, http } = await setup(t, shared);
  const host = `127.0.0.1:${echo.port}`;
  const pageHost = new URL(http.url).host;
  const cases = [
    { args: ['/path?q=1'], want: `ws://${pageHost}/path?q=1` },
    { args: ['relative'], want: `ws://${pageHost}/e2e/pages/relative` },
    { args: [`http://${host}/feed`], want: `ws://${host}/feed` },
    { args: ['https://example.invalid/feed'], want: 'wss://example.invalid/feed' },
    { args: [`WS://${host.toUpperCase()}`], want: `ws://${host}/` },
    { args: [`ws://${host}`], want: `ws://${host}/` },
    { args: ['wss://example.invalid:443/a b'], want: 'wss://example.invalid/a%20b' },
    { args: [`ws://${host}/`, 'chat'] , want: `ws://${host}/` },
    { args: [`ws://${host}/`, ['chat', 'superchat']], want: `ws://${host}/` },
    { args: [`ws://${host}/`, []], want: `ws://${host}/` },
  ];
  const results = await constructBoth(page, cases);
  for (const [i, { args, want }] of cases.entries()) {
    const { ours, native } = results[i];
    assert.deepEqual(ours, { url: want }, `url of new ResilientWebSocket(${JSON.stringify(args)})`);
    assert.deepEqual(native, { url: want }, `url of new WebSocket(${JSON.stringify(args)})`);
  }
  // A URL object is accepted as native accepts it (stringified).
  const fromUrlObject = await page.evaluate((url) => {
    const ws = new window.RWS(new URL('/x', url), undefined, { startClosed: true });
    return ws.url;
  }, `http://${host}`);
  assert.equal(fromUrlObject, `ws://${host}/x`);
  assertNoPageErrors(errors);
});

test('every invalid option throws a TypeError naming the option', async (t) => {
  const { page, errors, echo } = await setup(t, shared);
  // [options expression, the option the message must name]
  const cases = [
    ['({ reconnect: { minDelay: -1 } })', 'reconnect.minDelay'],
    ['({ reconnect: { minDelay: NaN } })', 'reconnect.minDelay'],
    ['({ reconnect: { minDelay: Infinity } })', 'reconnect.minDelay'],
    ["({ reconnect: { minDelay: '50' } })", 'reconnect.minDelay'],
    ['({ reconnect: { minDelay: 500, maxDelay: 100 } })', 'reconnect.maxDelay'],
    ['({ reconnect: { factor: 0.5 } })', 'reconnect.factor'],
    ["({ reconnect: { jitter: 'some' } })", 'reconnect.jitter'],
    ['({ reconnect: { jitter: 1.5 } })', 'reconnect.jitter'],
    ['({ reconnect: { jitter: -0.1 } })', 'reconnect.jitter'],
    ['({ reconnect: { maxRetries: -1 } })', 'reconnect.maxRetries'],
    ['({ reconnect: { maxRetries: 1.5 } })', 'reconnect.maxRetries'],
    ['({ reconnect: { connectTimeout: 0 } })', 'reconnect.connectTimeout'],
    ['({ reconnect: { minUptime: -5 } })', 'reconnect.minUptime'],
    ['({ reconnect: { shouldReconnect: 1 } })', 'reconnect.shouldReconnect'],
    ['({ reconnect: 5 })', 'reconnect'],
    ['({ heartbeat: { interval: 0 } })', 'heartbeat.interval'],
    ['({ heartbeat: { timeout: -1 } })', 'heartbeat.timeout'],
    ['({ heartbeat: 5 })', 'heartbeat'],
    ['({ heartbeat: { pong: 5 } })', 'heartbeat.pong'],
    ["({ buffer: { overflow: 'x' } })", 'buffer.overflow'],
    ['({ buffer: { maxMessages: -1 } })', 'buffer.maxMessages'],
    ['({ buffer: { maxBytes: 0.5 } })', 'buffer.maxBytes'],
    ['({ buffer: { ttl: -1 } })', 'buffer.ttl'],
    ["({ buffer: 'big' })", 'buffer'],
    ['5', 'options'],
    ["'fast'", 'options'],
    ["({ WebSocket: 'not a function' })", 'WebSocket'],
  ];
  const results = await page.evaluate(
    ({ url, cases }) =>
      cases.map(([expression]) => {
        const options = (0, eval)(expression);
        try {
          new window.RWS(url, [], options);
          return { constructed: true };
        } catch (error) {
          return { name: error.name, message: error.message, isTypeError: error instanceof TypeError };
        }
      }),
    { url: echo.url, cases },
  );
  for (const [i, [expression, option]] of cases.entries()) {
    const result = results[i];
    assert.equal(result.isTypeError, true, `${expression} throws a TypeError; got ${JSON.stringify(result)}`);
    assert.ok(
      result.message.startsWith(`${option} must be `),
      `the message for ${expression} names ${option} and the accepted range: ${result.message}`,
    );
  }
  // Nothing connected: every construction threw before a socket existed.
  assert.equal(echo.handshakes.length, 0);
  assertNoPageErrors(errors);
});

test('valid options of every kind are accepted', async (t) => {
  const { page, errors, echo } = await setup(t, shared);
  const result = await page.evaluate(async (url) => {
    const options = {
      reconnect: {
        minDelay: 0,
        maxDelay: 0,
        factor: 1,
        jitter: 0.25,
        maxRetries: Infinity,
        connectTimeout: 1.5,
        minUptime: 0,
        shouldReconnect: () => true,
      },
      heartbeat: { interval: 1000, timeout: 1000, message: new Uint8Array([1]), pong: (d) => d === 'pong', exposePongs: true },
      buffer: { maxMessages: Infinity, maxBytes: 0, overflow: 'drop-oldest', ttl: Infinity, replay: (d) => true },
      network: false,
      pageLifecycle: false,
      startClosed: true,
      WebSocket,
      debug: () => {},
    };
    const results = [];
    for (const opts of [options, undefined, null, {}, { heartbeat: true }, { heartbeat: false }, { reconnect: { jitter: 'decorrelated' } }]) {
      const ws = new window.RWS(url, [], { ...opts, startClosed: true });
      results.push([ws.readyState, ws.connectionState]);
    }
    return results;
  }, echo.url);
  assert.deepEqual(result, Array(7).fill([3, 'closed']));
  assert.equal(echo.handshakes.length, 0, 'startClosed: nothing connected');
  assertNoPageErrors(errors);
});
