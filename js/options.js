// @ts-check
/**
 * The constructor's arguments checked as the native `WebSocket` checks them (the URL and the
 * subprotocols), and the third argument's options read and validated, in JS: reading a JS object
 * from wasm costs a call across the boundary per property, and these checks would cost the wasm
 * module about a tenth of its size. The driver receives the options flattened into numbers
 * ({@link readOptions}); it fills in the defaults itself (`src/machine/config.rs` holds them).
 */

import {
  DELIVERY_ACKED,
  DELIVERY_NAMES,
  HOOK_COUNT,
  HOOK_HEARTBEAT_MESSAGE,
  HOOK_HEARTBEAT_PONG,
  HOOK_REPLAY_FILTER,
  HOOK_SHOULD_RECONNECT,
  HOOK_WEB_SOCKET,
  JITTER_NAMES,
  OPTION_ACK_INTERVAL,
  OPTION_CONNECT_TIMEOUT,
  OPTION_COUNT,
  OPTION_DELIVERY,
  OPTION_EXPOSE_PONGS,
  OPTION_FACTOR,
  OPTION_FIRST_DELAY,
  OPTION_FIRST_JITTER,
  OPTION_HEARTBEAT,
  OPTION_INTERVAL,
  OPTION_JITTER,
  OPTION_MAX_BYTES,
  OPTION_MAX_DELAY,
  OPTION_MAX_MESSAGES,
  OPTION_MAX_RETRIES,
  OPTION_MIN_DELAY,
  OPTION_MIN_UPTIME,
  OPTION_NETWORK,
  OPTION_OVERFLOW,
  OPTION_PAGE_LIFECYCLE,
  OPTION_REPLAY,
  OPTION_START_CLOSED,
  OPTION_TIMEOUT,
  OPTION_TTL,
  OVERFLOW_NAMES,
} from './abi.js';

/** @param {string} message */
const syntaxError = (message) => new DOMException(message, 'SyntaxError');

/**
 * Resolves `url` against the document's base URL (the script's location in a worker; none in Node)
 * with the browser's URL parser, then applies the native constructor's rules: `http:` becomes
 * `ws:`, `https:` becomes `wss:`, any other scheme or a fragment is a `SyntaxError`.
 * @param {string} url
 * @returns {string}
 */
export function resolveUrl(url) {
  /** @type {{ document?: { baseURI?: unknown }, location?: { href?: unknown } }} */
  const global = globalThis;
  const base = [global.document?.baseURI, global.location?.href].find((href) => typeof href === 'string');
  let href;
  try {
    href = new URL(url, /** @type {string | undefined} */ (base)).href;
  } catch {
    throw syntaxError('The URL is invalid.');
  }
  const colon = href.indexOf(':');
  const scheme = { ws: 'ws', http: 'ws', wss: 'wss', https: 'wss' }[href.slice(0, colon)];
  if (!scheme) throw syntaxError("The URL's scheme must be 'ws', 'wss', 'http' or 'https'.");
  // The URL parser percent-encodes '#' everywhere but in the fragment delimiter.
  if (href.includes('#')) throw syntaxError('The URL contains a fragment identifier.');
  return scheme + href.slice(colon);
}

/**
 * Checks a list of subprotocols: each an RFC 2616 token (visible ASCII but separators), none twice
 * (compared case-insensitively); else a `SyntaxError`, as natively.
 * @param {string[]} protocols
 */
export function checkProtocols(protocols) {
  /** @type {string[]} */
  const seen = [];
  for (const protocol of protocols) {
    if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(protocol)) throw syntaxError('A subprotocol is not a valid token.');
    const folded = protocol.toLowerCase();
    if (seen.includes(folded)) throw syntaxError('A subprotocol is specified more than once.');
    seen.push(folded);
  }
}

/** The options that are JS values the driver calls or sends, beside the numbers, at the slots `HOOK_*`. */
/** @typedef {unknown[]} Hooks */

const DURATION = 'a finite number >= 0';
const POSITIVE = 'a finite number > 0';
const COUNT = 'an integer >= 0 or Infinity';

