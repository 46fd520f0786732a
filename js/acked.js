// @ts-check
/*
 * `resilient-websocket/acked`: the same class with both delivery modes, plain and
 * `delivery: 'acked'` (PROTOCOL.md), the acked build's wasm inlined (`dist/wasm-inline-acked.js`)
 * and instantiated at import. An app that imports this entry anywhere gets both modes in every
 * `ResilientWebSocket`, also those the React and Vue bindings create (see `useDriver`).
 */
import { initSync, WebDriver } from '../pkg-acked/resilient_websocket.js';
import wasmHex from '../dist/wasm-inline-acked.js';
import { useInlinedModule } from './inline.js';

useInlinedModule(initSync, WebDriver, wasmHex);

export * from './public.js';
export { ResilientWebSocket as default } from './class.js';
