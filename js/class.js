// @ts-check
/*
 * `ResilientWebSocket`: a drop-in replacement for the browser's `WebSocket` whose connection logic
 * runs in WebAssembly. This class is deliberately thin: it owns the wasm driver, forwards the
 * getters, implements the `on*` attributes as HTML defines them, calls the URL and protocols
 * providers, and turns the driver's callbacks into real `Event`, `MessageEvent` and `CloseEvent`
 * objects on a real `EventTarget`.
 *
 * Every entry point (`index.js` with the wasm inlined, `slim.js` with the `.wasm` fetched, the IIFE
 * bundle, the React and Vue bindings) shares this one module. It never loads the wasm itself: the
 * entry initialises the wasm-bindgen glue in its own way and hands over the driver class with
 * `useDriver`. Importing it needs nothing Node lacks (`Event`, `EventTarget`), so server-side
 * rendering can import it.
 */

import {
  ATTRIBUTE_ACKED,
  ATTRIBUTE_BINARY_TYPE,
  ATTRIBUTE_BUFFERED_AMOUNT,
  ATTRIBUTE_CONNECTION_STATE,
  ATTRIBUTE_EXTENSIONS,
  ATTRIBUTE_PROTOCOL,
  ATTRIBUTE_READY_STATE,
  ATTRIBUTE_URL,
  ERROR_BUFFER_FULL,
  ERROR_CLOSED,
  ERROR_INVALID_CODE,
  ERROR_REASON_TOO_LONG,
  KIND_CLOSE,
  KIND_DROP,
  KIND_HEARTBEAT,
  KIND_HOOKERROR,
  KIND_MESSAGE,
  KIND_NAMES,
  KIND_OPEN,
  KIND_PROVIDE,
  KIND_RECONNECTING,
  KIND_SESSIONLOST,
  KIND_STATECHANGE,
  STAT_LAST_RTT,
  STAT_NAMES,
} from './abi.js';
import { checkProtocols, readOptions, resolveUrl } from './options.js';
import { payloadSize, snapshot, utf8Length } from './payload.js';

// The package's public types, written once here as JSDoc: scripts/declarations.js generates
// js/class.d.ts (and the entries' .d.ts) from them with tsc. Each block stands before a statement
// that the declarations leave out (here `let WebDriver`), so that tsc does not copy its raw text
// into them.
/**
 * What `send()` takes, as on the native `WebSocket`.
 * @typedef {string | ArrayBufferLike | Blob | ArrayBufferView} WebSocketPayload
 */
/**
 * The code, reason and `wasClean` of a close.
 * @typedef {object} LastClose
 * @property {number} code
 * @property {string} reason
 * @property {boolean} wasClean
 */
/**
 * What a URL or protocols provider receives before each attempt.
 * @typedef {object} ProviderContext
 * @property {number} attempt Attempts since the last open: 0 for the first.
 * @property {LastClose | null} lastClose The last close, or `null` before any.
 */
/**
 * A URL, or a provider called before every attempt (sync or async).
 * @typedef {string | URL | ((ctx: ProviderContext) => string | URL | Promise<string | URL>)} UrlOption
 */
/**
 * Subprotocols, or a provider called before every attempt (sync or async).
 * @typedef {string | string[] | ((ctx: ProviderContext) => string | string[] | Promise<string | string[]>)} ProtocolsOption
 */
/** @typedef {'connecting' | 'open' | 'reconnecting' | 'offline' | 'closing' | 'closed'} ConnectionState */
/**
 * `'unconfirmed'`: acked delivery only (sent, never acknowledged, and the session ended).
 * @typedef {'closed' | 'overflow' | 'expired' | 'filtered' | 'giveup' | 'unconfirmed'} DropReason
 */
/**
 * `'full'` (uniform 0..d), `'equal'` (d/2..d), `'decorrelated'`, `'none'`, or r in [0, 1] for d·(1±r).
 * @typedef {'full' | 'equal' | 'decorrelated' | 'none' | number} Jitter
 */
/**
 * @typedef {object} ReconnectOptions
 * @property {number | null} [firstDelay] The first retry after a loss waits `firstDelay·(1 ± firstJitter)` ms,
 *   capped by `maxDelay`, instead of its place on the schedule (not after a 1012 or 1013); `null` puts it on
 *   the schedule too. Default 1200 (0.9–1.5 s), or `null` if `minDelay` or `jitter` is given.
 * @property {number} [firstJitter] The first retry's spread around `firstDelay`, a ratio in [0, 1]. Default 0.25.
 * @property {number} [minDelay] Base of the backoff, ms: retry n (0 the first) waits
 *   `jitter(min(maxDelay, minDelay·factorⁿ))`; the second retry 0–4 s by default. Default 1600.
 * @property {number} [maxDelay] Cap of every delay, ms: from the third retry on, 0–9 s by default. Default 9000.
 * @property {number} [factor] Growth per attempt (>= 1). Default 2.5.
 * @property {Jitter} [jitter] Default `'full'`.
 * @property {number} [maxRetries] Failed attempts in a row before `giveup`. Default `Infinity`.
 * @property {number} [connectTimeout] A handshake slower than this fails the attempt, ms. Default 10000.
 * @property {number} [minUptime] The attempt counter resets only after a connection stayed open this long, ms. Default 5000.
 * @property {(event: CloseEvent) => boolean | { delay: number } | undefined} [shouldReconnect]
 *   Decides after a close the client did not ask for: `true` reconnects, `false` stops,
 *   `{ delay }` reconnects after `delay` ms; anything else leaves it to the default policy.
 *   Not asked after your own `close()`.
 */
