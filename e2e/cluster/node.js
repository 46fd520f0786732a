// One node of the test cluster (e2e/support/cluster.js): a child process running the real AckedServer
// on a RedisSessionStore, on 127.0.0.1:PORT, behind nginx. Its application writes every client
// message it is given to the file RECEIVED_LOG, one line `<time> <sid> <owner token> <data>
// <delivery id> <redelivered 0|1> <applied 0|1>`, with a synchronous write: once written, a SIGKILL
// cannot take it back (an IPC message could still sit in the process's buffers). That line is the
// application's effect and its record of it in one write; the application deduplicates as PROTOCOL.md
// says: a message flagged `redelivered` is applied only if no node's log (the `*.received` files
// beside RECEIVED_LOG, which every node of the cluster writes) has its delivery id applied. It reports connects and violations over IPC; the harness commands it over IPC:
// `cut` (every connection dropped, no close frame), `silent` (every connection stops being read
// and answered, the TCP connections left open). SIGTERM is a graceful stop: close() (1001 to every
// client, the sessions left in Redis), then exit.
//
//   PORT=… REDIS_URL=redis://127.0.0.1:… RECEIVED_LOG=… [STORE=memory] node e2e/cluster/node.js
import { closeSync, openSync, readdirSync, readFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { createClient } from 'redis';
import { WebSocketServer } from 'ws';
import { AckedServer, MemorySessionStore } from '../../server/index.js';
import { RedisSessionStore } from '../../server/redis.js';

const port = Number(process.env.PORT);
const received = openSync(process.env.RECEIVED_LOG ?? '/dev/null', 'a');
const logs = process.env.RECEIVED_LOG ? path.dirname(process.env.RECEIVED_LOG) : null;

/** Whether some node's application applied delivery `id` already (its log has it with applied 1). */
function appliedBefore(id) {
  if (!logs) return false;
  const mark = ` ${id} `;
  return readdirSync(logs).filter((file) => file.endsWith('.received')).some((file) => readFileSync(path.join(logs, file), 'utf8')
    .split('\n').some((line) => line.includes(mark) && line.endsWith(' 1')));
}
const client = createClient({ url: process.env.REDIS_URL, socket: { reconnectStrategy: () => 100, connectTimeout: 2000 } });
client.on('error', () => {});
// STORE=memory: the embedded default instead (the benchmark's comparison).
const store = process.env.STORE === 'memory' ? new MemorySessionStore() : new RedisSessionStore({ client });
const wss = new WebSocketServer({ host: '127.0.0.1', port });
const server = new AckedServer(null, { store, ackInterval: 50, sessionTtl: 120_000 });

/** @type {WeakMap<object, string>} socket -> the client name of its URL (`?client=`) */
const clientOf = new WeakMap();
wss.on('connection', (ws, request) => {
  clientOf.set(ws, new URL(request.url ?? '/', 'http://node').searchParams.get('client') ?? 'default');
  server.accept(ws);
});
server.on('session', (session) => {
  session.on('connect', ({ resumed }) => {
    process.send?.({ kind: 'connect', client: clientOf.get(session.socket), sid: session.id, owner: session.owner, resumed });
  });
  session.on('message', (data, isBinary, { id, redelivered }) => {
    const applied = !redelivered || !appliedBefore(id);
    writeSync(received, `${Date.now()} ${session.id} ${session.owner} ${data} ${id} ${redelivered ? 1 : 0} ${applied ? 1 : 0}\n`);
  });
});
server.on('violation', ({ code, reason }) => process.send?.({ kind: 'violation', code, reason }));

process.on('message', (command) => {
  if (command === 'cut') for (const ws of wss.clients) ws.terminate();
  if (command === 'silent') {
    for (const ws of wss.clients) {
      ws.pause();
      // The adapter's own writes (acks, messages) stop too: the socket is as a hung process's.
      ws.send = () => {};
    }
  }
});

process.on('SIGTERM', async () => {
  wss.close();
  await server.close();
  await store.close().catch(() => {});
  client.destroy();
  closeSync(received);
  process.exit(0);
});

// Listening before Redis answers, as a node that starts while Redis is away: until the store is
// reachable, hellos are refused with 1013 (the clients come back).
await client.connect();
