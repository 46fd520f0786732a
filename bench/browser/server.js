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
import { once } from 'node:events';
import { createServer } from 'node:http';
import { performance } from 'node:perf_hooks';
import { WebSocketServer } from 'ws';

/** Bytes the server lets pile up in a socket's send buffer before it waits for it to drain. */
const HIGH_WATER = 4 * 1024 * 1024;

/**
 * What the server knows about one tag (one contender in one round): every connection it accepted
 * (with the time), data messages received, and whether they arrived in sequence order.
 */
function newRecord() {
  return { connections: [], received: 0, receivedAt: 0, inOrder: true, nextSeq: 0, bytes: 0 };
}

export async function startBenchServer() {
  const http = createServer((req, res) => res.writeHead(426).end());
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  const records = new Map();
  const sockets = new Set();
  let port = 0;

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
    let expecting = 0;
    ws.on('close', () => sockets.delete(ws));
    ws.on('error', () => {});
    ws.on('message', (data, isBinary) => {
      if (!isBinary && data[0] === 0x23 /* '#' */) {
        const [command, ...args] = data.toString().split(' ');
        if (command === '#blast') blast(ws, Number(args[0]), args[1] === 'binary', Number(args[2]));
        else if (command === '#expect') expecting = record.received + Number(args[0]);
        return;
      }
      if (!isBinary && data.length === 4 && data.toString() === 'ping') {
        ws.send('pong');
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
        ws.send(`#done ${record.received}`);
      }
    });
  }

  /** Sends `count` messages, pausing whenever more than HIGH_WATER bytes wait to be written. */
  async function blast(ws, count, binary, bytes) {
    const payload = binary ? Buffer.alloc(bytes, 0xab) : 'x'.repeat(bytes);
    for (let i = 0; i < count; i++) {
      if (ws.readyState !== ws.OPEN) return;
      ws.send(payload, { binary });
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
