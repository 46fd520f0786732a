// @ts-check
/*
 * `resilient-websocket/share/slim`: `resilient-websocket/slim` with both delivery modes and `share`:
 * the share build's `.wasm` as a separate file that `init()` fetches (see js/slim.js).
 */
import initWasm, { GroupMember, WebDriver } from '../pkg-share/resilient_websocket.js';
import { useDriver } from './class.js';
import { installShare } from './share-link.js';

/**
 * Loads and instantiates the share build's wasm module; resolves once `new ResilientWebSocket()`
 * works. Without an argument it fetches the `.wasm` shipped beside this file (a bundler sees this
 * `new URL(…, import.meta.url)` and emits the file); pass a URL, a `Response`, the bytes or a
 * `WebAssembly.Module` to load it otherwise.
 * @param {RequestInfo | URL | Response | BufferSource | WebAssembly.Module | Promise<Response>} [input]
 * @returns {Promise<void>}
 */
export async function init(input) {
  await initWasm({ module_or_path: input ?? new URL('../pkg-share/resilient_websocket_bg.wasm', import.meta.url) });
  useDriver(WebDriver);
  installShare(GroupMember, WebDriver);
}

export * from './public.js';
export { ResilientWebSocket as default } from './class.js';
