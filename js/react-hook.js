// @ts-check
/**
 * The React hook `useResilientWebSocket(url, options)`, one `ResilientWebSocket` per component
 * lifetime, its state as React state. For either build: the entries `resilient-websocket/react`
 * (js/react.js) and `resilient-websocket/acked/react` (js/acked-react.js) load one and re-export it.
 *
 * The socket is created in an effect, never during render: a server render runs no effects, so it
 * creates nothing and renders the initial state, which is also what the browser's first render
 * shows (no hydration mismatch).
 *
 * StrictMode (in development) mounts, unmounts and remounts every component at once. Closing in the
 * cleanup and creating again on the remount would open a second connection while the first is
 * still closing, so the server would see two. Instead the cleanup only schedules the close, on a
 * zero-delay timer; the remount, which React runs in the same task, finds the socket still there,
 * cancels the close and keeps it. A real unmount lets the timer run and the socket closes. A
 * StrictMode remount keeps refs, so the socket is carried over in one.
 *
 * The URL is read through a provider, so a new `url` does not mean a new socket: the same socket
 * reconnects to it. Options are read once, when the socket is created.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { ResilientWebSocket } from './class.js';

/** @typedef {import('./class.js').UrlOption} UrlOption */
/** @typedef {import('./class.js').WebSocketPayload} WebSocketPayload */

/**
 * @param {UrlOption} url a string or `URL` (a change reconnects the socket to it) or a provider,
 *   which must keep its identity across renders (define it outside the component or memoise it)
 * @param {{ protocols?: import('./class.js').ProtocolsOption } & Record<string, unknown>} [options]
 *   the constructor's options, plus `protocols`
 */
export function useResilientWebSocket(url, options = {}) {
  const startClosed = Boolean(options.startClosed);
  const [socket, setSocket] = useState(/** @type {ResilientWebSocket | null} */ (null));
  const [readyState, setReadyState] = useState(startClosed ? 3 : 0);
  const [connectionState, setConnectionState] = useState(startClosed ? 'closed' : 'connecting');
  const [lastMessage, setLastMessage] = useState(/** @type {MessageEvent | null} */ (null));

  // Options as the first render gave them; the URL as the last render gave it (see the URL effect).
  const initialOptions = useRef(options);
  const currentUrl = useRef(url);
  /** The socket, and its pending close while a cleanup is waiting for a StrictMode remount. */
  const held = useRef(/** @type {{ socket: ResilientWebSocket, closeTimer?: ReturnType<typeof setTimeout> } | null} */ (null));
  /** Messages sent before the socket exists (a child's effect runs before its parent's). @type {WebSocketPayload[]} */
  const early = useRef([]);

  useEffect(() => {
    let entry = held.current;
    if (entry) {
      // The StrictMode remount: keep the socket the cleanup was about to close.
      clearTimeout(entry.closeTimer);
      entry.closeTimer = undefined;
    } else {
      const { protocols, ...socketOptions } = initialOptions.current;
      const target = currentUrl.current;
      // A share group is named by a fixed URL (js/share-link.js): with `share`, the URL as it is now.
      const url =
        socketOptions.share && typeof target !== 'function'
          ? target
          : (/** @type {import('./class.js').ProviderContext} */ ctx) => {
              const current = currentUrl.current;
              return typeof current === 'function' ? current(ctx) : current;
            };
      const ws = new ResilientWebSocket(url, protocols, socketOptions);
      for (const data of early.current.splice(0)) ws.send(data);
      entry = { socket: ws };
      held.current = entry;
    }
    const ws = entry.socket;
    const sync = () => {
      setReadyState(ws.readyState);
      setConnectionState(ws.connectionState);
    };
    /** @param {MessageEvent} event */
    const onMessage = (event) => setLastMessage(event);
    const stateEvents = ['statechange', 'open', 'close', 'error'];
    for (const type of stateEvents) ws.addEventListener(type, sync);
    ws.addEventListener('message', onMessage);
    setSocket(ws);
    sync();

    const current = entry;
    return () => {
      for (const type of stateEvents) ws.removeEventListener(type, sync);
      ws.removeEventListener('message', onMessage);
      current.closeTimer = setTimeout(() => {
        if (held.current === current) held.current = null;
        ws.close();
      }, 0);
    };
  }, []);

  // A new URL (compared by its text, so `new URL(…)` in render is fine) reconnects the socket.
  const urlKey = typeof url === 'function' ? url : String(url);
  useEffect(() => {
    const previous = currentUrl.current;
    if ((typeof previous === 'function' ? previous : String(previous)) === urlKey) return;
    currentUrl.current = url;
    held.current?.socket.reconnect();
  }, [urlKey]);

  const send = useCallback(
    /** @param {WebSocketPayload} data */
    (data) => {
      if (held.current) held.current.socket.send(data);
      else early.current.push(data);
    },
    [],
  );

  return { socket, readyState, connectionState, lastMessage, send };
}
