// The constructor's argument checks of js/options.js, run in Node (no browser: they are pure JS over
// URL, DOMException and TypeError): the URL and subprotocol rules, every option's range, and the
// numbers handed to the driver at the slots of js/abi.js (src/web/abi.rs). The browser tests
// (constructor.test.js) check the same errors through the class, against the native WebSocket.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as abi from '../../js/abi.js';
import { checkProtocols, readOptions, resolveUrl } from '../../js/options.js';

const { OPTION_DELIVERY: DELIVERY, OPTION_HEARTBEAT: HEARTBEAT, OPTION_JITTER: JITTER } = abi;

/**
 * The options array as an object keyed by the options' names (`OPTION_NAMES`), so that a test
 * states what it expects of each option rather than of a position.
 * @param {Float64Array} config
 */
const byName = (config) => Object.fromEntries(abi.OPTION_NAMES.map((name, slot) => [name, config[slot]]));

const DEFAULT_DELAYS = /** @type {[number, number]} */ ([1000, 30000]);
/** The environment's WebSocket, where the option does not name one (Node 20 has none). */
class GlobalSocket {}
/** As the share build's class reads them (both delivery modes and `share`). */
const read = (options) => readOptions(options, DEFAULT_DELAYS, true, true);
/** The message of the TypeError that `options` throws. */
function refusal(options) {
  try {
    read(options);
  } catch (error) {
    assert.ok(error instanceof TypeError, `a TypeError for ${JSON.stringify(options)}`);
    return error.message;
  }
  assert.fail(`${JSON.stringify(options)} was accepted`);
}

/** @param {() => unknown} run */
function syntaxError(run) {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof DOMException);
    assert.equal(error.name, 'SyntaxError');
    return error.message;
  }
  assert.fail('no SyntaxError');
}

test('URLs: http(s) maps to ws(s); other schemes, fragments and unparsable URLs are refused', () => {
  assert.equal(resolveUrl('ws://a.example/x?y=1'), 'ws://a.example/x?y=1');
  assert.equal(resolveUrl('wss://a.example'), 'wss://a.example/');
  assert.equal(resolveUrl('http://a.example:8080/p'), 'ws://a.example:8080/p');
  assert.equal(resolveUrl('HTTPS://a.example/'), 'wss://a.example/');
  for (const url of ['ftp://a.example/', 'file:///tmp/x', 'javascript:alert(1)', 'data:text/plain,x']) {
    assert.equal(syntaxError(() => resolveUrl(url)), "The URL's scheme must be 'ws', 'wss', 'http' or 'https'.", url);
  }
  assert.equal(syntaxError(() => resolveUrl('wss://a.example/#')), 'The URL contains a fragment identifier.');
  assert.equal(syntaxError(() => resolveUrl('https://a.example/p#top')), 'The URL contains a fragment identifier.');
  // Node has no document base: a relative URL cannot be resolved.
  for (const url of ['a.example/ws', '', 'ws://[::1']) {
    assert.equal(syntaxError(() => resolveUrl(url)), 'The URL is invalid.', url);
  }
});

test('subprotocols must be distinct tokens', () => {
  checkProtocols([]);
  checkProtocols(['chat', 'v2.json', "a-b_c~!#$%&'*+^`|"]);
  for (const bad of ['', 'a b', 'a,b', 'a/b', 'a"b', 'é', 'a\tb', '{x}', 'a=b', 'a\u007f']) {
    assert.equal(syntaxError(() => checkProtocols([bad])), 'A subprotocol is not a valid token.', JSON.stringify(bad));
  }
  assert.equal(syntaxError(() => checkProtocols(['chat', 'Chat'])), 'A subprotocol is specified more than once.');
  assert.equal(syntaxError(() => checkProtocols(['a', 'b', 'a'])), 'A subprotocol is specified more than once.');
});

