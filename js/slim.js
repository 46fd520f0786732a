// @ts-check
/*
 * `resilient-websocket/slim`: the same class, with the `.wasm` as a separate file that `init()`
 * fetches and compiles while streaming. For apps that want the JS small and the wasm cached on its
 * own. Constructing before `init()` resolved throws an error that says so.
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
import initWasm, { WebDriver } from '../pkg/resilient_websocket.js';
import { useDriver } from './class.js';

/**
 * Loads and instantiates the wasm module; resolves once `new ResilientWebSocket()` works. Calling
 * it again returns the same initialisation. Without an argument it fetches the `.wasm` shipped
 * beside this file (bundlers such as Vite and webpack 5 see this `new URL(…, import.meta.url)` and
 * emit the file); pass a URL, a `Response`, the bytes or a `WebAssembly.Module` to load it otherwise.
 * @param {RequestInfo | URL | Response | BufferSource | WebAssembly.Module | Promise<Response>} [input]
 * @returns {Promise<void>}
 */
export async function init(input) {
  await initWasm({ module_or_path: input ?? new URL('../pkg/resilient_websocket_bg.wasm', import.meta.url) });
  useDriver(WebDriver);
}

export {
  ResilientWebSocket,
  StateChangeEvent,
  ReconnectingEvent,
  DropEvent,
  HeartbeatEvent,
  SessionLostEvent,
} from './class.js';
export { ResilientWebSocket as default } from './class.js';
