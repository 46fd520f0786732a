// Generated from js/class.js's JSDoc by scripts/declarations.js (tsc --declaration): edit the JSDoc
// and run `node scripts/declarations.js`; e2e/package/types.test.js fails while this file is stale.
export type WebSocketPayload = string | ArrayBufferLike | Blob | ArrayBufferView;
export type LastClose = {
    code: number;
    reason: string;
    wasClean: boolean;
};
export type ProviderContext = {
    /**
     * Attempts since the last open: 0 for the first.
     */
    attempt: number;
    /**
     * The last close, or `null` before any.
     */
    lastClose: LastClose | null;
};
export type UrlOption = string | URL | ((ctx: ProviderContext) => string | URL | Promise<string | URL>);
export type ProtocolsOption = string | string[] | ((ctx: ProviderContext) => string | string[] | Promise<string | string[]>);
export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'offline' | 'closing' | 'closed';
export type DropReason = 'closed' | 'overflow' | 'expired' | 'filtered' | 'giveup' | 'unconfirmed';
export type Jitter = 'full' | 'equal' | 'decorrelated' | 'none' | number;
export type ReconnectOptions = {
    /**
     * The first retry after a loss waits `firstDelay·(1 ± firstJitter)` ms,
     * capped by `maxDelay`, instead of its place on the schedule (not after a 1012 or 1013); `null` puts it on
     * the schedule too. Default 1200 (0.9–1.5 s), or `null` if `minDelay` or `jitter` is given.
     */
    firstDelay?: number | null;
    /**
     * The first retry's spread around `firstDelay`, a ratio in [0, 1]. Default 0.25.
     */
    firstJitter?: number;
    /**
     * Base of the backoff, ms: retry n (0 the first) waits
     * `jitter(min(maxDelay, minDelay·factorⁿ))`; the second retry 0–4 s by default. Default 1600.
     */
    minDelay?: number;
    /**
     * Cap of every delay, ms: from the third retry on, 0–9 s by default. Default 9000.
     */
    maxDelay?: number;
    /**
     * Growth per attempt (>= 1). Default 2.5.
     */
    factor?: number;
    /**
     * Default `'full'`.
     */
    jitter?: Jitter;
    /**
     * Failed attempts in a row before `giveup`. Default `Infinity`.
     */
    maxRetries?: number;
    /**
     * A handshake slower than this fails the attempt, ms. Default 10000.
     */
    connectTimeout?: number;
    /**
     * The attempt counter resets only after a connection stayed open this long, ms. Default 5000.
     */
    minUptime?: number;
    /**
     * Decides after a close the client did not ask for: `true` reconnects, `false` stops,
     * `{ delay }` reconnects after `delay` ms; anything else leaves it to the default policy.
     * Not asked after your own `close()`.
     */
    shouldReconnect?: (event: CloseEvent) => boolean | {
        delay: number;
    } | undefined;
};
export type HeartbeatOptions = {
    /**
     * A ping is sent after this long with no inbound traffic, ms. Default 25000.
     */
    interval?: number;
    /**
     * No inbound traffic this long after a ping: closed with 4000 and reconnected, ms. Default 10000.
     */
    timeout?: number;
    /**
     * The ping. Default `'ping'`.
     */
    message?: WebSocketPayload | (() => WebSocketPayload);
    /**
     * A string the pong equals, or a predicate. Default `'pong'`.
     */
    pong?: string | ((data: any) => boolean);
    /**
     * Dispatch pongs as `message` events too. Default `false`.
     */
    exposePongs?: boolean;
};
export type BufferOptions = {
    /**
     * Queue cap by count. Default 10000.
     */
    maxMessages?: number;
    /**
     * Queue cap by bytes (UTF-8 size of strings). Default 16777216.
     */
    maxBytes?: number;
    /**
     * What a full queue does. Default `'throw'` (`send()` throws `QuotaExceededError`).
     */
    overflow?: 'throw' | 'drop-oldest' | 'drop-newest';
    /**
     * Messages older than this (ms) when due for replay are dropped. Default `Infinity`.
     */
    ttl?: number;
    /**
     * `false` drops the queue at open instead of replaying it; a function filters it. Default `true`.
     */
    replay?: boolean | ((data: any) => boolean);
};
export type ResilientWebSocketOptions = {
    reconnect?: ReconnectOptions;
    /**
     * Off by default; `true` for the defaults, or an object.
     */
    heartbeat?: boolean | HeartbeatOptions;
    buffer?: BufferOptions;
    /**
     * React to `online`/`offline`. Default `true`.
     */
    network?: boolean;
    /**
     * React to visibility, `pagehide`/`pageshow`, `freeze`/`resume`. Default `true`.
     */
    pageLifecycle?: boolean;
    /**
     * Stay `CLOSED` until `reconnect()`. Default `false`.
     */
    startClosed?: boolean;
    /**
     * The constructor to drive. Default: the global `WebSocket`.
     */
    WebSocket?: new (url: string, protocols?: string | string[]) => WebSocket;
    /**
     * `true` logs every event with `console.debug`; a function receives `(event, detail)`.
     */
    debug?: boolean | ((event: string, detail: Event) => void);
    /**
     * `'acked'`: exactly-once delivery both ways with the server adapter (PROTOCOL.md). Default `'plain'`.
     */
    delivery?: 'plain' | 'acked';
    /**
     * Acked delivery: a received message is acknowledged within this many ms. Default 100.
     */
    ackInterval?: number;
    /**
     * One connection for every instance with the same URL, protocols and `share` key in the browser profile, held by one elected tab (README, "One connection for every tab"); a string is the key. Needs `resilient-websocket/share`. Default `false`.
     */
    share?: boolean | string;
};
export type ShareRole = 'electing' | 'follower' | 'holder' | 'left';
export type ResilientWebSocketStats = {
    attempts: number;
    reconnects: number;
    downtimeMs: number;
    lastRtt: number | null;
    queued: number;
    queuedBytes: number;
    dropped: number;
    replayed: number;
    /**
     * Acked delivery: messages sent and not yet acknowledged (0 in plain mode).
     */
    unacked: number;
    /**
     * Acked delivery: their bytes.
     */
    unackedBytes: number;
    /**
     * Acked delivery: messages resent after a reconnect because the server lacked them.
     */
    resent: number;
};
export type ResilientWebSocketEventMap = {
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
    sharerole: ShareRoleEvent;
};
export type EventOfType<T extends string> = {
    new (type: T): Event & {
        readonly type: T;
    };
    prototype: Event;
} & Omit<typeof Event, 'prototype'>;
export type ResilientWebSocketBase = {
    new (): ResilientWebSocketTarget;
    prototype: ResilientWebSocketTarget;
    readonly CONNECTING: 0;
    readonly OPEN: 1;
    readonly CLOSING: 2;
    readonly CLOSED: 3;
};
export type ResilientWebSocketTarget = {
    readonly CONNECTING: 0;
    readonly OPEN: 1;
    readonly CLOSING: 2;
    readonly CLOSED: 3;
    addEventListener<K extends keyof ResilientWebSocketEventMap>(type: K, listener: (this: ResilientWebSocket, ev: ResilientWebSocketEventMap[K]) => any, options?: boolean | AddEventListenerOptions): void;
    addEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions): void;
    removeEventListener<K extends keyof ResilientWebSocketEventMap>(type: K, listener: (this: ResilientWebSocket, ev: ResilientWebSocketEventMap[K]) => any, options?: boolean | EventListenerOptions): void;
    removeEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | EventListenerOptions): void;
    dispatchEvent(event: Event): boolean;
};
/**
 * Hands over the driver class of the initialised wasm module: from now on instances can be built.
 * When an app loads both builds (one module imports the default entry, another
 * `resilient-websocket/acked`), the acked build's driver, which does both modes, serves every
 * instance, whichever entry ran first.
 * @internal Used by the entries. Its parameter is `unknown` to the declarations, which do not
 * describe the wasm-bindgen glue.
 * @param {unknown} driverClass the glue's `WebDriver`
 */
