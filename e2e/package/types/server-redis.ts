// Typed use of resilient-websocket/server/redis, as a Node app written in TypeScript runs a cluster
// node (the README's example): a node-redis client, the RedisSessionStore on it as the server's
// store, and an application that deduplicates what is handed to it again (`redelivered`) on the
// delivery id. types.test.js checks it with `tsc --noEmit` under `strict`, with `redis` installed.
/// <reference types="node" />
import { createClient } from 'redis';
import { WebSocketServer } from 'ws';
import { AckedServer, CloseCode, type Delivery, type SessionStore } from 'resilient-websocket/server';
import { RedisSessionStore, StoreUnavailableError, type RedisSessionStoreOptions } from 'resilient-websocket/server/redis';

const client = await createClient({ url: 'redis://127.0.0.1:6379' }).connect();
const storeOptions: RedisSessionStoreOptions = { client, prefix: 'app:', leaseTtl: 5000 };
const store = new RedisSessionStore(storeOptions);
const asStore: SessionStore = store;
const server = new AckedServer(new WebSocketServer({ port: 8080 }), { store, sessionTtl: 120_000 });
const sameStore: SessionStore = server.store;
console.log(asStore === sameStore, store.prefix, store.leaseTtl, store.available());

const applied = new Set<string>();
server.on('session', (session) => {
  session.on('message', (data, isBinary, delivery: Delivery) => {
    const { id, epoch, seq, redelivered } = delivery;
    if (redelivered && applied.has(id)) return;
    applied.add(id);
    const text: string = isBinary ? data.toString('utf8') : data;
    console.log(text, epoch, seq);
  });
});
server.on('storeerror', (error, session) => {
  if (error instanceof StoreUnavailableError) session?.close(CloseCode.STORE_UNAVAILABLE, error.message);
});
const sent: boolean = await server.sendTo('session-id', 'hello');
const bytes: number = await store.memoryUsage('session-id');
console.log(sent, bytes);
await server.close();
await store.close();
client.destroy();
