// Generated from js/slim.js's JSDoc by scripts/declarations.js (tsc --declaration): edit the JSDoc
// and run `node scripts/declarations.js`; e2e/package/types.test.js fails while this file is stale.
/**
 * Loads and instantiates the wasm module; resolves once `new ResilientWebSocket()` works. Calling
 * it again returns the same initialisation. Without an argument it fetches the `.wasm` shipped
 * beside this file (bundlers such as Vite and webpack 5 see this `new URL(…, import.meta.url)` and
 * emit the file); pass a URL, a `Response`, the bytes or a `WebAssembly.Module` to load it otherwise.
 * @param {RequestInfo | URL | Response | BufferSource | WebAssembly.Module | Promise<Response>} [input]
 * @returns {Promise<void>}
 */
export declare function init(input?: RequestInfo | URL | Response | BufferSource | WebAssembly.Module | Promise<Response>): Promise<void>;
export * from './public.js';
export { ResilientWebSocket as default } from './class.js';