test('without a global WebSocket, the WebSocket option is required', () => {
  const saved = globalThis.WebSocket;
  delete globalThis.WebSocket;
  try {
    assert.equal(refusal({}), 'WebSocket must be a WebSocket constructor (this environment has no global WebSocket)');
    assert.equal(read({ WebSocket: GlobalSocket }).hooks[4], GlobalSocket);
  } finally {
    globalThis.WebSocket = saved ?? GlobalSocket;
  }
});

test('absent options are NaN and absent hooks undefined: the driver applies the defaults (src/machine/config.rs)', () => {
  for (const options of [undefined, null, {}]) {
    const { config, hooks } = read(options);
    assert.equal(config.length, abi.OPTION_COUNT);
    assert.ok(config.every(Number.isNaN), `all defaults for ${options}`);
    assert.deepEqual(hooks.slice(0, abi.HOOK_WEB_SOCKET), [undefined, undefined, undefined, undefined]);
    assert.equal(hooks[abi.HOOK_WEB_SOCKET], globalThis.WebSocket);
  }
});

test('valid options are flattened in the driver order; milliseconds round up', () => {
  const shouldReconnect = () => true;
  const filter = () => true;
  const message = () => 'hb';
  class FakeSocket {}
  const { config, hooks } = read({
    reconnect: { minDelay: 0, maxDelay: 0.5, factor: 1, jitter: 1, firstDelay: 250.5, firstJitter: 0.5, maxRetries: Infinity, connectTimeout: 1.5, minUptime: 0, shouldReconnect },
    heartbeat: { interval: 1000, timeout: 199.1, message, pong: 'PONG', exposePongs: 1 },
    buffer: { maxMessages: 0, maxBytes: Infinity, overflow: 'drop-newest', ttl: 1.5, replay: filter },
    network: false,
    pageLifecycle: 0,
    startClosed: 'yes',
    delivery: 'acked',
    ackInterval: 20,
    WebSocket: FakeSocket,
  });
  assert.deepEqual(byName(config), {
    minDelay: 0,
    maxDelay: 1,
    factor: 1,
    jitter: 1,
    firstDelay: 251,
    firstJitter: 0.5,
    maxRetries: Infinity,
    connectTimeout: 2,
    minUptime: 0,
    heartbeat: 1,
    interval: 1000,
    timeout: 200,
    maxMessages: 0,
    maxBytes: Infinity,
    overflow: abi.OVERFLOW_DROP_NEWEST,
    ttl: 2,
    replay: 1,
    network: 0,
    pageLifecycle: 0,
    startClosed: 1,
    delivery: abi.DELIVERY_ACKED,
    ackInterval: 20,
    exposePongs: 1,
  });
  assert.equal(hooks[abi.HOOK_SHOULD_RECONNECT], shouldReconnect);
  assert.equal(hooks[abi.HOOK_HEARTBEAT_MESSAGE], message);
  assert.equal(hooks[abi.HOOK_HEARTBEAT_PONG], 'PONG');
  assert.equal(hooks[abi.HOOK_REPLAY_FILTER], filter);
  assert.equal(hooks[abi.HOOK_WEB_SOCKET], FakeSocket);
  // A jitter name is coded as -1 - its number.
  const jitters = ['full', 'equal', 'decorrelated', 'none'].map((jitter) => read({ reconnect: { jitter } }).config[JITTER]);
  assert.deepEqual(jitters, [abi.JITTER_FULL, abi.JITTER_EQUAL, abi.JITTER_DECORRELATED, abi.JITTER_NONE].map((n) => -1 - n));
  assert.equal(read({ heartbeat: true }).config[HEARTBEAT], 1);
  assert.equal(read({ heartbeat: false }).config[HEARTBEAT], 0);
  const buffer = byName(read({ buffer: { ttl: Infinity, replay: false, overflow: 'throw' } }).config);
  assert.deepEqual([buffer.overflow, buffer.ttl, buffer.replay], [abi.OVERFLOW_THROW, Infinity, 0]);
  assert.equal(read({ delivery: 'plain' }).config[DELIVERY], abi.DELIVERY_PLAIN);
});

