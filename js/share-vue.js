// @ts-check
/** `resilient-websocket/share/vue`: the Vue composable (js/vue-composable.js) with the share build. */
import './share.js';

export { useResilientWebSocket } from './vue-composable.js';