/**
 * @param {string} option
 * @param {string} expected
 * @returns {never}
 */
function fail(option, expected) {
  throw new TypeError(`${option} must be ${expected}`);
}

/** Whether `value` is an object, not null (a function is not: as WebIDL's dictionaries have it).
 * @param {unknown} value */
const isObject = (value) => typeof value === 'object' && value !== null;

/** `obj[key]`, or `undefined` when `obj` is not an object. A getter that throws propagates.
 * @param {unknown} obj
 * @param {string} key
 * @returns {unknown} */
function get(obj, key) {
  return (typeof obj === 'object' && obj !== null) || typeof obj === 'function' ? /** @type {any} */ (obj)[key] : undefined;
}

/** A number option: `undefined` when absent, NaN for a value of another type (it then fails).
 * @param {unknown} obj
 * @param {string} key */
function number(obj, key) {
  const value = get(obj, key);
  return value === undefined ? undefined : typeof value === 'number' ? value : NaN;
}

/** A WebIDL boolean: NaN when absent (the driver's default), else 1 or 0 by truthiness.
 * @param {unknown} obj
 * @param {string} key */
function boolean(obj, key) {
  const value = get(obj, key);
  return value === undefined ? NaN : +!!value;
}

/** An object-valued option: absent or an object, else a `TypeError`.
 * @param {unknown} obj
 * @param {string} key
 * @param {string} option */
function object(obj, key, option) {
  const value = get(obj, key);
  if (!(value === undefined || isObject(value))) fail(option, 'an object');
  return value;
}

/** Milliseconds, finite and >= 0 (> 0 when `positive`), rounded up so that no deadline is shorter
 * than asked; NaN when absent.
 * @param {number | undefined} value
 * @param {string} option
 * @param {boolean} [positive] */
function millis(value, option, positive) {
  if (value === undefined) return NaN;
  if (!(Number.isFinite(value) && (positive ? value > 0 : value >= 0))) fail(option, positive ? POSITIVE : DURATION);
  return Math.ceil(value);
}

/** An integer >= 0, or `Infinity`; NaN when absent.
 * @param {number | undefined} value
 * @param {string} option */
function count(value, option) {
  if (value === undefined) return NaN;
  if (!(value === Infinity || (Number.isInteger(value) && value >= 0))) fail(option, COUNT);
  return value;
}

/**
 * The index of a string option's value among `names` (NaN when absent); a value not among them,
 * or not a string, is a `TypeError`.
 * @param {unknown} value
 * @param {readonly string[]} names
 * @param {string} option
 * @param {string} expected
 */
function oneOf(value, names, option, expected) {
  if (value === undefined) return NaN;
  const index = typeof value === 'string' ? names.indexOf(value) : -1;
  if (index < 0) fail(option, expected);
  return index;
}

/**
 * The `TypeError` for an option that this entry's build does not carry, naming the entry that does.
 * @param {string} option
 * @param {string} entry
 * @param {string} carries what this entry does instead
 */
function otherBuild(option, entry, carries) {
  return new TypeError(
    `${option} needs the ${entry} build: import { ResilientWebSocket } from 'resilient-websocket/${entry}' ` +
      `(or 'resilient-websocket/${entry}/slim'); this entry ${carries}`,
  );
}

/**
 * Reads and validates the third constructor argument (`undefined` and `null` mean all defaults),
 * in the order WebIDL would convert it: each group's values are read, then checked, and the first
 * error is thrown before any later getter runs.
 *
 * Returns the numbers the driver takes (at the slots `OPTION_*` of js/abi.js, which `src/web/options.rs` reads), NaN
 * for each option left at its default, the hooks, and the `share` group's key (`''` for `true`;
 * `null` when not shared). `defaultDelays` are the defaults of
 * `reconnect.minDelay` and `reconnect.maxDelay`, which the one check across two options needs.
 * @param {unknown} options
 * @param {[minDelay: number, maxDelay: number]} defaultDelays
 * @param {boolean} ackedBuild whether the driver was built with acknowledged delivery
 * @param {boolean} shareBuild whether the entry installed sharing (`share`)
 * @returns {{ config: Float64Array, hooks: Hooks, share: string | null }}
 */
