// Wrong uses of resilient-websocket/server that its typings must reject (as rejected.ts does for the
// browser entries): every line under a `@ts-expect-error` must be an error.
/// <reference types="node" />
import { AckedServer, type AckedServerOptions } from 'resilient-websocket/server';

const wrong: AckedServerOptions[] = [
  // @ts-expect-error sessionTtl is a number of ms
  { sessionTtl: '2m' },
  // @ts-expect-error there is no such option
  { maxClients: 10 },
];

// @ts-expect-error the first argument is a WebSocketServer or null
const server = new AckedServer({ port: 8080 });
server.on('session', (session) => {
  // @ts-expect-error a session's id is read-only
  session.id = 'mine';
  // @ts-expect-error send takes a string or binary data
  session.send({ json: true });
  // @ts-expect-error a message's data is a string or a Buffer, never a number
  session.on('message', (data: number) => data);
});
// @ts-expect-error overflow reports its figures, not a reason string
server.on('overflow', (session, info: string) => info);
// @ts-expect-error there is no such event
server.on('connection', () => {});

export { wrong };
