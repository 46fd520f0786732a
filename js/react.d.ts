// `resilient-websocket/react`: the React hook.
import type {
  ConnectionState,
  ProtocolsOption,
  ResilientWebSocket,
  ResilientWebSocketOptions,
  UrlOption,
  WebSocketPayload,
} from './index.js';

export interface UseResilientWebSocketOptions extends ResilientWebSocketOptions {
  /** The constructor's second argument. */
  protocols?: ProtocolsOption;
}

export interface UseResilientWebSocketResult {
  /** The socket, once the component has mounted; `null` before (and in a server render). */
  socket: ResilientWebSocket | null;
  readyState: 0 | 1 | 2 | 3;
  connectionState: ConnectionState;
  /** The last `message` event, or `null`. */
  lastMessage: MessageEvent | null;
  /** `socket.send`; before the socket exists the message waits and is sent by it once it does. */
  send: (data: WebSocketPayload) => void;
}

/**
 * One `ResilientWebSocket` for the component's lifetime (StrictMode's double mount included),
 * closed on unmount. A new `url` reconnects the same socket; a provider must keep its identity
 * across renders. Options are read once.
 */
export function useResilientWebSocket(
  url: UrlOption,
  options?: UseResilientWebSocketOptions,
): UseResilientWebSocketResult;