test("delivery: 'acked' given to the plain build is a TypeError that names the entry to import", () => {
  assert.throws(
    () => readOptions({ delivery: 'acked' }, DEFAULT_DELAYS, false),
    (error) => error instanceof TypeError && error.message.includes("import { ResilientWebSocket } from 'resilient-websocket/acked'"),
  );
  assert.equal(readOptions({ delivery: 'plain' }, DEFAULT_DELAYS, false).config[DELIVERY], abi.DELIVERY_PLAIN);
  // An invalid value is still reported as invalid, not as a matter of builds.
  assert.throws(() => readOptions({ delivery: 'exactly-once' }, DEFAULT_DELAYS, false), /delivery must be 'plain' or 'acked'/);
});

test("share: true is the group of the URL and protocols alone (key ''), a string names a group, false or left out is no sharing", () => {
  assert.equal(read({}).share, null);
  assert.equal(read({ share: false }).share, null);
  assert.equal(read({ share: true }).share, '');
  assert.equal(read({ share: 'chat' }).share, 'chat');
  for (const share of [1, {}, null]) {
    assert.throws(() => read({ share }), (error) => error instanceof TypeError && /share must be a boolean or a string/.test(error.message), `share: ${JSON.stringify(share)}`);
  }
});

test('share given to a build without it (the default and acked entries) is a TypeError that names the entry to import', () => {
  for (const acked of [false, true]) {
    assert.throws(
      () => readOptions({ share: true }, DEFAULT_DELAYS, acked, false),
      (error) => error instanceof TypeError && error.message.includes("import { ResilientWebSocket } from 'resilient-websocket/share'"),
    );
    assert.equal(readOptions({ share: false }, DEFAULT_DELAYS, acked, false).share, null);
  }
});

test('firstDelay: null is coded as -1, and so is firstDelay left out beside a minDelay or jitter of ones own', () => {
  const firstDelay = (reconnect) => byName(read({ reconnect }).config).firstDelay;
  assert.ok(Number.isNaN(firstDelay({})), 'left out: the default (src/machine/config.rs)');
  assert.ok(Number.isNaN(firstDelay({ maxDelay: 60000, factor: 2, maxRetries: 3 })), 'the rest of the schedule leaves it at its default');
  assert.equal(firstDelay({ firstDelay: null }), -1);
  assert.equal(firstDelay({ minDelay: 500 }), -1);
  assert.equal(firstDelay({ jitter: 'none' }), -1);
  assert.equal(firstDelay({ minDelay: 500, firstDelay: 0 }), 0);
  assert.equal(firstDelay({ jitter: 0.5, firstDelay: 99.5 }), 100);
});

