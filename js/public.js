// @ts-check
/*
 * What every entry of the package exports besides its own initialisation: the class, its event
 * classes and the public types (js/class.js). The entries (index.js, slim.js, acked.js,
 * acked-slim.js) differ only in the build they load and how.
 */
export {
  ResilientWebSocket,
  StateChangeEvent,
  ReconnectingEvent,
  DropEvent,
  HeartbeatEvent,
  SessionLostEvent,
  ShareRoleEvent,
} from './class.js';

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
