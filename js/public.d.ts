// Generated from js/public.js's JSDoc by scripts/declarations.js (tsc --declaration): edit the JSDoc
// and run `node scripts/declarations.js`; e2e/package/types.test.js fails while this file is stale.
export { ResilientWebSocket, StateChangeEvent, ReconnectingEvent, DropEvent, HeartbeatEvent, SessionLostEvent, ShareRoleEvent, } from './class.js';
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
 * The public types (js/class.js), re-exported by name: the declarations say
 * `export type ResilientWebSocketOptions = …` for each (scripts/declarations.js). tsc 7 also
 * copies this block into them as it is; last in the file, it reads as the documentation of none
 * of the exports above.
 * @typedef {import('./class.js').ResilientWebSocketEventMap} ResilientWebSocketEventMap
 * @typedef {import('./class.js').ResilientWebSocketOptions} ResilientWebSocketOptions
 * @typedef {import('./class.js').ResilientWebSocketStats} ResilientWebSocketStats
 * @typedef {import('./class.js').ReconnectOptions} ReconnectOptions
 * @typedef {import('./class.js').HeartbeatOptions} HeartbeatOptions
 * @typedef {import('./class.js').BufferOptions} BufferOptions
 * @typedef {import('./class.js').ConnectionState} ConnectionState
 * @typedef {import('./class.js').DropReason} DropReason
 * @typedef {import('./class.js').Jitter} Jitter
 * @typedef {import('./class.js').LastClose} LastClose
 * @typedef {import('./class.js').ProviderContext} ProviderContext
 * @typedef {import('./class.js').ProtocolsOption} ProtocolsOption
 * @typedef {import('./class.js').UrlOption} UrlOption
 * @typedef {import('./class.js').WebSocketPayload} WebSocketPayload
 */
