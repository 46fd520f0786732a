// @ts-check
/** `resilient-websocket/share/react`: the React hook (js/react-hook.js) with the share build. */
import './share.js';

export { useResilientWebSocket } from './react-hook.js';
