// @ts-check
/** `resilient-websocket/react`: the React hook (js/react-hook.js) with the plain build. */
import './index.js';

export { useResilientWebSocket } from './react-hook.js';
