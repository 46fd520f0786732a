// @ts-check
/**
 * The entry of the IIFE bundle (`dist/resilient-websocket.iife.js`, built by scripts/build.sh with
 * esbuild) for a classic `<script src>`: the default entry, with the class as the global
 * `ResilientWebSocket` and the event classes as its properties (`ResilientWebSocket.DropEvent`),
 * so that one global name is taken.
 */
import {
  DropEvent,
  HeartbeatEvent,
  ReconnectingEvent,
  ResilientWebSocket,
  SessionLostEvent,
  StateChangeEvent,
} from './index.js';

Object.defineProperties(ResilientWebSocket, {
  StateChangeEvent: { value: StateChangeEvent },
  ReconnectingEvent: { value: ReconnectingEvent },
  DropEvent: { value: DropEvent },
  HeartbeatEvent: { value: HeartbeatEvent },
  SessionLostEvent: { value: SessionLostEvent },
});
/** @type {any} */ (globalThis).ResilientWebSocket = ResilientWebSocket;
