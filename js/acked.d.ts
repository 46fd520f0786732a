// `resilient-websocket/acked`: both delivery modes (plain and `delivery: 'acked'`), wasm inlined
// and initialised at import. The same class and types as the default entry.
export * from './index.js';
export { default } from './index.js';
