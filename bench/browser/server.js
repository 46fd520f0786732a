// The benchmark's WebSocket server: lean (it records counts and times, never the messages, so
// 20,000 × 16 KB per round cost no memory) and steerable from Node. Each page connects to
// `ws://127.0.0.1:<port>/<tag>`; the tag names the contender and round, so that several
// contenders can share the server and the figures of each stay apart.
//
// In-band protocol, text messages starting with '#', sent by the page through the contender:
//   '#blast <count> <text|binary> <bytes>'  the server sends <count> messages of <bytes> bytes,
//                                            as fast as the socket drains;
//   '#expect <count>'                        the server answers '#done <count>' once it has
//                                            received <count> more data messages.
// A 'ping' is answered with 'pong' (the heartbeat of ResilientWebSocket). Every other message is
// data: counted, and, if it starts with a decimal sequence number, checked for order.
//
// Tags that start with 'acked-' go through the acknowledged-delivery adapter (server/index.js): the
// same in-band protocol then runs on the session's plain messages. For every tag the server also
// counts the bytes of every frame both ways (`wireIn`, `wireOut`: envelopes, acks and commands
// included), which is what the protocol overhead is measured with.
import { once } from 'node:events';
import { createServer } from 'node:http';
import { performance } from 'node:perf_hooks';
import { WebSocketServer } from 'ws';
import { AckedServer } from '../../server/index.js';

/** Bytes the server lets pile up in a socket's send buffer before it waits for it to drain. */
const HIGH_WATER = 4 * 1024 * 1024;

/**
 * What the server knows about one tag (one contender in one round): every connection it accepted
 * (with the time), data messages received, and whether they arrived in sequence order.
 */
function newRecord() {
  return { connections: [], received: 0, receivedAt: 0, inOrder: true, nextSeq: 0, bytes: 0, wireIn: 0, wireOut: 0 };
}

export async function startBenchServer() {
  const http = createServer((req, res) => res.writeHead(426).end());
  // No UTF-8 validation of incoming text: the pages send ASCII, and the server should cost the
  // measures as little time as it can.
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, skipUTF8Validation: true });
  const records = new Map();
  const sockets = new Set();
  let port = 0;
  // Bounds far above a 20,000-message burst: the benchmark measures speed, not the bounds.
  const acked = new AckedServer(null, { maxQueueMessages: 1e9, maxQueueBytes: 1e12, maxMessageBytes: 1 << 20 });
  acked.on('session', (session) => {
    session.on('connect', () => {
      const ws = session.socket;
      session.tag = ws.tag;
      const reply = (text) => session.send(text);
      const blaster = (count, binary, bytes) => blast(ws, count, binary, bytes, (payload) => session.send(payload));
      session.handle = handler(server.record(ws.tag), reply, blaster);
    });
    session.on('message', (data, isBinary) => session.handle(typeof data === 'string' ? Buffer.from(data) : data, isBinary));
  });

  const server = {
    /** An HTTP status (e.g. 503) with which every upgrade is refused; 0 accepts. */
    refuse: 0,
    get url() {
      return `ws://127.0.0.1:${port}`;
    },
    record(tag) {
      if (!records.has(tag)) records.set(tag, newRecord());
      return records.get(tag);
    },
    /** Drops every connection of `tag` without a closing handshake (as a crash would). */
    terminate(tag) {
      for (const socket of sockets) if (socket.tag === tag) socket.terminate();
    },
    /**
     * The server stops reading from, and writing to, every connection open now: the TCP
     * connections stay up, pings go unanswered. Connections made afterwards are served normally.
     */
    silence() {
      for (const socket of sockets) {
        socket.silent = true;
        socket._socket.pause();
      }
    },
    /** Sends `text` to every open connection of `tag`. */
    sendTo(tag, text) {
      for (const socket of sockets) if (socket.tag === tag && !socket.silent) socket.send(text);
    },
    /**
     * A restart: every connection dropped, the port closed (attempts are refused by the OS) for
     * `downtimeMs`, then listening again on the same port. Resolves with the `Date.now()` at which
     * it listens again.
     */
    async restart(downtimeMs) {
      for (const socket of sockets) socket.terminate();
      http.close();
      http.closeAllConnections();
      await once(http, 'close');
      await new Promise((resolve) => setTimeout(resolve, downtimeMs));
      http.listen(port, '127.0.0.1');
      await once(http, 'listening');
      return Date.now();
    },
    async stop() {
      for (const socket of sockets) socket.terminate();
      http.close();
      http.closeAllConnections();
      await once(http, 'close');
    },
  };

  http.on('upgrade', (req, socket, head) => {
    if (server.refuse) {
      socket.end(`HTTP/1.1 ${server.refuse} Refused\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => accept(ws, req.url.slice(1)));
  });

  function accept(ws, tag) {
    ws.tag = tag;
    ws.silent = false;
    sockets.add(ws);
    const record = server.record(tag);
    record.connections.push({ at: performance.now(), wallClock: Date.now() });
    ws.on('close', () => sockets.delete(ws));
    ws.on('error', () => {});
    // Every frame's payload bytes, both ways, whatever it carries.
    ws.on('message', (data) => {
      record.wireIn += data.length;
    });
    const send = ws.send.bind(ws);
    ws.send = (data, ...rest) => {
      record.wireOut += typeof data === 'string' ? Buffer.byteLength(data) : data.length;
      return send(data, ...rest);
    };
    if (tag.startsWith('acked-')) {
      acked.accept(ws);
      return;
    }
    const handle = handler(record, (text) => ws.send(text), (count, binary, bytes) => blast(ws, count, binary, bytes));
    ws.on('message', handle);
  }

  /** The in-band protocol on one connection's (or session's) messages. */
  function handler(record, reply, blaster) {
    let expecting = 0;
    return (data, isBinary) => {
      if (!isBinary && data[0] === 0x23 /* '#' */) {
        const [command, ...args] = data.toString().split(' ');
        if (command === '#blast') blaster(Number(args[0]), args[1] === 'binary', Number(args[2]));
        else if (command === '#expect') expecting = record.received + Number(args[0]);
        return;
      }
      if (!isBinary && data.length === 4 && data.toString() === 'ping') {
        reply('pong');
        return;
      }
      record.received += 1;
      record.receivedAt = performance.now();
      record.bytes += data.length;
      if (!isBinary) {
        const seq = Number.parseInt(data.toString('latin1', 0, 12), 10);
        if (Number.isInteger(seq)) {
          if (seq !== record.nextSeq) record.inOrder = false;
          record.nextSeq = seq + 1;
        }
      }
      if (expecting && record.received === expecting) {
        expecting = 0;
        reply(`#done ${record.received}`);
      }
    };
  }

  /**
   * Sends `count` messages (through `send`, the session's for acked tags), pausing whenever more
   * than HIGH_WATER bytes wait to be written on `ws`.
   */
  async function blast(ws, count, binary, bytes, send = (payload) => ws.send(payload, { binary })) {
    const payload = binary ? Buffer.alloc(bytes, 0xab) : 'x'.repeat(bytes);
    for (let i = 0; i < count; i++) {
      if (ws.readyState !== ws.OPEN) return;
      send(payload);
      if (ws.bufferedAmount > HIGH_WATER) {
        await new Promise((resolve) => {
          const done = () => {
            ws._socket.off('drain', done);
            ws.off('close', done);
            resolve();
          };
          ws._socket.once('drain', done);
          ws.once('close', done);
        });
      }
    }
  }

  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  port = http.address().port;
  return server;
}
