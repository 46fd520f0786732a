// `resilient-websocket/acked/vue`: the Vue composable with the acked build (both delivery modes).
export * from './vue.js';
