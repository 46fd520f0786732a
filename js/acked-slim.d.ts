// Generated from js/acked-slim.js's JSDoc by scripts/declarations.js (tsc --declaration): edit the JSDoc
// and run `node scripts/declarations.js`; e2e/package/types.test.js fails while this file is stale.
export type ResilientWebSocketEventMap = import('./class.js').ResilientWebSocketEventMap;
export type ResilientWebSocketOptions = import('./class.js').ResilientWebSocketOptions;
export type ResilientWebSocketStats = import('./class.js').ResilientWebSocketStats;
export type ReconnectOptions = import('./class.js').ReconnectOptions;
export type HeartbeatOptions = import('./class.js').HeartbeatOptions;
export type BufferOptions = import('./class.js').BufferOptions;
export type ConnectionState = import('./class.js').ConnectionState;
export type DropReason = import('./class.js').DropReason;
export type Jitter = import('./class.js').Jitter;
export type LastClose = import('./class.js').LastClose;
export type ProviderContext = import('./class.js').ProviderContext;
export type ProtocolsOption = import('./class.js').ProtocolsOption;
export type UrlOption = import('./class.js').UrlOption;
export type WebSocketPayload = import('./class.js').WebSocketPayload;
/**
 * Loads and instantiates the acked build's wasm module; resolves once `new ResilientWebSocket()`
 * works. Without an argument it fetches the `.wasm` shipped beside this file (a bundler sees this
 * `new URL(…, import.meta.url)` and emits the file); pass a URL, a `Response`, the bytes or a
 * `WebAssembly.Module` to load it otherwise.
 * @param {RequestInfo | URL | Response | BufferSource | WebAssembly.Module | Promise<Response>} [input]
 * @returns {Promise<void>}
 */
export declare function init(input?: RequestInfo | URL | Response | BufferSource | WebAssembly.Module | Promise<Response>): Promise<void>;
export { ResilientWebSocket, StateChangeEvent, ReconnectingEvent, DropEvent, HeartbeatEvent, SessionLostEvent, } from './class.js';
export { ResilientWebSocket as default } from './class.js';