test('every invalid option is a TypeError naming the option and the accepted range', () => {
  const cases = [
    [5, 'options must be an object'],
    ['fast', 'options must be an object'],
    [() => {}, 'options must be an object'],
    [{ reconnect: 5 }, 'reconnect must be an object'],
    [{ reconnect: { minDelay: 40000 } }, 'reconnect.maxDelay must be a finite number >= reconnect.minDelay'],
    [{ reconnect: { maxDelay: 999 } }, 'reconnect.maxDelay must be a finite number >= reconnect.minDelay'],
    [{ reconnect: { minDelay: 5000, maxDelay: 4000, factor: 0 } }, 'reconnect.maxDelay must be a finite number >= reconnect.minDelay'],
    [{ reconnect: { shouldReconnect: 1 } }, 'reconnect.shouldReconnect must be a function'],
    [{ heartbeat: 5 }, 'heartbeat must be a boolean or an object'],
    [{ heartbeat: null }, 'heartbeat must be a boolean or an object'],
    [{ heartbeat: { pong: 5 } }, 'heartbeat.pong must be a string or a function'],
    [{ heartbeat: { pong: null } }, 'heartbeat.pong must be a string or a function'],
    [{ buffer: 'big' }, 'buffer must be an object'],
    [{ buffer: { overflow: 'drop' } }, "buffer.overflow must be 'throw', 'drop-oldest' or 'drop-newest'"],
    [{ WebSocket: 'not a function' }, 'WebSocket must be a function'],
    [{ delivery: 'exactly-once' }, "delivery must be 'plain' or 'acked'"],
    [{ delivery: 'acked', ackInterval: 0 }, 'ackInterval must be a finite number > 0'],
  ];
  for (const bad of [NaN, -1, Infinity, -Infinity, '50', null]) {
    cases.push([{ reconnect: { minDelay: bad } }, 'reconnect.minDelay must be a finite number >= 0']);
    cases.push([{ reconnect: { minUptime: bad } }, 'reconnect.minUptime must be a finite number >= 0']);
  }
  for (const bad of [0.99, NaN, Infinity, -2]) cases.push([{ reconnect: { factor: bad } }, 'reconnect.factor must be a finite number >= 1']);
  for (const bad of [NaN, -1, Infinity, '50', false]) cases.push([{ reconnect: { firstDelay: bad } }, 'reconnect.firstDelay must be a finite number >= 0 or null']);
  for (const bad of [1.01, -0.1, NaN, '0.2', null]) cases.push([{ reconnect: { firstJitter: bad } }, 'reconnect.firstJitter must be a number in [0, 1]']);
  for (const bad of ['Full', '', 1.01, -0.1, NaN, true, {}]) {
    cases.push([{ reconnect: { jitter: bad } }, "reconnect.jitter must be 'full', 'equal', 'decorrelated', 'none' or a number in [0, 1]"]);
  }
  for (const bad of [1.5, -1, NaN, -Infinity]) {
    cases.push([{ reconnect: { maxRetries: bad } }, 'reconnect.maxRetries must be an integer >= 0 or Infinity']);
    cases.push([{ buffer: { maxMessages: bad } }, 'buffer.maxMessages must be an integer >= 0 or Infinity']);
    cases.push([{ buffer: { maxBytes: bad } }, 'buffer.maxBytes must be an integer >= 0 or Infinity']);
  }
  for (const bad of [0, -1, NaN, Infinity]) {
    cases.push([{ reconnect: { connectTimeout: bad } }, 'reconnect.connectTimeout must be a finite number > 0']);
    cases.push([{ heartbeat: { interval: bad } }, 'heartbeat.interval must be a finite number > 0']);
    cases.push([{ heartbeat: { timeout: bad } }, 'heartbeat.timeout must be a finite number > 0']);
  }
  for (const bad of [-1, NaN, -Infinity]) cases.push([{ buffer: { ttl: bad } }, 'buffer.ttl must be a finite number >= 0 or Infinity']);
  for (const [options, message] of cases) assert.equal(refusal(options), message, JSON.stringify(options));
});

test('options are read in WebIDL order, and no getter runs after the first error', () => {
  const reads = [];
  const spy = (path, value) => ({ get: () => (reads.push(path), value) });
  const reconnect = Object.defineProperties({}, {
    jitter: spy('jitter', 'full'),
    minDelay: spy('minDelay', -1),
    maxDelay: spy('maxDelay', undefined),
    minUptime: spy('minUptime', undefined),
    shouldReconnect: spy('shouldReconnect', undefined),
  });
  const options = Object.defineProperties({ reconnect }, { heartbeat: spy('heartbeat', undefined) });
  assert.equal(refusal(options), 'reconnect.minDelay must be a finite number >= 0');
  // The reconnect group is read as a whole before it is checked; nothing after it is read.
  assert.deepEqual(reads, ['jitter', 'minDelay', 'maxDelay', 'minUptime']);
});