export function readOptions(options, defaultDelays, ackedBuild, shareBuild) {
  if (!(options == null || isObject(options))) fail('options', 'an object');
  const reconnect = object(options, 'reconnect', 'reconnect');
  const jitter = get(reconnect, 'jitter');
  const raw = ['minDelay', 'maxDelay', 'factor', 'maxRetries', 'connectTimeout', 'minUptime'].map((key) => number(reconnect, key));
  const rawFirstDelay = get(reconnect, 'firstDelay');
  const firstJitter = number(reconnect, 'firstJitter');
  const minDelay = millis(raw[0], 'reconnect.minDelay');
  const maxDelay = millis(raw[1], 'reconnect.maxDelay');
  if ((Number.isNaN(minDelay) ? defaultDelays[0] : minDelay) > (Number.isNaN(maxDelay) ? defaultDelays[1] : maxDelay)) {
    fail('reconnect.maxDelay', 'a finite number >= reconnect.minDelay');
  }
  const factor = raw[2];
  if (!(factor === undefined || (Number.isFinite(factor) && factor >= 1))) fail('reconnect.factor', 'a finite number >= 1');
  // A name is coded as -1 - its index; a number in [0, 1] is the ratio itself.
  const jitterExpected = "'full', 'equal', 'decorrelated', 'none' or a number in [0, 1]";
  const jitterCode =
    typeof jitter !== 'number'
      ? -1 - oneOf(jitter, JITTER_NAMES, 'reconnect.jitter', jitterExpected)
      : jitter >= 0 && jitter <= 1
        ? jitter
        : fail('reconnect.jitter', jitterExpected);
  // `null` turns the separate first retry off (coded as -1); a number is its delay. Left out, it
  // is off too when minDelay or jitter is given: a schedule of one's own applies from its first retry.
  const ownSchedule = raw[0] !== undefined || jitter !== undefined;
  const firstDelay =
    rawFirstDelay === null || (rawFirstDelay === undefined && ownSchedule)
      ? -1
      : rawFirstDelay === undefined
        ? NaN
        : typeof rawFirstDelay === 'number' && Number.isFinite(rawFirstDelay) && rawFirstDelay >= 0
          ? Math.ceil(rawFirstDelay)
          : fail('reconnect.firstDelay', 'a finite number >= 0 or null');
  if (!(firstJitter === undefined || (firstJitter >= 0 && firstJitter <= 1))) fail('reconnect.firstJitter', 'a number in [0, 1]');
  const maxRetries = count(raw[3], 'reconnect.maxRetries');
  const connectTimeout = millis(raw[4], 'reconnect.connectTimeout', true);
  const minUptime = millis(raw[5], 'reconnect.minUptime');
  const shouldReconnect = get(reconnect, 'shouldReconnect');
  if (!(shouldReconnect === undefined || typeof shouldReconnect === 'function')) fail('reconnect.shouldReconnect', 'a function');

  const heartbeat = get(options, 'heartbeat');
  if (!(heartbeat === undefined || typeof heartbeat === 'boolean' || isObject(heartbeat))) fail('heartbeat', 'a boolean or an object');
  // Off unless `true` or an object (whose absent fields keep their defaults).
  const heartbeatOn = heartbeat === undefined ? NaN : +(heartbeat !== false);
  const interval = millis(number(heartbeat, 'interval'), 'heartbeat.interval', true);
  const timeout = millis(number(heartbeat, 'timeout'), 'heartbeat.timeout', true);
  // Absent: undefined, for which the driver takes the defaults (src/machine/config.rs).
  const message = get(heartbeat, 'message');
  const pong = get(heartbeat, 'pong');
  if (!(pong === undefined || typeof pong === 'string' || typeof pong === 'function')) fail('heartbeat.pong', 'a string or a function');

  const buffer = object(options, 'buffer', 'buffer');
  const rawOverflow = get(buffer, 'overflow');
  const [rawMaxMessages, rawMaxBytes, rawTtl] = ['maxMessages', 'maxBytes', 'ttl'].map((key) => number(buffer, key));
  const maxMessages = count(rawMaxMessages, 'buffer.maxMessages');
  const maxBytes = count(rawMaxBytes, 'buffer.maxBytes');
  const overflow = oneOf(rawOverflow, OVERFLOW_NAMES, 'buffer.overflow', "'throw', 'drop-oldest' or 'drop-newest'");
  const ttl = rawTtl === undefined ? NaN : Math.ceil(rawTtl);
  if (!(rawTtl === undefined || rawTtl === Infinity || (Number.isFinite(rawTtl) && rawTtl >= 0))) fail('buffer.ttl', 'a finite number >= 0 or Infinity');
  const replay = get(buffer, 'replay');
  const replayFilter = typeof replay === 'function' ? replay : undefined;

  let WebSocketClass = get(options, 'WebSocket');
  let expected = 'a function';
  if (WebSocketClass === undefined) {
    WebSocketClass = /** @type {{ WebSocket?: unknown }} */ (globalThis).WebSocket;
    expected = 'a WebSocket constructor (this environment has no global WebSocket)';
  }
  if (typeof WebSocketClass !== 'function') fail('WebSocket', expected);

  const rawDelivery = get(options, 'delivery');
  const ackInterval = millis(number(options, 'ackInterval'), 'ackInterval', true);
  const delivery = oneOf(rawDelivery, DELIVERY_NAMES, 'delivery', "'plain' or 'acked'");
  if (delivery === DELIVERY_ACKED && !ackedBuild) throw otherBuild("delivery: 'acked'", 'acked', 'carries plain delivery only');

  // `true` is the group of the URL and protocols alone; a string names a group among those.
  const rawShare = get(options, 'share');
  if (!(rawShare === undefined || typeof rawShare === 'boolean' || typeof rawShare === 'string')) fail('share', 'a boolean or a string');
  const share = rawShare === true ? '' : typeof rawShare === 'string' ? rawShare : null;
  if (share !== null && !shareBuild) throw otherBuild('share', 'share', 'does not carry it');

  const config = new Float64Array(OPTION_COUNT).fill(NaN);
  config[OPTION_MIN_DELAY] = minDelay;
  config[OPTION_MAX_DELAY] = maxDelay;
  config[OPTION_FACTOR] = factor ?? NaN;
  config[OPTION_JITTER] = jitterCode;
  config[OPTION_FIRST_DELAY] = firstDelay;
  config[OPTION_FIRST_JITTER] = firstJitter ?? NaN;
  config[OPTION_MAX_RETRIES] = maxRetries;
  config[OPTION_CONNECT_TIMEOUT] = connectTimeout;
  config[OPTION_MIN_UPTIME] = minUptime;
  config[OPTION_HEARTBEAT] = heartbeatOn;
  config[OPTION_INTERVAL] = interval;
  config[OPTION_TIMEOUT] = timeout;
  config[OPTION_MAX_MESSAGES] = maxMessages;
  config[OPTION_MAX_BYTES] = maxBytes;
  config[OPTION_OVERFLOW] = overflow;
  config[OPTION_TTL] = ttl;
  config[OPTION_REPLAY] = replay === undefined ? NaN : +(replayFilter !== undefined || !!replay);
  config[OPTION_NETWORK] = boolean(options, 'network');
  config[OPTION_PAGE_LIFECYCLE] = boolean(options, 'pageLifecycle');
  config[OPTION_START_CLOSED] = boolean(options, 'startClosed');
  config[OPTION_DELIVERY] = delivery;
  config[OPTION_ACK_INTERVAL] = ackInterval;
  config[OPTION_EXPOSE_PONGS] = boolean(heartbeat, 'exposePongs');
  /** @type {Hooks} */
  const hooks = new Array(HOOK_COUNT);
  hooks[HOOK_SHOULD_RECONNECT] = shouldReconnect;
  hooks[HOOK_HEARTBEAT_MESSAGE] = message;
  hooks[HOOK_HEARTBEAT_PONG] = pong;
  hooks[HOOK_REPLAY_FILTER] = replayFilter;
  hooks[HOOK_WEB_SOCKET] = WebSocketClass;
  return { config, hooks, share };
}
