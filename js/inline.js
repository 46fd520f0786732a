// @ts-check
/**
 * What the two entries with the wasm inlined (`index.js`, plain; `acked.js`, both modes) share:
 * the module is compiled from a hex string and instantiated synchronously at import, so that
 * `new ResilientWebSocket(url)` works right after the import in any bundler or a plain
 * `<script type="module">`, with no plugin, no `.wasm` file to serve and no `await`.
 */
import { driverFailed, useDriver } from './class.js';

/**
 * The bytes of a hex string. Hex rather than base64: each byte stays two characters, so gzip still
 * finds the module's repetitions (base64 hides them behind a 3-byte period), and it gzips ~15%
 * smaller. `Uint8Array.fromHex` where the browser has it; a loop elsewhere.
 * @param {string} hex
 * @returns {Uint8Array<ArrayBuffer>}
 */
function hexToBytes(hex) {
  const withHex = /** @type {{ fromHex?: (hex: string) => Uint8Array<ArrayBuffer> }} */ (Uint8Array);
  if (withHex.fromHex) return withHex.fromHex(hex);
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

/**
 * Instantiates the inlined module with its glue's `initSync` and hands its driver to the class.
 *
 * Compiling a module from bytes is forbidden in some places (a CSP without 'wasm-unsafe-eval',
 * edge runtimes that render on the server, browsers with WebAssembly turned off). Importing must
 * not fail there, or a server render or a page that merely imports would break: the error is kept
 * and thrown, with this as its cause, by the first constructor call instead.
 * @param {(module: { module: WebAssembly.Module }) => unknown} initSync
 * @param {typeof import('../pkg/resilient_websocket.js').WebDriver} driverClass
 * @param {string} hex
 */
export function useInlinedModule(initSync, driverClass, hex) {
  try {
    initSync({ module: new WebAssembly.Module(hexToBytes(hex)) });
    useDriver(driverClass);
  } catch (error) {
    driverFailed(error);
  }
}
