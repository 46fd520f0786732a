// @ts-check
/*
 * `resilient-websocket/slim`: the same class, with the `.wasm` as a separate file that `init()`
 * fetches and compiles while streaming. For apps that want the JS small and the wasm cached on its
 * own. Constructing before `init()` resolved throws an error that says so.
 */
import initWasm, { WebDriver } from '../pkg/resilient_websocket.js';
import { useDriver } from './class.js';

/**
 * Loads and instantiates the wasm module; resolves once `new ResilientWebSocket()` works. Calling
 * it again returns the same initialisation. Without an argument it fetches the `.wasm` shipped
 * beside this file (bundlers such as Vite and webpack 5 see this `new URL(…, import.meta.url)` and
 * emit the file); pass a URL, a `Response`, the bytes or a `WebAssembly.Module` to load it otherwise.
 * @param {RequestInfo | URL | Response | BufferSource | WebAssembly.Module | Promise<Response>} [input]
 * @returns {Promise<void>}
 */
export async function init(input) {
  await initWasm({ module_or_path: input ?? new URL('../pkg/resilient_websocket_bg.wasm', import.meta.url) });
  useDriver(WebDriver);
}

export * from './public.js';
export { ResilientWebSocket as default } from './class.js';
