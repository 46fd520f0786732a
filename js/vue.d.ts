// `resilient-websocket/vue`: the Vue composable.
import type { MaybeRefOrGetter, Ref, ShallowRef } from 'vue';
import type {
  ConnectionState,
  ProtocolsOption,
  ResilientWebSocket,
  ResilientWebSocketOptions,
  WebSocketPayload,
} from './index.js';

export interface UseResilientWebSocketOptions extends ResilientWebSocketOptions {
  /** The constructor's second argument. */
  protocols?: ProtocolsOption;
}

export interface UseResilientWebSocketReturn {
  /** The socket, once created (on mount in a component; at once outside one). */
  socket: ShallowRef<ResilientWebSocket | null>;
  readyState: Ref<0 | 1 | 2 | 3>;
  connectionState: Ref<ConnectionState>;
  /** The last `message` event, or `null`. */
  lastMessage: ShallowRef<MessageEvent | null>;
  /** `socket.send`; before the socket exists the message waits and is sent by it once it does. */
  send: (data: WebSocketPayload) => void;
}

/**
 * One `ResilientWebSocket` for the current effect scope, closed when the scope is disposed. `url`
 * may be a ref or a getter: a new value reconnects the same socket. Options are read once.
 */
export function useResilientWebSocket(
  url: MaybeRefOrGetter<string | URL>,
  options?: UseResilientWebSocketOptions,
): UseResilientWebSocketReturn;