export declare function useDriver(driverClass: unknown): void;
/**
 * Records why the wasm module could not be initialised here, for every constructor call to report.
 * @internal Used by the inlining entries.
 * @param {unknown} error
 */
export declare function driverFailed(error: unknown): void;
export type ShareFactory = (options: {
    instance: EventTarget;
    url: string;
    protocols: string[];
    key: string;
    config: Float64Array;
    hooks: unknown[];
    providers: boolean;
}) => ShareMember | null;
export type ShareMember = {
    readonly role: ShareRole;
    end(): void;
};
/**
 * Installs sharing (`share`) for every instance constructed after.
 * @internal Used by the share entries (js/share-link.js).
 * @param {ShareFactory} factory
 */
export declare function useShare(factory: ShareFactory): void;
declare const StateChangeEvent_base: EventOfType<"statechange">;
/** `connectionState` changed. */
export declare class StateChangeEvent extends /** @type {EventOfType<'statechange'>} */ /** @type {EventOfType<'statechange'>} */ StateChangeEvent_base {
    from: ConnectionState;
    to: ConnectionState;
    /**
     * @param {ConnectionState} from
     * @param {ConnectionState} to
     */
    constructor(from: ConnectionState, to: ConnectionState);
}
declare const ReconnectingEvent_base: EventOfType<"reconnecting">;
/** An automatic reconnect attempt was scheduled. */
export declare class ReconnectingEvent extends /** @type {EventOfType<'reconnecting'>} */ /** @type {EventOfType<'reconnecting'>} */ ReconnectingEvent_base {
    /** 1, 2, … */
    attempt: number;
    /** ms until the attempt. */
    delay: number;
    /**
     * @param {number} attempt
     * @param {number} delay
     */
    constructor(attempt: number, delay: number);
}
declare const DropEvent_base: EventOfType<"drop">;
/** A queued message was dropped instead of sent. */
export declare class DropEvent extends /** @type {EventOfType<'drop'>} */ /** @type {EventOfType<'drop'>} */ DropEvent_base {
    data: WebSocketPayload;
    reason: DropReason;
    /**
     * @param {WebSocketPayload} data
     * @param {DropReason} reason
     */
    constructor(data: WebSocketPayload, reason: DropReason);
}
declare const HeartbeatEvent_base: EventOfType<"heartbeat">;
/** A heartbeat round trip completed. */
export declare class HeartbeatEvent extends /** @type {EventOfType<'heartbeat'>} */ /** @type {EventOfType<'heartbeat'>} */ HeartbeatEvent_base {
    /** ms */
    rtt: number;
    /** @param {number} rtt */
    constructor(rtt: number);
}
declare const SessionLostEvent_base: EventOfType<"sessionlost">;
/**
 * Acknowledged delivery: the server started a new session instead of resuming ours (PROTOCOL.md).
 * Messages it had not yet delivered are lost; ours that it had not acknowledged were reported just
 * before with `drop` events (reason `'unconfirmed'`).
 */