/**
 * @typedef {object} HeartbeatOptions
 * @property {number} [interval] A ping is sent after this long with no inbound traffic, ms. Default 25000.
 * @property {number} [timeout] No inbound traffic this long after a ping: closed with 4000 and reconnected, ms. Default 10000.
 * @property {WebSocketPayload | (() => WebSocketPayload)} [message] The ping. Default `'ping'`.
 * @property {string | ((data: any) => boolean)} [pong] A string the pong equals, or a predicate. Default `'pong'`.
 * @property {boolean} [exposePongs] Dispatch pongs as `message` events too. Default `false`.
 */
/**
 * @typedef {object} BufferOptions
 * @property {number} [maxMessages] Queue cap by count. Default 10000.
 * @property {number} [maxBytes] Queue cap by bytes (UTF-8 size of strings). Default 16777216.
 * @property {'throw' | 'drop-oldest' | 'drop-newest'} [overflow] What a full queue does. Default `'throw'` (`send()` throws `QuotaExceededError`).
 * @property {number} [ttl] Messages older than this (ms) when due for replay are dropped. Default `Infinity`.
 * @property {boolean | ((data: any) => boolean)} [replay] `false` drops the queue at open instead of replaying it; a function filters it. Default `true`.
 */
/**
 * The third constructor argument; every field is optional (see the README's option table).
 * @typedef {object} ResilientWebSocketOptions
 * @property {ReconnectOptions} [reconnect]
 * @property {boolean | HeartbeatOptions} [heartbeat] Off by default; `true` for the defaults, or an object.
 * @property {BufferOptions} [buffer]
 * @property {boolean} [network] React to `online`/`offline`. Default `true`.
 * @property {boolean} [pageLifecycle] React to visibility, `pagehide`/`pageshow`, `freeze`/`resume`. Default `true`.
 * @property {boolean} [startClosed] Stay `CLOSED` until `reconnect()`. Default `false`.
 * @property {new (url: string, protocols?: string | string[]) => WebSocket} [WebSocket] The constructor to drive. Default: the global `WebSocket`.
 * @property {boolean | ((event: string, detail: Event) => void)} [debug] `true` logs every event with `console.debug`; a function receives `(event, detail)`.
 * @property {'plain' | 'acked'} [delivery] `'acked'`: exactly-once delivery both ways with the server adapter (PROTOCOL.md). Default `'plain'`.
 * @property {number} [ackInterval] Acked delivery: a received message is acknowledged within this many ms. Default 100.
 * @property {boolean | string} [share] One connection for every instance with the same URL, protocols and `share` key in the browser profile, held by one elected tab (README, "One connection for every tab"); a string is the key. Needs `resilient-websocket/share`. Default `false`.
 */
/** @typedef {'electing' | 'follower' | 'holder' | 'left'} ShareRole */
/**
 * @typedef {object} ResilientWebSocketStats
 * @property {number} attempts
 * @property {number} reconnects
 * @property {number} downtimeMs
 * @property {number | null} lastRtt
 * @property {number} queued
 * @property {number} queuedBytes
 * @property {number} dropped
 * @property {number} replayed
 * @property {number} unacked Acked delivery: messages sent and not yet acknowledged (0 in plain mode).
 * @property {number} unackedBytes Acked delivery: their bytes.
 * @property {number} resent Acked delivery: messages resent after a reconnect because the server lacked them.
 */
/**
 * Every event a `ResilientWebSocket` dispatches, by type.
 * @typedef {object} ResilientWebSocketEventMap
 * @property {Event} open
 * @property {MessageEvent} message
 * @property {Event} error
 * @property {CloseEvent} close
 * @property {StateChangeEvent} statechange
 * @property {ReconnectingEvent} reconnecting
 * @property {Event} giveup
 * @property {DropEvent} drop
 * @property {HeartbeatEvent} heartbeat
 * @property {SessionLostEvent} sessionlost
 * @property {ShareRoleEvent} sharerole
 */
