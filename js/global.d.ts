// `resilient-websocket/iife` (dist/resilient-websocket.iife.js): the classic-script bundle, which
// defines the global `ResilientWebSocket` with the event classes as its properties.
import type * as api from './index.js';

declare global {
  var ResilientWebSocket: typeof api.ResilientWebSocket & {
    readonly StateChangeEvent: typeof api.StateChangeEvent;
    readonly ReconnectingEvent: typeof api.ReconnectingEvent;
    readonly DropEvent: typeof api.DropEvent;
    readonly HeartbeatEvent: typeof api.HeartbeatEvent;
    readonly SessionLostEvent: typeof api.SessionLostEvent;
  };
}
