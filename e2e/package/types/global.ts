// The classic-script bundle's global, as a page's TypeScript sees it with the `iife` entry's types.
/// <reference types="resilient-websocket/iife" />

const ws = new ResilientWebSocket('wss://example.com/', [], { heartbeat: true });
ws.addEventListener('drop', (e) => console.log(e.reason, e instanceof ResilientWebSocket.DropEvent));

export {};
