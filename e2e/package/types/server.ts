// Typed use of resilient-websocket/server, as a Node app written in TypeScript uses it (the README's
// example and every event of AckedServer and Session); types.test.js checks it with `tsc --noEmit`
// against the typings in the packed tarball, with @types/node and @types/ws as such an app has them.
/// <reference types="node" />
import { WebSocketServer, type WebSocket } from 'ws';
import {
  AckedServer,
  CloseCode,
  parseClientFrame,
  PROTOCOL_VERSION,
  type AckedServerOptions,
  type ClientFrame,
  type Session,
  type SessionEndReason,
  type ViolationCode,
} from 'resilient-websocket/server';

const options: AckedServerOptions = {
  sessionTtl: 120_000,
  maxQueueMessages: 10_000,
  maxQueueBytes: 16 * 1024 * 1024,
  helloTimeout: 10_000,
  ackInterval: 100,
  maxMessageBytes: 1024 * 1024,
  maxSessions: 10_000,
};
const server = new AckedServer(new WebSocketServer({ port: 8080 }), options);
const ttl: number = server.options.sessionTtl;

server.on('session', (session: Session) => {
  session.on('message', (data, isBinary) => {
    // The tuple type ties the payload's type to the flag.
    const text: string = isBinary ? data.toString('utf8') : data;
    session.send(`got ${text}`);
    session.send(Buffer.from(text));
    session.send(new Uint8Array([1, 2, 3]));
  });
  session.on('connect', ({ resumed }) => console.log(session.id, resumed, session.epoch, session.connected));
  session.once('disconnect', () => console.log(session.unacked, session.received, session.lastSeq));
  session.on('end', (reason: SessionEndReason) => console.log(reason, session.ended));
  const socket: WebSocket | null = session.socket;
  if (socket === null) session.close(CloseCode.OVERFLOW, 'bye');
});
server.on('overflow', (session, { messages, bytes, limitMessages, limitBytes }) =>
  console.warn(session.id, messages, bytes, limitMessages, limitBytes),
);
server.on('expired', (session, { unacked }) => console.warn(session.id, unacked));
server.on('violation', ({ code, reason, session }) => {
  const known: ViolationCode = code;
  console.warn(known, reason, session?.id);
});
server.on('limit', ({ limit, evicted }) => console.warn(limit, evicted?.id));

// Sockets from elsewhere: no server of its own.
const manual = new AckedServer(null);
new WebSocketServer({ noServer: true }).on('connection', (ws) => manual.accept(ws));
for (const [id, session] of manual.sessions) console.log(id, session.unacked);
manual.close();

const frame: ClientFrame = parseClientFrame(Buffer.from('p'), false);
if (frame.kind === 'data' && frame.isBinary) console.log(frame.payload.byteLength, frame.seq, frame.ack);
if (frame.kind === 'hello') console.log(frame.version === PROTOCOL_VERSION, frame.sid, frame.key, frame.epoch);

export { ttl };
