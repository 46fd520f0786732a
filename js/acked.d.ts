// Generated from js/acked.js's JSDoc by scripts/declarations.js (tsc --declaration): edit the JSDoc
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
export { ResilientWebSocket, StateChangeEvent, ReconnectingEvent, DropEvent, HeartbeatEvent, SessionLostEvent, } from './class.js';
export { ResilientWebSocket as default } from './class.js';
