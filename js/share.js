// @ts-check
/*
 * `resilient-websocket/share`: everything: both delivery modes and `share` (one connection for every
 * tab, js/share-link.js), the share build's wasm inlined (`dist/wasm-inline-share.js`) and
 * instantiated at import. An app that imports this entry anywhere can share in every
 * `ResilientWebSocket`, also those the React and Vue bindings create (see `useDriver`).
 */
import { GroupMember, initSync, WebDriver } from '../pkg-share/resilient_websocket.js';
import wasmHex from '../dist/wasm-inline-share.js';
import { useInlinedModule } from './inline.js';
import { installShare } from './share-link.js';

useInlinedModule(initSync, WebDriver, wasmHex);
installShare(GroupMember, WebDriver);

export * from './public.js';
export { ResilientWebSocket as default } from './class.js';
