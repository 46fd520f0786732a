// @ts-check
/** `resilient-websocket/acked/vue`: the Vue composable (js/vue-composable.js) with the acked build. */
import './acked.js';

export { useResilientWebSocket } from './vue-composable.js';
