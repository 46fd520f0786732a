// @ts-check
/** `resilient-websocket/acked/react`: the React hook (js/react-hook.js) with the acked build. */
import './acked.js';

export { useResilientWebSocket } from './react-hook.js';