/**
 * The base of an event class as TypeScript sees it: `Event`, whose `type` is the one the class
 * gives it (`StateChangeEvent extends (Event as EventOfType<'statechange'>)`). Only a type: the
 * classes extend the `Event` itself.
 * @template {string} T
 * @typedef {{ new (type: T): Event & { readonly type: T }, prototype: Event } & Omit<typeof Event, 'prototype'>} EventOfType
 */
/**
 * The base of `ResilientWebSocket` as TypeScript sees it (partysocket's typed `EventTarget`, in
 * JSDoc): `EventTarget` whose `addEventListener` and `removeEventListener` give each event type of
 * {@link ResilientWebSocketEventMap} its own event class, with the `WebSocket` ready-state
 * constants, which the class defines on itself and on its prototype after its body. Only a type:
 * the class extends the `EventTarget` itself.
 * @typedef {{
 *   new (): ResilientWebSocketTarget,
 *   prototype: ResilientWebSocketTarget,
 *   readonly CONNECTING: 0,
 *   readonly OPEN: 1,
 *   readonly CLOSING: 2,
 *   readonly CLOSED: 3,
 * }} ResilientWebSocketBase
 */
/**
 * @typedef {{
 *   readonly CONNECTING: 0,
 *   readonly OPEN: 1,
 *   readonly CLOSING: 2,
 *   readonly CLOSED: 3,
 *   addEventListener<K extends keyof ResilientWebSocketEventMap>(type: K, listener: (this: ResilientWebSocket, ev: ResilientWebSocketEventMap[K]) => any, options?: boolean | AddEventListenerOptions): void,
 *   addEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions): void,
 *   removeEventListener<K extends keyof ResilientWebSocketEventMap>(type: K, listener: (this: ResilientWebSocket, ev: ResilientWebSocketEventMap[K]) => any, options?: boolean | EventListenerOptions): void,
 *   removeEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | EventListenerOptions): void,
 *   dispatchEvent(event: Event): boolean,
 * }} ResilientWebSocketTarget
 */

/**
 * The wasm driver class, once an entry has initialised the module.
 * @type {typeof import('../pkg/resilient_websocket.js').WebDriver | undefined}
 */
let WebDriver;

/** Why the default entry could not initialise the module, if it could not. @type {{ error: unknown } | null} */
let initFailure = null;

/**
 * Hands over the driver class of the initialised wasm module: from now on instances can be built.
 * When an app loads both builds (one module imports the default entry, another
 * `resilient-websocket/acked`), the acked build's driver, which does both modes, serves every
 * instance, whichever entry ran first.
 * @internal Used by the entries. Its parameter is `unknown` to the declarations, which do not
 * describe the wasm-bindgen glue.
 * @param {unknown} driverClass the glue's `WebDriver`
 */
export function useDriver(driverClass) {
  /** @typedef {typeof import('../pkg/resilient_websocket.js').WebDriver} WebDriverClass not in the declarations: a local type */
  if (!WebDriver?.ackedBuild() || /** @type {WebDriverClass} */ (driverClass).ackedBuild()) {
    WebDriver = /** @type {WebDriverClass} */ (driverClass);
  }
}

/**
 * Records why the wasm module could not be initialised here, for every constructor call to report.
 * @internal Used by the inlining entries.
 * @param {unknown} error
 */
export function driverFailed(error) {
  initFailure = { error };
}

/**
 * What the share entries install (js/share-link.js): makes an instance's member of its share
 * group, or `null` where the browser cannot share (no Web Locks or `BroadcastChannel`).
 * @typedef {(options: { instance: EventTarget, url: string, protocols: string[], key: string,
 *   config: Float64Array, hooks: unknown[], providers: boolean }) => ShareMember | null} ShareFactory
 */
/**
 * An instance's member of its share group, as the class sees it.
 * @typedef {{ readonly role: ShareRole, end(): void }} ShareMember
 */
/** @type {ShareFactory | null} */
let shareFactory = null;

/**
 * Installs sharing (`share`) for every instance constructed after.
 * @internal Used by the share entries (js/share-link.js).
 * @param {ShareFactory} factory
 */
export function useShare(factory) {
  shareFactory = factory;
}

/** What constructing throws while there is no driver. */
function driverUnavailable() {
  if (initFailure) {
    return new Error(`ResilientWebSocket: the WebAssembly module could not be initialised here (${initFailure.error})`, {
      cause: initFailure.error,
    });
  }
  // Only the slim entry can get here: the default entry initialises at import.
  return new Error("ResilientWebSocket: call init() from 'resilient-websocket/slim' and await it before constructing");
}

/** `connectionState` changed. */
export class StateChangeEvent extends /** @type {EventOfType<'statechange'>} */ (Event) {
  /**
   * @param {ConnectionState} from
   * @param {ConnectionState} to
   */
  constructor(from, to) {
    super('statechange');
    this.from = from;
    this.to = to;
  }
}

