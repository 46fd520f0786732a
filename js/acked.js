// @ts-check
/*
 * `resilient-websocket/acked`: the same class with both delivery modes, plain and
 * `delivery: 'acked'` (PROTOCOL.md), the acked build's wasm inlined (`dist/wasm-inline-acked.js`)
 * and instantiated at import. An app that imports this entry anywhere gets both modes in every
 * `ResilientWebSocket`, also those the React and Vue bindings create (see `useDriver`).
 */
/**
 * The public types (js/class.js), re-exported by name: the entry's declarations say
 * `export type ResilientWebSocketOptions = …` for each (scripts/declarations.js).
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
import { initSync, WebDriver } from '../pkg-acked/resilient_websocket.js';
import wasmHex from '../dist/wasm-inline-acked.js';
import { useInlinedModule } from './inline.js';

useInlinedModule(initSync, WebDriver, wasmHex);

export {
  ResilientWebSocket,
  StateChangeEvent,
  ReconnectingEvent,
  DropEvent,
  HeartbeatEvent,
  SessionLostEvent,
} from './class.js';
export { ResilientWebSocket as default } from './class.js';
