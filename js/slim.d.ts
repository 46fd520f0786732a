// `resilient-websocket/slim`: the `.wasm` as a separate file, loaded by `init()`.
export * from './index.js';
export { default } from './index.js';

/**
 * Loads and instantiates the wasm module; resolves once `new ResilientWebSocket()` works. Without an
 * argument it fetches the `.wasm` shipped with the package; otherwise give a URL, a `Response`, the
 * bytes or a compiled `WebAssembly.Module`.
 */
export function init(
  input?: RequestInfo | URL | Response | BufferSource | WebAssembly.Module | Promise<Response>,
): Promise<void>;