/** An automatic reconnect attempt was scheduled. */
export class ReconnectingEvent extends /** @type {EventOfType<'reconnecting'>} */ (Event) {
  /**
   * @param {number} attempt
   * @param {number} delay
   */
  constructor(attempt, delay) {
    super('reconnecting');
    /** 1, 2, … */
    this.attempt = attempt;
    /** ms until the attempt. */
    this.delay = delay;
  }
}

/** A queued message was dropped instead of sent. */
export class DropEvent extends /** @type {EventOfType<'drop'>} */ (Event) {
  /**
   * @param {WebSocketPayload} data
   * @param {DropReason} reason
   */
  constructor(data, reason) {
    super('drop');
    this.data = data;
    this.reason = reason;
  }
}

/** A heartbeat round trip completed. */
export class HeartbeatEvent extends /** @type {EventOfType<'heartbeat'>} */ (Event) {
  /** @param {number} rtt */
  constructor(rtt) {
    super('heartbeat');
    /** ms */
    this.rtt = rtt;
  }
}

/**
 * A `message` event: a real `MessageEvent` (`instanceof`, `lastEventId` '', `source` null, `ports`
 * empty, as the browser's WebSocket has them) whose `data` and `origin` come from fields. Blink
 * converts a constructor's init dictionary member by member, which made
 * `new MessageEvent('message', { data, origin })` cost about four times the bare constructor, and
 * more than the rest of a message's way through the driver (`npm run bench`, receive rows).
 * Its class is named `MessageEvent`, as `event.constructor.name` is natively.
 * @extends {MessageEvent<any>}
 */
class SocketMessageEvent extends MessageEvent {
  #data;
  #origin;
  /**
   * @param {unknown} data
   * @param {string} origin
   */
  constructor(data, origin) {
    super('message');
    this.#data = data;
    this.#origin = origin;
  }

  /** @override */
  get data() {
    return this.#data;
  }

  /** @override */
  get origin() {
    return this.#origin;
  }
}

// What reflection sees of a native message event: `constructor` is `MessageEvent` itself (so is
// `constructor.name`), and a `for…in` or a logger walking the event finds every member in the
// engine's own order. The prototype therefore carries each of `MessageEvent.prototype`'s members
// in that order (for…in lists a prototype's keys before its parent's, so `data` and `origin` alone
// would come first): the subclass's getters for `data` and `origin`, the native descriptors for
// the rest. Set after the class rather than in a static block, which older Safari versions cannot
// parse.
Object.defineProperty(SocketMessageEvent, 'name', { value: 'MessageEvent' });
{
  const prototype = SocketMessageEvent.prototype;
  const getters = new Map(['data', 'origin'].map((name) => [name, Object.getOwnPropertyDescriptor(prototype, name)]));
  for (const name of getters.keys()) delete (/** @type {any} */ (prototype))[name];
  for (const name of Object.getOwnPropertyNames(MessageEvent.prototype)) {
    const native = /** @type {PropertyDescriptor} */ (Object.getOwnPropertyDescriptor(MessageEvent.prototype, name));
    const own = getters.get(name);
    Object.defineProperty(prototype, name, own ? { ...own, enumerable: native.enumerable } : native);
  }
}

/**
 * Acknowledged delivery: the server started a new session instead of resuming ours (PROTOCOL.md).
 * Messages it had not yet delivered are lost; ours that it had not acknowledged were reported just
 * before with `drop` events (reason `'unconfirmed'`).
 */
export class SessionLostEvent extends /** @type {EventOfType<'sessionlost'>} */ (Event) {
  /** @param {number} unconfirmed how many of our messages may not have arrived */
  constructor(unconfirmed) {
    super('sessionlost');
    /** How many of our messages may not have arrived (each also had a `drop` event). */
    this.unconfirmed = unconfirmed;
  }
}

/** `sharerole`: the instance's part in its share group changed (see `shareRole`). */
export class ShareRoleEvent extends /** @type {EventOfType<'sharerole'>} */ (Event) {
  /** @param {ShareRole} role */
  constructor(role) {
    super('sharerole');
    /** @readonly */
    this.role = role;
  }
}

/**
 * Instances that are not terminally closed. A native `WebSocket` with listeners stays alive while
 * connected even if the page keeps no reference to it; this set gives the same guarantee here.
 * @type {Set<ResilientWebSocket>}
 */
const live = new Set();

/**
 * The WebIDL conversion of `(DOMString or sequence<DOMString>)`: iterables are lists, anything
 * else is one string.
 * @param {unknown} protocols
 * @returns {string[]}
 */
function protocolList(protocols) {
  if (protocols === undefined) return [];
  if (typeof protocols === 'object' && protocols !== null && Symbol.iterator in protocols) {
    return Array.from(/** @type {Iterable<unknown>} */ (protocols), String);
  }
  return [String(protocols)];
}

