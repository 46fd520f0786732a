// `resilient-websocket/acked/slim`: both delivery modes, the `.wasm` as a separate file loaded by
// `init()`. The same class, types and `init()` as `resilient-websocket/slim`.
export * from './slim.js';
export { default } from './slim.js';
