// Types of the class every entry exports (js/class.js). Hand-written: the README's option table and
// event list are the contract, and these mirror them.

/** What `send()` takes, as on the native `WebSocket`. */
export type WebSocketPayload = string | ArrayBufferLike | Blob | ArrayBufferView;

/** The code, reason and `wasClean` of a close. */
export interface LastClose {
  code: number;
  reason: string;
  wasClean: boolean;
}

/** What a URL or protocols provider receives before each attempt. */
export interface ProviderContext {
  /** Attempts since the last open: 0 for the first. */
  attempt: number;
  /** The last close, or `null` before any. */
  lastClose: LastClose | null;
}

/** A URL, or a provider called before every attempt (sync or async). */
export type UrlOption = string | URL | ((ctx: ProviderContext) => string | URL | Promise<string | URL>);

/** Subprotocols, or a provider called before every attempt (sync or async). */
export type ProtocolsOption = string | string[] | ((ctx: ProviderContext) => string | string[] | Promise<string | string[]>);

export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'offline' | 'closing' | 'closed';

/** `'unconfirmed'`: acked delivery only (sent, never acknowledged, and the session ended). */
export type DropReason = 'closed' | 'overflow' | 'expired' | 'filtered' | 'giveup' | 'unconfirmed';

/** `'full'` (uniform 0..d), `'equal'` (d/2..d), `'decorrelated'`, `'none'`, or r in [0, 1] for d·(1±r). */
export type Jitter = 'full' | 'equal' | 'decorrelated' | 'none' | number;

export interface ReconnectOptions {
  /** Base of the backoff, ms: the first retry waits 0–5 s by default. Default 5000. */
  minDelay?: number;
  /** Cap of every delay, ms. Default 7000. */
  maxDelay?: number;
  /** Growth per attempt (>= 1). Default 1.4. */
  factor?: number;
  /** Default `'full'`. */
  jitter?: Jitter;
  /** Failed attempts in a row before `giveup`. Default `Infinity`. */
  maxRetries?: number;
  /** A handshake slower than this fails the attempt, ms. Default 10000. */
  connectTimeout?: number;
  /** The attempt counter resets only after a connection stayed open this long, ms. Default 5000. */
  minUptime?: number;
  /**
   * Decides after a close the client did not ask for: `true` reconnects, `false` stops,
   * `{ delay }` reconnects after `delay` ms; anything else leaves it to the default policy.
   * Not asked after your own `close()`.
   */
  shouldReconnect?: (event: CloseEvent) => boolean | { delay: number } | undefined;
}

export interface HeartbeatOptions {
  /** A ping is sent after this long with no inbound traffic, ms. Default 25000. */
  interval?: number;
  /** No inbound traffic this long after a ping: closed with 4000 and reconnected, ms. Default 10000. */
  timeout?: number;
  /** The ping. Default `'ping'`. */
  message?: WebSocketPayload | (() => WebSocketPayload);
  /** A string the pong equals, or a predicate. Default `'pong'`. */
  pong?: string | ((data: any) => boolean);
  /** Dispatch pongs as `message` events too. Default `false`. */
  exposePongs?: boolean;
}

export interface BufferOptions {
  /** Queue cap by count. Default 10000. */
  maxMessages?: number;
  /** Queue cap by bytes (UTF-8 size of strings). Default 16777216. */
  maxBytes?: number;
  /** What a full queue does. Default `'throw'` (`send()` throws `QuotaExceededError`). */
  overflow?: 'throw' | 'drop-oldest' | 'drop-newest';
  /** Messages older than this (ms) when due for replay are dropped. Default `Infinity`. */
  ttl?: number;
  /** `false` drops the queue at open instead of replaying it; a function filters it. Default `true`. */
  replay?: boolean | ((data: any) => boolean);
}

/** The third constructor argument; every field is optional (see the README's option table). */
export interface ResilientWebSocketOptions {
  reconnect?: ReconnectOptions;
  /** Off by default; `true` for the defaults, or an object. */
  heartbeat?: boolean | HeartbeatOptions;
  buffer?: BufferOptions;
  /** React to `online`/`offline`. Default `true`. */
  network?: boolean;
  /** React to visibility, `pagehide`/`pageshow`, `freeze`/`resume`. Default `true`. */
  pageLifecycle?: boolean;
  /** Stay `CLOSED` until `reconnect()`. Default `false`. */
  startClosed?: boolean;
  /** The constructor to drive. Default: the global `WebSocket`. */
  WebSocket?: new (url: string, protocols?: string | string[]) => WebSocket;
  /** `true` logs every event with `console.debug`; a function receives `(event, detail)`. */
  debug?: boolean | ((event: string, detail: Event) => void);
  /** `'acked'`: exactly-once delivery both ways with the server adapter (PROTOCOL.md). Default `'plain'`. */
  delivery?: 'plain' | 'acked';
  /** Acked delivery: a received message is acknowledged within this many ms. Default 100. */
  ackInterval?: number;
}