/**
 * The WebIDL conversions of `close(optional [Clamp] unsigned short code, optional USVString reason)`
 * up to the clamping, which the driver does: a number (`'1000'` is 1000, a Symbol or a BigInt
 * throws a TypeError) and a string.
 * @param {unknown} code
 * @param {unknown} reason
 * @returns {[number | undefined, string | undefined]}
 */
function closeArguments(code, reason) {
  return [code === undefined ? undefined : +(/** @type {any} */ (code)), reason === undefined ? undefined : `${reason}`];
}

/**
 * The exceptions the driver's methods report by code (`ErrorCode` in src/web/abi.rs; 0 is
 * success), as the native `send()` and `close()` throw them: message and `DOMException` name.
 * @type {Record<number, [string, string]>}
 */
const ERRORS = {
  [ERROR_CLOSED]: ['The connection is closed for good; the message cannot be delivered.', 'InvalidStateError'],
  [ERROR_BUFFER_FULL]: ['The outbound buffer is full.', 'QuotaExceededError'],
  [ERROR_INVALID_CODE]: ['The close code must be either 1000, or between 3000 and 4999.', 'InvalidAccessError'],
  [ERROR_REASON_TOO_LONG]: ['The close reason must not be greater than 123 UTF-8 bytes.', 'SyntaxError'],
};

/**
 * Throws the exception of a driver's error code, if it is one.
 * @param {number} code
 */
function check(code) {
  if (code) throw new DOMException(...ERRORS[code]);
}

/** @param {unknown} value */
function isThenable(value) {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (/** @type {{ then?: unknown }} */ (value).then) === 'function'
  );
}

/**
 * Reports an exception thrown by user code (a hook or provider) the way the browser reports one
 * thrown by an event handler: to `window.onerror` and the console, without stopping anything.
 * @param {unknown} error
 */
function reportError(error) {
  if (typeof globalThis.reportError === 'function') globalThis.reportError(error);
  else console.error(error);
}

/** A drop-in replacement for the browser's `WebSocket` that keeps the connection up. */
export class ResilientWebSocket extends /** @type {ResilientWebSocketBase} */ (EventTarget) {
  /** @type {InstanceType<typeof import('../pkg/resilient_websocket.js').WebDriver>} */
  #driver;
  /** @type {ShareMember | null} the instance's member of its share group (the `share` option) */
  #share = null;
  /** Acknowledged delivery (the `delivery` option), fixed for the instance's life. */
  #acked = false;
  /** @type {((ctx: ProviderContext) => unknown) | undefined} */
  #urlProvider;
  /** @type {((ctx: ProviderContext) => unknown) | undefined} */
  #protocolsProvider;
  /** @type {((event: string, detail: unknown) => void) | undefined} */
  #log;
  /** Reports of the driver held back while a directly delivered message is dispatched. */
  #deferred = /** @type {[number, any, any, any][]} */ ([]);
  #deferring = false;
  /**
   * The newest socket and its direct listener, whose `writable` the driver keeps true while a
   * `send()` would only hand the payload to that socket (see `#listen`).
   * @type {{ ws: WebSocket, listener: { writable: boolean } } | null}
   */
  #direct = null;
  /** The origin of `url`, computed once per open for every `MessageEvent`. */
  #origin = '';
  /** @type {Map<string, object | null>} the current value of each `on*` attribute (any object, callable or not) */
  #handlers = new Map();
  /** @type {Map<string, EventListener>} the listener each `on*` attribute installed */
  #handlerListeners = new Map();

