// @ts-check
/**
 * `ResilientWebSocket`: a drop-in replacement for the browser's `WebSocket` whose connection logic
 * runs in WebAssembly. This class is deliberately thin: it owns the wasm driver, forwards the
 * getters, implements the `on*` attributes as HTML defines them, and turns the driver's callbacks
 * into real `Event`, `MessageEvent` and `CloseEvent` objects on a real `EventTarget`.
 */
import init, { WebDriver } from '../pkg/resilient_websocket.js';

await init();

/** @typedef {string | ArrayBufferLike | Blob | ArrayBufferView} WebSocketPayload */

/**
 * The UTF-8 size of a string, counted without encoding it (what `bufferedAmount` reports).
 * @param {string} text
 */
function utf8Length(text) {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        // A surrogate pair: 2 UTF-16 units become 4 UTF-8 bytes.
        bytes += 2;
        i++;
        continue;
      }
    }
    if (unit >= 0x800) bytes += 2;
    else if (unit >= 0x80) bytes += 1;
  }
  return bytes;
}

/**
 * The byte size of a payload, or `undefined` for a type the native `send()` would stringify.
 * @param {unknown} data
 */
function payloadSize(data) {
  if (typeof data === 'string') return utf8Length(data);
  if (data instanceof ArrayBuffer) return data.byteLength;
  if (ArrayBuffer.isView(data)) return data.byteLength;
  if (typeof Blob !== 'undefined' && data instanceof Blob) return data.size;
  return undefined;
}

/**
 * Resolves `url` the way the native constructor does: relative to the document, `http(s):` mapped
 * to `ws(s):`. Throws a `SyntaxError` DOMException for anything the native constructor rejects.
 * @param {string | URL} url
 */
function resolveUrl(url) {
  const base = typeof document !== 'undefined' ? document.baseURI : undefined;
  let parsed;
  try {
    parsed = new URL(String(url), base);
  } catch {
    throw new DOMException(`The URL '${url}' is invalid.`, 'SyntaxError');
  }
  if (parsed.protocol === 'http:') parsed.protocol = 'ws:';
  else if (parsed.protocol === 'https:') parsed.protocol = 'wss:';
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') {
    throw new DOMException(
      `The URL's scheme must be either 'http', 'https', 'ws', or 'wss'. '${parsed.protocol}' is not allowed.`,
      'SyntaxError',
    );
  }
  if (parsed.hash) {
    throw new DOMException(
      `The URL contains a fragment identifier ('${parsed.hash}'). Fragment identifiers are not allowed in WebSocket URLs.`,
      'SyntaxError',
    );
  }
  return parsed.href;
}

export class ResilientWebSocket extends EventTarget {
  static CONNECTING = /** @type {const} */ (0);
  static OPEN = /** @type {const} */ (1);
  static CLOSING = /** @type {const} */ (2);
  static CLOSED = /** @type {const} */ (3);
  CONNECTING = /** @type {const} */ (0);
  OPEN = /** @type {const} */ (1);
  CLOSING = /** @type {const} */ (2);
  CLOSED = /** @type {const} */ (3);

  /** @type {WebDriver} */
  #driver;
  /** @type {Map<string, Function | null>} the current value of each `on*` attribute */
  #handlers = new Map();
  /** @type {Map<string, EventListener>} the listener each `on*` attribute installed */
  #handlerListeners = new Map();

  /**
   * @param {string | URL} url
   * @param {string | string[]} [protocols]
   */
  constructor(url, protocols = []) {
    super();
    const list = typeof protocols === 'string' ? [protocols] : Array.from(protocols);
    this.#driver = new WebDriver(resolveUrl(url), list, WebSocket, (kind, a, b, c) =>
      this.#dispatch(kind, a, b, c),
    );
  }

  get url() {
    return this.#driver.url;
  }

  /** @returns {0 | 1 | 2 | 3} */
  get readyState() {
    return /** @type {0 | 1 | 2 | 3} */ (this.#driver.readyState);
  }

  get connectionState() {
    return this.#driver.connectionState;
  }

  get bufferedAmount() {
    return this.#driver.bufferedAmount;
  }

  get protocol() {
    return this.#driver.protocol;
  }

  get extensions() {
    return this.#driver.extensions;
  }

  /** @param {WebSocketPayload} data */
  send(data) {
    let payload = /** @type {unknown} */ (data);
    let size = payloadSize(payload);
    if (size === undefined) {
      // The native send() stringifies anything else (numbers, objects) via WebIDL's USVString.
      payload = String(payload);
      size = utf8Length(/** @type {string} */ (payload));
    }
    const failure = this.#driver.send(payload, size);
    if (failure) throw new DOMException(sendFailureMessage(failure), failure);
  }

  /**
   * @param {number} [code]
   * @param {string} [reason]
   */
  close(code, reason) {
    const failure = this.#driver.close(code, reason);
    if (failure) throw new DOMException(closeFailureMessage(failure, code), failure);
  }

  /** Drops the current socket, if any, and connects again at once. */
  reconnect() {
    this.#driver.reconnect();
  }

  /**
   * Turns a driver callback into a real DOM event.
   * @param {string} kind
   * @param {any} a
   * @param {any} b
   * @param {any} c
   */
  #dispatch(kind, a, b, c) {
    let event;
    switch (kind) {
      case 'message':
        event = new MessageEvent('message', { data: a, origin: new URL(this.url).origin });
        break;
      case 'close':
        event = new CloseEvent('close', { code: a, reason: b, wasClean: c });
        break;
      default:
        event = new Event(kind);
    }
    this.dispatchEvent(event);
  }

  /**
   * HTML event-handler attribute semantics: the first assignment installs one listener (in
   * registration order), reassignment keeps its position, `null` removes it.
   * @param {string} type
   * @param {unknown} handler
   */
  #setHandler(type, handler) {
    if (typeof handler !== 'function') {
      const listener = this.#handlerListeners.get(type);
      if (listener) this.removeEventListener(type, listener);
      this.#handlerListeners.delete(type);
      this.#handlers.set(type, null);
      return;
    }
    this.#handlers.set(type, handler);
    if (!this.#handlerListeners.has(type)) {
      /** @type {EventListener} */
      const listener = (event) => this.#handlers.get(type)?.call(this, event);
      this.#handlerListeners.set(type, listener);
      this.addEventListener(type, listener);
    }
  }

  get onopen() {
    return this.#handlers.get('open') ?? null;
  }
  set onopen(handler) {
    this.#setHandler('open', handler);
  }
  get onmessage() {
    return this.#handlers.get('message') ?? null;
  }
  set onmessage(handler) {
    this.#setHandler('message', handler);
  }
  get onerror() {
    return this.#handlers.get('error') ?? null;
  }
  set onerror(handler) {
    this.#setHandler('error', handler);
  }
  get onclose() {
    return this.#handlers.get('close') ?? null;
  }
  set onclose(handler) {
    this.#setHandler('close', handler);
  }
}

/** @param {string} name */
function sendFailureMessage(name) {
  return name === 'QuotaExceededError'
    ? 'The outbound buffer is full.'
    : 'The connection is closed for good; the message cannot be delivered.';
}

/**
 * @param {string} name
 * @param {number | undefined} code
 */
function closeFailureMessage(name, code) {
  return name === 'InvalidAccessError'
    ? `The close code must be either 1000, or between 3000 and 4999. ${code} is neither.`
    : 'The close reason must not be greater than 123 UTF-8 bytes.';
}

export default ResilientWebSocket;
