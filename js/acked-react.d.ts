// `resilient-websocket/acked/react`: the React hook with the acked build (both delivery modes).
export * from './react.js';