export declare class SessionLostEvent extends /** @type {EventOfType<'sessionlost'>} */ /** @type {EventOfType<'sessionlost'>} */ SessionLostEvent_base {
    /** How many of our messages may not have arrived (each also had a `drop` event). */
    unconfirmed: number;
    /** @param {number} unconfirmed how many of our messages may not have arrived */
    constructor(unconfirmed: number);
}
declare const ShareRoleEvent_base: EventOfType<"sharerole">;
/** `sharerole`: the instance's part in its share group changed (see `shareRole`). */
export declare class ShareRoleEvent extends /** @type {EventOfType<'sharerole'>} */ /** @type {EventOfType<'sharerole'>} */ ShareRoleEvent_base {
    /** @readonly */
    role: ShareRole;
    /** @param {ShareRole} role */
    constructor(role: ShareRole);
}
declare const ResilientWebSocket_base: ResilientWebSocketBase;
/** A drop-in replacement for the browser's `WebSocket` that keeps the connection up. */
export declare class ResilientWebSocket extends /** @type {ResilientWebSocketBase} */ /** @type {ResilientWebSocketBase} */ ResilientWebSocket_base {
    #private;
    /**
     * @param {UrlOption} url
     * @param {ProtocolsOption} [protocols]
     * @param {ResilientWebSocketOptions} [options] see the README for every option and its default
     */
    constructor(url: UrlOption, protocols?: ProtocolsOption, options?: ResilientWebSocketOptions);
    /**
     * The resolved URL; with a URL provider, that of the current or last attempt (`''` before).
     * @returns {string}
     */
    get url(): string;
    /**
     * `CONNECTING` through every reconnect cycle; `CLOSED` only when terminal.
     * @returns {0 | 1 | 2 | 3}
     */
    get readyState(): 0 | 1 | 2 | 3;
    /** @returns {ConnectionState} */
    get connectionState(): ConnectionState;
    /**
     * The socket's unsent bytes plus the queued messages' sizes.
     * @returns {number}
     */
    get bufferedAmount(): number;
    /** @returns {string} */
    get protocol(): string;
    /** @returns {string} */
    get extensions(): string;
    /** @returns {BinaryType} */
    get binaryType(): BinaryType;
    /** @param {BinaryType} value */
    set binaryType(value: BinaryType);
    /** @returns {ResilientWebSocketStats} */
    get stats(): ResilientWebSocketStats;
    /**
     * Sends now when `OPEN`, queues while `CONNECTING`, throws `InvalidStateError` after a terminal close.
     * @param {WebSocketPayload} data
     */
    send(data: WebSocketPayload): void;
    /**
     * Closes for good: no reconnect follows.
     * @param {number} [code]
     * @param {string} [reason]
     */
    close(code?: number, reason?: string): void;
    /**
     * Drops the current socket, if any, and connects again at once with the backoff reset; also
     * reopens after a terminal close or `startClosed`.
     * @param {number} [code]
     * @param {string} [reason]
     */
    reconnect(code?: number, reason?: string): void;
    /**
     * The instance's part in its share group: `'holder'` (its tab holds the group's connection),
     * `'follower'`, `'electing'` (no holder known: one is being elected) or `'left'` (closed, or
     * its page hidden in the back/forward cache); `null` when not shared (`share` not given, or
     * the browser has no Web Locks).
     * @returns {ShareRole | null}
     */
    get shareRole(): ShareRole | null;
    /** @returns {((this: ResilientWebSocket, ev: Event) => any) | null} */
    get onopen(): ((this: ResilientWebSocket, ev: Event) => any) | null;
    set onopen(handler: ((this: ResilientWebSocket, ev: Event) => any) | null);
    /** @returns {((this: ResilientWebSocket, ev: MessageEvent) => any) | null} */
    get onmessage(): ((this: ResilientWebSocket, ev: MessageEvent) => any) | null;
    set onmessage(handler: ((this: ResilientWebSocket, ev: MessageEvent) => any) | null);
    /** @returns {((this: ResilientWebSocket, ev: Event) => any) | null} */
    get onerror(): ((this: ResilientWebSocket, ev: Event) => any) | null;
    set onerror(handler: ((this: ResilientWebSocket, ev: Event) => any) | null);
    /** @returns {((this: ResilientWebSocket, ev: CloseEvent) => any) | null} */
    get onclose(): ((this: ResilientWebSocket, ev: CloseEvent) => any) | null;
    set onclose(handler: ((this: ResilientWebSocket, ev: CloseEvent) => any) | null);
}
export default ResilientWebSocket;