export interface ResilientWebSocketStats {
  attempts: number;
  reconnects: number;
  downtimeMs: number;
  lastRtt: number | null;
  queued: number;
  queuedBytes: number;
  dropped: number;
  replayed: number;
  /** Acked delivery: messages sent and not yet acknowledged (0 in plain mode). */
  unacked: number;
  /** Acked delivery: their bytes. */
  unackedBytes: number;
  /** Acked delivery: messages resent after a reconnect because the server lacked them. */
  resent: number;
}

/** `connectionState` changed. */
export class StateChangeEvent extends Event {
  constructor(from: ConnectionState, to: ConnectionState);
  readonly type: 'statechange';
  from: ConnectionState;
  to: ConnectionState;
}

/** An automatic reconnect attempt was scheduled. */
export class ReconnectingEvent extends Event {
  constructor(attempt: number, delay: number);
  readonly type: 'reconnecting';
  /** 1, 2, … */
  attempt: number;
  /** ms until the attempt. */
  delay: number;
}

/** A queued message was dropped instead of sent. */
export class DropEvent extends Event {
  constructor(data: WebSocketPayload, reason: DropReason);
  readonly type: 'drop';
  data: WebSocketPayload;
  reason: DropReason;
}

/** A heartbeat round trip completed. */
export class HeartbeatEvent extends Event {
  constructor(rtt: number);
  readonly type: 'heartbeat';
  /** ms */
  rtt: number;
}

/** Acked delivery: the server started a new session instead of resuming ours. */
export class SessionLostEvent extends Event {
  constructor(unconfirmed: number);
  readonly type: 'sessionlost';
  /** How many of our messages may not have arrived (each also had a `drop` event). */
  unconfirmed: number;
}

/** Every event a `ResilientWebSocket` dispatches, by type. */
export interface ResilientWebSocketEventMap {
  open: Event;
  message: MessageEvent;
  error: Event;
  close: CloseEvent;
  statechange: StateChangeEvent;
  reconnecting: ReconnectingEvent;
  giveup: Event;
  drop: DropEvent;
  heartbeat: HeartbeatEvent;
  sessionlost: SessionLostEvent;
}

/** A drop-in replacement for the browser's `WebSocket` that keeps the connection up. */
export class ResilientWebSocket extends EventTarget {
  constructor(url: UrlOption, protocols?: ProtocolsOption, options?: ResilientWebSocketOptions);

  static readonly CONNECTING: 0;
  static readonly OPEN: 1;
  static readonly CLOSING: 2;
  static readonly CLOSED: 3;
  readonly CONNECTING: 0;
  readonly OPEN: 1;
  readonly CLOSING: 2;
  readonly CLOSED: 3;

  /** The resolved URL; with a URL provider, that of the current or last attempt (`''` before). */
  readonly url: string;
  /** `CONNECTING` through every reconnect cycle; `CLOSED` only when terminal. */
  readonly readyState: 0 | 1 | 2 | 3;
  readonly connectionState: ConnectionState;
  /** The socket's unsent bytes plus the queued messages' sizes. */
  readonly bufferedAmount: number;
  readonly protocol: string;
  readonly extensions: string;
  binaryType: BinaryType;
  readonly stats: ResilientWebSocketStats;

  /** Sends now when `OPEN`, queues while `CONNECTING`, throws `InvalidStateError` after a terminal close. */
  send(data: WebSocketPayload): void;
  /** Closes for good: no reconnect follows. */
  close(code?: number, reason?: string): void;
  /** Drops the current socket, if any, and connects now with the backoff reset; reopens after `close()`. */
  reconnect(code?: number, reason?: string): void;

  onopen: ((this: ResilientWebSocket, ev: Event) => any) | null;
  onmessage: ((this: ResilientWebSocket, ev: MessageEvent) => any) | null;
  onerror: ((this: ResilientWebSocket, ev: Event) => any) | null;
  onclose: ((this: ResilientWebSocket, ev: CloseEvent) => any) | null;

  addEventListener<K extends keyof ResilientWebSocketEventMap>(
    type: K,
    listener: (this: ResilientWebSocket, ev: ResilientWebSocketEventMap[K]) => any,
    options?: boolean | AddEventListenerOptions,
  ): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions): void;
  removeEventListener<K extends keyof ResilientWebSocketEventMap>(
    type: K,
    listener: (this: ResilientWebSocket, ev: ResilientWebSocketEventMap[K]) => any,
    options?: boolean | EventListenerOptions,
  ): void;
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | EventListenerOptions): void;
}

export default ResilientWebSocket;

/** @internal Used by the entries: hands over the initialised wasm driver class. */
export function useDriver(driverClass: unknown): void;
/** @internal Used by the default entry: records why the wasm module could not be initialised. */
export function driverFailed(error: unknown): void;
