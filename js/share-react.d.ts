// `resilient-websocket/share/react`: the React hook with the share build (both delivery modes and `share`).
export * from './react.js';
