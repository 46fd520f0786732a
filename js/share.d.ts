// Generated from js/share.js's JSDoc by scripts/declarations.js (tsc --declaration): edit the JSDoc
// and run `node scripts/declarations.js`; e2e/package/types.test.js fails while this file is stale.
export * from './public.js';
export { ResilientWebSocket as default } from './class.js';