  /**
   * @param {UrlOption} url
   * @param {ProtocolsOption} [protocols]
   * @param {ResilientWebSocketOptions} [options] see the README for every option and its default
   */
  constructor(url, protocols, options) {
    if (arguments.length === 0) {
      throw new TypeError("Failed to construct 'ResilientWebSocket': 1 argument required, but only 0 present.");
    }
    const Driver = WebDriver;
    if (!Driver) throw driverUnavailable();
    super();
    if (typeof url === 'function') this.#urlProvider = url;
    if (typeof protocols === 'function') this.#protocolsProvider = protocols;
    const debug = /** @type {{ debug?: unknown } | undefined} */ (options)?.debug;
    if (typeof debug === 'function') this.#log = /** @type {any} */ (debug);
    else if (debug) this.#log = (event, detail) => console.debug('[ResilientWebSocket]', event, detail);
    const href = this.#urlProvider ? undefined : String(url);
    const list = this.#protocolsProvider ? [] : protocolList(protocols);
    // The native constructor's checks, in its order: the URL, the subprotocols, then the options.
    const resolved = href === undefined ? '' : resolveUrl(href);
    checkProtocols(list);
    const { config, hooks, share } = readOptions(options, [Driver.defaultDelay(false), Driver.defaultDelay(true)], Driver.ackedBuild(), !!shareFactory);
    if (share !== null && shareFactory) {
      const providers = Boolean(this.#urlProvider || this.#protocolsProvider);
      this.#share = shareFactory({ instance: this, url: resolved, protocols: list, key: share, config, hooks, providers });
    }
    this.#driver = new Driver(
      resolved,
      list,
      Boolean(this.#urlProvider || this.#protocolsProvider),
      config,
      hooks,
      // The driver's `Host` (src/web/host.rs): where it reports, and who installs the direct path.
      {
        emit: (/** @type {number} */ kind, /** @type {any} */ a, /** @type {any} */ b, /** @type {any} */ c) =>
          this.#onDriver(kind, a, b, c),
        listen: (/** @type {WebSocket} */ ws, /** @type {(event: MessageEvent) => void} */ handler, /** @type {unknown} */ pong) =>
          this.#listen(ws, handler, pong),
      },
    );
    this.#acked = this.#driver.attribute(ATTRIBUTE_ACKED);
    this.#driver.start();
    this.#trackLiveness();
  }

  /**
   * The resolved URL; with a URL provider, that of the current or last attempt (`''` before).
   * @returns {string}
   */
  get url() {
    return this.#driver.attribute(ATTRIBUTE_URL);
  }

  /**
   * `CONNECTING` through every reconnect cycle; `CLOSED` only when terminal.
   * @returns {0 | 1 | 2 | 3}
   */
  get readyState() {
    return this.#driver.attribute(ATTRIBUTE_READY_STATE);
  }

  /** @returns {ConnectionState} */
  get connectionState() {
    return this.#driver.attribute(ATTRIBUTE_CONNECTION_STATE);
  }

  /**
   * The socket's unsent bytes plus the queued messages' sizes.
   * @returns {number}
   */
  get bufferedAmount() {
    return this.#driver.attribute(ATTRIBUTE_BUFFERED_AMOUNT);
  }

  /** @returns {string} */
  get protocol() {
    return this.#driver.attribute(ATTRIBUTE_PROTOCOL);
  }

  /** @returns {string} */
  get extensions() {
    return this.#driver.attribute(ATTRIBUTE_EXTENSIONS);
  }

  /** @returns {BinaryType} */
  get binaryType() {
    return this.#driver.attribute(ATTRIBUTE_BINARY_TYPE);
  }

  /** @param {BinaryType} value */
  set binaryType(value) {
    this.#driver.setBinaryType(value);
  }

  /** @returns {ResilientWebSocketStats} */
  get stats() {
    const values = new Float64Array(STAT_NAMES.length);
    this.#driver.stats(values);
    /** @type {any} */
    const stats = {};
    STAT_NAMES.forEach((key, i) => {
      // NaN: no heartbeat round trip measured yet.
      stats[key] = i === STAT_LAST_RTT && Number.isNaN(values[i]) ? null : values[i];
    });
    return stats;
  }

  /**
   * Sends now when `OPEN`, queues while `CONNECTING`, throws `InvalidStateError` after a terminal close.
   * @param {WebSocketPayload} data
   */
  send(data) {
    if (arguments.length === 0) {
      throw new TypeError("Failed to execute 'send' on 'ResilientWebSocket': 1 argument required, but only 0 present.");
    }
    const direct = this.#direct;
    if (direct !== null && direct.listener.writable && direct.ws.readyState === 1) {
      // The direct path (README, "Decisions"): what the driver would do, without a call into wasm
      // (the native send() converts what is not binary to a string as the slower path does).
      direct.ws.send(/** @type {Parameters<WebSocket["send"]>[0]} */ (data));
      return;
    }
    let payload = /** @type {unknown} */ (data);
    let size = payloadSize(payload);
    if (size === undefined) {
      // The native send() stringifies anything else (numbers, objects) as a USVString.
      payload = `${payload}`;
      size = utf8Length(/** @type {string} */ (payload));
    } else if (this.#acked || this.#driver.attribute(ATTRIBUTE_READY_STATE) === 0) {
      // Queued, or (acked delivery) kept until acknowledged and perhaps resent.
      payload = snapshot(payload);
    }
    check(this.#driver.send(payload, size));
  }

  /**
   * Closes for good: no reconnect follows.
   * @param {number} [code]
   * @param {string} [reason]
   */
  close(code, reason) {
    check(this.#driver.close(...closeArguments(code, reason)));
    this.#trackLiveness();
  }

  /**
   * Drops the current socket, if any, and connects again at once with the backoff reset; also
   * reopens after a terminal close or `startClosed`.
   * @param {number} [code]
   * @param {string} [reason]
   */
  reconnect(code, reason) {
    check(this.#driver.reconnect(...closeArguments(code, reason)));
    this.#trackLiveness();
  }

  /**
   * The instance's part in its share group: `'holder'` (its tab holds the group's connection),
   * `'follower'`, `'electing'` (no holder known: one is being elected) or `'left'` (closed, or
   * its page hidden in the back/forward cache); `null` when not shared (`share` not given, or
   * the browser has no Web Locks).
   * @returns {ShareRole | null}
   */
  get shareRole() {
    return this.#share?.role ?? null;
  }

  #trackLiveness() {
    if (this.#driver.attribute(ATTRIBUTE_READY_STATE) === 3) {
      live.delete(this);
      this.#share?.end();
    } else live.add(this);
  }

  /**
   * Everything the driver reports: events for the user, provider requests, hook errors. While a
   * directly delivered message is dispatched, they wait in `#deferred` (see `#deliver`).
   * @param {number} code the kind of report (`KIND_*`)
   * @param {any} a
   * @param {any} b
   * @param {any} c
   */
  #onDriver(code, a, b, c) {
    if (this.#deferring) this.#deferred.push([code, a, b, c]);
    else this.#handle(code, a, b, c);
  }

  /**
   * Dispatches a message delivered directly (not through the driver), then what the driver
   * reported meanwhile, in order: as the driver does for what it delivers, so that every listener
   * of one event runs before the next event, whatever a listener calls (`close()` from a
   * `message` listener reports its `statechange` only after the last `message` listener ran).
   * @param {unknown} data
   */
  #deliver(data) {
    this.#deferring = true;
    try {
      this.#handle(KIND_MESSAGE, data);
      const deferred = this.#deferred;
      for (let next = 0; next < deferred.length; next++) {
        const [code, a, b, c] = deferred[next];
        this.#handle(code, a, b, c);
      }
    } finally {
      this.#deferred.length = 0;
      this.#deferring = false;
    }
  }

  /**
   * @param {number} code the kind of report (`KIND_*`)
   * @param {any} a
   * @param {any} [b]
   * @param {any} [c]
   */
  #handle(code, a, b, c) {
    let event;
    switch (code) {
      // First: the one kind that comes once per message.
      case KIND_MESSAGE:
        event = new SocketMessageEvent(a, this.#origin);
        break;
      case KIND_PROVIDE:
        return this.#provide(a, { attempt: b, lastClose: c });
      case KIND_HOOKERROR:
        return reportError(a);
      case KIND_OPEN:
        this.#origin = new URL(this.url).origin;
        event = new Event('open');
        break;
      case KIND_CLOSE:
        event = new CloseEvent('close', { code: a, reason: b, wasClean: c });
        break;
      case KIND_STATECHANGE:
        event = new StateChangeEvent(a, b);
        break;
      case KIND_RECONNECTING:
        event = new ReconnectingEvent(a, b);
        break;
      case KIND_DROP:
        event = new DropEvent(a, b);
        break;
      case KIND_HEARTBEAT:
        event = new HeartbeatEvent(a);
        break;
      case KIND_SESSIONLOST:
        event = new SessionLostEvent(a);
        break;
      default:
        // `error` and `giveup`: the kind's name is the event's type.
        event = new Event(KIND_NAMES[code]);
    }
    if (this.#log) {
      // A logger is user code too: if it throws, report it and dispatch the event all the same.
      try {
        this.#log(event.type, event);
      } catch (error) {
        reportError(error);
      }
    }
    this.dispatchEvent(event);
    // Only a state change can end or restore liveness; checking on every event would put a call
    // into wasm on the path of every message.
    if (code === KIND_STATECHANGE) this.#trackLiveness();
  }

  /**
   * The direct paths (src/web/direct.rs): installs on a new socket the listener
   * that dispatches its messages here while the driver keeps `listener.open` true and the data is
   * not `pong` (undefined when no message is a pong), and hands every other one to the driver's
   * own `handler`. `listener.at` is the time of the last message dispatched here, which the
   * driver reports to the core before it needs it: a message then costs no call into wasm.
   * `listener.writable` does the same for `send()`, while the browser reports the socket open
   * (once the server has started its closing handshake, the driver must queue what is sent).
   * @param {WebSocket} ws
   * @param {(event: MessageEvent) => void} handler
   * @param {unknown} pong
   */
  #listen(ws, handler, pong) {
    const listener = Object.assign(
      (/** @type {MessageEvent} */ event) => {
        const { data } = event;
        if (listener.open && data !== pong) {
          listener.at = event.timeStamp;
          this.#deliver(data);
        } else {
          handler(event);
        }
      },
      { open: false, writable: false, at: 0 },
    );
    ws.onmessage = listener;
    this.#direct = { ws, listener };
    return listener;
  }

  /**
   * Calls the URL and protocols providers for attempt `gen` and hands their answers to the driver,
   * which ignores them if the attempt was abandoned meanwhile.
   * @param {number} gen
   * @param {ProviderContext} ctx
   */
  #provide(gen, ctx) {
    const driver = this.#driver;
    /** @param {unknown} error */
    const fail = (error) => driver.fail(gen, error);
    /** @param {unknown} url @param {unknown} protocols */
    const open = (url, protocols) => {
      let resolved, list;
      try {
        // Checked as the constructor checks its arguments; a refused one fails this attempt.
        resolved = url === undefined ? undefined : resolveUrl(String(url));
        list = protocols === undefined ? undefined : protocolList(protocols);
        if (list) checkProtocols(list);
      } catch (error) {
        return fail(error);
      }
      driver.open(gen, resolved, list);
    };
    let url, protocols;
    try {
      url = this.#urlProvider?.(ctx);
      protocols = this.#protocolsProvider?.(ctx);
    } catch (error) {
      return fail(error);
    }
    if (isThenable(url) || isThenable(protocols)) {
      Promise.all([url, protocols]).then(([u, p]) => open(u, p), fail);
    } else {
      open(url, protocols);
    }
  }

