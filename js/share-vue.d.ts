// `resilient-websocket/share/vue`: the Vue composable with the share build (both delivery modes and `share`).
export * from './vue.js';
