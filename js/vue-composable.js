// @ts-check
/**
 * The Vue composable `useResilientWebSocket(url, options)`, one `ResilientWebSocket` per effect
 * scope (a component's, or one of `effectScope()`), its state as refs, closed when the scope is
 * disposed. For either build: the entries `resilient-websocket/vue` (js/vue.js) and
 * `resilient-websocket/acked/vue` (js/acked-vue.js) load one and re-export it.
 *
 * In a component the socket is created on mount, not in `setup()`: a server render runs `setup()`
 * but never mounts, so it creates nothing and renders the initial state, the same as the browser's
 * first render (no hydration mismatch). Outside a component it is created at once.
 *
 * `url` may be a string, a `URL`, a ref or a getter. It is read through a provider, so a change
 * does not mean a new socket: the same socket reconnects to the new URL. Options are read once.
 * (For a provider with side effects, such as fetching a token, construct the class yourself.)
 */
import { getCurrentInstance, getCurrentScope, onMounted, onScopeDispose, ref, shallowRef, toValue, watch } from 'vue';
import { ResilientWebSocket } from './class.js';

/** @typedef {import('./class.js').WebSocketPayload} WebSocketPayload */

/**
 * @param {import('vue').MaybeRefOrGetter<string | URL>} url a getter must be cheap and free of side
 *   effects: it is also read to notice a change
 * @param {{ protocols?: import('./class.js').ProtocolsOption } & Record<string, unknown>} [options]
 *   the constructor's options, plus `protocols`
 */
export function useResilientWebSocket(url, options = {}) {
  const startClosed = Boolean(options.startClosed);
  const socket = shallowRef(/** @type {ResilientWebSocket | null} */ (null));
  const readyState = ref(startClosed ? 3 : 0);
  const connectionState = ref(startClosed ? 'closed' : 'connecting');
  const lastMessage = shallowRef(/** @type {MessageEvent | null} */ (null));
  /** Messages sent before the socket exists, sent by it once it does. @type {WebSocketPayload[]} */
  const early = [];
  let disposed = false;

  const create = () => {
    if (disposed) return;
    const { protocols, ...socketOptions } = options;
    // The provider reads the URL's current value before each attempt; a share group is named by a
    // fixed URL (js/share-link.js), so with `share` it is the value now.
    const ws = new ResilientWebSocket(socketOptions.share ? toValue(url) : () => toValue(url), protocols, socketOptions);
    const sync = () => {
      readyState.value = ws.readyState;
      connectionState.value = ws.connectionState;
    };
    for (const type of ['statechange', 'open', 'close', 'error']) ws.addEventListener(type, sync);
    ws.addEventListener('message', (event) => {
      lastMessage.value = /** @type {MessageEvent} */ (event);
    });
    for (const data of early.splice(0)) ws.send(data);
    socket.value = ws;
    sync();
  };

  if (getCurrentInstance()) onMounted(create);
  else create();

  // A new URL reconnects the socket to it (the provider above reads it).
  watch(
    () => String(toValue(url)),
    () => socket.value?.reconnect(),
  );

  if (getCurrentScope()) {
    onScopeDispose(() => {
      disposed = true;
      socket.value?.close();
    });
  }

  /** @param {WebSocketPayload} data */
  const send = (data) => {
    if (socket.value) socket.value.send(data);
    else early.push(data);
  };

  return { socket, readyState, connectionState, lastMessage, send };
}