  /**
   * HTML event-handler attribute semantics: the first assignment installs one listener (in
   * registration order), reassignment keeps its position, `null` removes it. As WebIDL converts
   * an `EventHandler` ([LegacyTreatNonObjectAsNull]), any object is kept, callable or not (one
   * that is not is never called), and anything else is `null`. A handler that returns `false`
   * cancels the event (`preventDefault()`), as HTML's event-handler processing does.
   * @param {string} type
   * @param {unknown} handler
   */
  #setHandler(type, handler) {
    if ((typeof handler !== 'object' && typeof handler !== 'function') || handler === null) {
      const listener = this.#handlerListeners.get(type);
      if (listener) this.removeEventListener(type, listener);
      this.#handlerListeners.delete(type);
      this.#handlers.set(type, null);
      return;
    }
    this.#handlers.set(type, /** @type {object} */ (handler));
    if (!this.#handlerListeners.has(type)) {
      /** @type {EventListener} */
      const listener = (event) => {
        const current = this.#handlers.get(type);
        if (typeof current !== 'function') return;
        if (current.call(this, event) === false) event.preventDefault();
      };
      this.#handlerListeners.set(type, listener);
      this.addEventListener(type, listener);
    }
  }

  /** @returns {((this: ResilientWebSocket, ev: Event) => any) | null} */
  get onopen() {
    return /** @type {any} */ (this.#handlers.get('open') ?? null);
  }
  set onopen(handler) {
    this.#setHandler('open', handler);
  }
  /** @returns {((this: ResilientWebSocket, ev: MessageEvent) => any) | null} */
  get onmessage() {
    return /** @type {any} */ (this.#handlers.get('message') ?? null);
  }
  set onmessage(handler) {
    this.#setHandler('message', handler);
  }
  /** @returns {((this: ResilientWebSocket, ev: Event) => any) | null} */
  get onerror() {
    return /** @type {any} */ (this.#handlers.get('error') ?? null);
  }
  set onerror(handler) {
    this.#setHandler('error', handler);
  }
  /** @returns {((this: ResilientWebSocket, ev: CloseEvent) => any) | null} */
  get onclose() {
    return /** @type {any} */ (this.#handlers.get('close') ?? null);
  }
  set onclose(handler) {
    this.#setHandler('close', handler);
  }
}

// As on the native WebSocket: read-only, enumerable constants on the class and its prototype.
for (const target of [ResilientWebSocket, ResilientWebSocket.prototype]) {
  Object.defineProperties(target, {
    CONNECTING: { value: 0, enumerable: true },
    OPEN: { value: 1, enumerable: true },
    CLOSING: { value: 2, enumerable: true },
    CLOSED: { value: 3, enumerable: true },
  });
}
// WebIDL attributes and operations are enumerable (class members are not by default), `length`
// counts the required arguments only, and the class has its own toStringTag, so that reflection
// (`for…in`, `Object.prototype.toString`) sees what it sees on a native WebSocket.
for (const name of Object.getOwnPropertyNames(ResilientWebSocket.prototype)) {
  if (name === 'constructor') continue;
  const descriptor = /** @type {PropertyDescriptor} */ (Object.getOwnPropertyDescriptor(ResilientWebSocket.prototype, name));
  if (descriptor.configurable) Object.defineProperty(ResilientWebSocket.prototype, name, { enumerable: true });
}
Object.defineProperty(ResilientWebSocket, 'length', { value: 1 });
Object.defineProperty(ResilientWebSocket.prototype.close, 'length', { value: 0 });
Object.defineProperty(ResilientWebSocket.prototype.reconnect, 'length', { value: 0 });
Object.defineProperty(ResilientWebSocket.prototype, Symbol.toStringTag, {
  value: 'ResilientWebSocket',
  configurable: true,
});

export default ResilientWebSocket;
