// Generated from js/share-slim.js's JSDoc by scripts/declarations.js (tsc --declaration): edit the JSDoc
// and run `node scripts/declarations.js`; e2e/package/types.test.js fails while this file is stale.
/**
 * Loads and instantiates the share build's wasm module; resolves once `new ResilientWebSocket()`
 * works. Without an argument it fetches the `.wasm` shipped beside this file (a bundler sees this
 * `new URL(…, import.meta.url)` and emits the file); pass a URL, a `Response`, the bytes or a
 * `WebAssembly.Module` to load it otherwise.
 * @param {RequestInfo | URL | Response | BufferSource | WebAssembly.Module | Promise<Response>} [input]
 * @returns {Promise<void>}
 */
export declare function init(input?: RequestInfo | URL | Response | BufferSource | WebAssembly.Module | Promise<Response>): Promise<void>;
export * from './public.js';
export { ResilientWebSocket as default } from './class.js';
