// `resilient-websocket`: the default entry, wasm inlined and initialised at import.
export {
  ResilientWebSocket,
  StateChangeEvent,
  ReconnectingEvent,
  DropEvent,
  HeartbeatEvent,
  SessionLostEvent,
  ResilientWebSocketEventMap,
  ResilientWebSocketOptions,
  ResilientWebSocketStats,
  ReconnectOptions,
  HeartbeatOptions,
  BufferOptions,
  ConnectionState,
  DropReason,
  Jitter,
  LastClose,
  ProviderContext,
  ProtocolsOption,
  UrlOption,
  WebSocketPayload,
} from './class.js';
export { ResilientWebSocket as default } from './class.js';
