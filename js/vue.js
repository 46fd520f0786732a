// @ts-check
/** `resilient-websocket/vue`: the Vue composable (js/vue-composable.js) with the plain build. */
import './index.js';

export { useResilientWebSocket } from './vue-composable.js';
