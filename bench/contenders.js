// The contenders of the browser benchmark, in the order they run (A B C D) and appear. `module` is
// what a page imports (the package's own ESM file, as it ships; none for the native WebSocket),
// `export` the class in it, `package` the npm package in bench/node_modules whose version is shown.
export const CONTENDERS = [
  { key: 'native', name: 'native WebSocket', module: null },
  { key: 'ours', name: 'resilient-websocket', module: '/js/index.js', export: 'ResilientWebSocket' },
  {
    key: 'reconnecting-websocket',
    name: 'reconnecting-websocket',
    package: 'reconnecting-websocket',
    module: '/bench/node_modules/reconnecting-websocket/dist/reconnecting-websocket-mjs.js',
    export: 'default',
  },
  {
    key: 'partysocket',
    name: 'partysocket',
    package: 'partysocket',
    module: '/bench/node_modules/partysocket/dist/ws.js',
    export: 'default',
  },
];

// What the size table bundles, each with esbuild the same way (bench/size.js): `entry` is a file
// of this repository or a package specifier resolved from bench/, `assets` are files the bundle
// fetches at run time (our wasm), counted beside it. One line per row.
export const SIZE_ENTRIES = [
  { key: 'ours', name: 'resilient-websocket (js/index.js, the wasm inlined)', entry: './js/index.js', assets: [] },
  { key: 'ours-slim', name: 'resilient-websocket/slim (js/slim.js + wasm)', entry: './js/slim.js', assets: ['pkg/resilient_websocket_bg.wasm'] },
  { key: 'reconnecting-websocket', name: 'reconnecting-websocket', entry: 'reconnecting-websocket', assets: [] },
  { key: 'partysocket', name: 'partysocket (PartySocket, the main entry)', entry: 'partysocket', assets: [] },
  { key: 'partysocket/ws', name: 'partysocket/ws (its ReconnectingWebSocket, benchmarked above)', entry: 'partysocket/ws', assets: [] },
];
