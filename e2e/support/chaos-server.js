// The chaos server: a WebSocket server (Node `ws`) on a free loopback port whose faults the test
// commands directly. It runs in the test process, so the "control channel" is plain method calls:
//
//   const chaos = await startChaosServer();
//   chaos.refuse(3);                 // the next 3 upgrades get HTTP 503, then upgrades are accepted
//   chaos.stall();                   // accept TCP, never answer the handshake (until chaos.accept())
//   chaos.closeAll(4000, 'bye');     // close frame with a code and reason ({ lingerMs }: slow handshake)
//   chaos.terminateAll();            // drop TCP, no close frame (the client sees 1006)
//   chaos.silenceAll();              // stop reading and answering, keep TCP open (half-open)
//   await chaos.stop(); await chaos.start();   // down and up again on the same port
//   chaos.answerPings = false;       // stop answering the application-level 'ping' with 'pong'
//   startChaosServer({ onConnection(ws, { client }) {} })   // an application behind it gets each socket
//
// It records everything a fault test asserts on, with times from `now()` (milliseconds on the wall
// clock with sub-millisecond resolution, comparable with the page's `performance.timeOrigin +
// performance.now()`):
//   attempts     every upgrade request: { id, client, at, outcome: 'accepted'|'refused'|'stalled' }
//   connections  every accepted WebSocket: { id, client, ordinal, openedAt, closedAt, closeCode,
//                closeReason, closedBy, closeSentAt (when the server sent its close frame), silent,
//                silencedAt, lastSentAt }
//   received     every message, in arrival order: { order, connection, client, data, at, heartbeat }
//   overlaps     every time a connection arrived while another of its client was open (see below)
//   maxOpen      the most WebSocket connections open at once, in all and per client (`maxOpenOf`)
//   tcp          TCP connections accepted in all, and `openTcp` now (stalled handshakes included)
//
// Clients tell themselves apart with a `client` query parameter in the URL (`?client=a`); without
// one they are all `default`.
//
// The invariant "never more than one open connection per client", defined honestly: when the server
// accepts a connection for client C, no other connection of C may be OPEN on the server side. A
// connection the server has sent a close frame on, or received one on, is CLOSING (ws's readyState),
// not OPEN: a server-initiated close may overlap the next connection for the moment the client needs
// to answer it, and that is not a violation. Silenced connections are left out of the check and
// counted as `zombies` instead: the test made them half-open on purpose, the server will never read
// the client's close frame on them, and only stop() ends them. One race remains that the server
// cannot tell from a violation at the moment it happens: the client closed the old socket first,
// but its close frame (on the old TCP connection) arrives just after the new handshake (on another
// one). Every overlap is recorded; one whose older connections all receive the client's close frame
// within CLOSE_IN_FLIGHT_MS after it is marked `closeInFlight: true` (the client had closed it
// first); assertOneConnectionAtATime() fails on the others and prints these.
import { once } from 'node:events';
import { createServer } from 'node:http';
import { WebSocket, WebSocketServer } from 'ws';

/** See the header: how late a client's close frame may trail the next handshake. */
export const CLOSE_IN_FLIGHT_MS = 100;

/** Milliseconds on the wall clock, sub-millisecond resolution; the page computes the same. */
export const now = () => performance.timeOrigin + performance.now();

export async function startChaosServer({
  port = 0,
  answerPings = true,
  echo = false,
  ping = 'ping',
  pong = 'pong',
  onConnection: application = null,
} = {}) {
  const wss = new WebSocketServer({ noServer: true, clientTracking: false });
  const waiters = new Set();
  /** Live objects behind the records, kept out of the records so they print cleanly. */
  const live = new Map(); // connection id -> { ws, socket }
  const rawSockets = new Set(); // every TCP socket of the current listener, stalled ones included
  let server = null;
  let refuseLeft = 0;
  let refuseStatus = 503;
  let stallLeft = 0;
  let nextAttempt = 1;
  let nextConnection = 1;

  const changed = () => {
    for (const waiter of [...waiters]) waiter.check();
  };

  const chaos = {
    port,
    url: '',
    answerPings,
    echo,
    attempts: [],
    connections: [],
    received: [],
    overlaps: [],
    maxOpen: 0,
    maxOpenByClient: new Map(),
    tcp: 0,
    openTcp: 0,
    running: false,

    /** The URL for one client: `chaos.urlFor('a')` is `ws://127.0.0.1:port/?client=a`. */
    urlFor(client) {
      return `${chaos.url}?client=${encodeURIComponent(client)}`;
    },

    /** The next `n` upgrade attempts (all, by default) are refused with HTTP `status`. */
    refuse(n = Infinity, status = 503) {
      refuseLeft = n;
      refuseStatus = status;
      stallLeft = 0;
    },

    /** The next `n` upgrade attempts (all, by default) get no answer at all: TCP stays open. */
    stall(n = Infinity) {
      stallLeft = n;
      refuseLeft = 0;
    },

    /** Upgrades are accepted again (ends refuse() and stall()); stalled handshakes stay stalled. */
    accept() {
      refuseLeft = 0;
      stallLeft = 0;
    },

    /** The open (not silenced) connections, of one client or all. */
    open(client) {
      return chaos.connections.filter(
        (c) => (client === undefined || c.client === client) && !c.silent && live.get(c.id)?.ws.readyState === WebSocket.OPEN,
      );
    },

    /** Silenced connections whose TCP connection is still up. */
    zombies(client) {
      return chaos.connections.filter(
        (c) => (client === undefined || c.client === client) && c.silent && c.closedAt === null,
      );
    },

    /**
     * Closes every open connection (of one client, or all) with a close frame. `lingerMs`: a server
     * slow to finish the closing handshake; it stops reading for that long after sending its close
     * frame, so the client's answer (and the end of the TCP connection) waits, and the browser's
     * socket stays CLOSING that long before its close event.
     */
    closeAll(code, reason, client, { lingerMs = 0 } = {}) {
      for (const record of chaos.open(client)) {
        record.closedBy = 'server';
        record.closeSentAt = now();
        const { ws, socket } = live.get(record.id);
        if (code === undefined) ws.close();
        else ws.close(code, reason);
        if (lingerMs > 0) {
          socket.pause();
          setTimeout(() => socket.resume(), lingerMs).unref();
        }
      }
      changed();
    },

    /** Destroys the TCP connection of every connection (of one client, or all): no close frame. */
    terminateAll(client) {
      for (const record of chaos.connections) {
        if (client !== undefined && record.client !== client) continue;
        const entry = live.get(record.id);
        if (!entry || record.closedAt !== null) continue;
        if (record.closedBy === null) record.closedBy = 'server-terminate';
        entry.ws.terminate();
      }
    },

    /**
     * The half-open case: the server stops reading (the socket is paused, so the kernel buffers
     * what the client sends and ws never sees it), stops answering and sending (the socket is
     * corked: whatever an application behind `onConnection` still writes stays in the buffer),
     * and keeps TCP open. Only a client heartbeat can tell.
     */
    silenceAll(client) {
      for (const record of chaos.open(client)) {
        record.silent = true;
        record.silencedAt = now();
        const { socket } = live.get(record.id);
        socket.pause();
        socket.cork();
      }
      changed();
    },

    /** Messages of one client (or all), optionally without heartbeat pings. */
    messages(client, { heartbeat = false } = {}) {
      return chaos.received.filter(
        (m) => (client === undefined || m.client === client) && (heartbeat || !m.heartbeat),
      );
    },

    /** The most connections of `client` that were open at once (counted when one arrives). */
    maxOpenOf(client) {
      return chaos.maxOpenByClient.get(client) ?? 0;
    },

    attemptsOf(client) {
      return chaos.attempts.filter((a) => client === undefined || a.client === client);
    },

    connectionsOf(client) {
      return chaos.connections.filter((c) => client === undefined || c.client === client);
    },

    /**
     * Stops listening: new attempts are refused by the OS (ECONNREFUSED). Existing connections are
     * terminated (a crash: no close frame), or closed with `close: { code, reason }` first (a
     * graceful shutdown; their TCP ends when the client answers, as ws does it). Stalled handshakes
     * are dropped either way.
     */
    async stop({ close } = {}) {
      if (!server) return;
      const closing = server;
      server = null;
      chaos.running = false;
      closing.close();
      for (const record of chaos.connections) {
        const entry = live.get(record.id);
        if (!entry || record.closedAt !== null) continue;
        if (close && !record.silent && entry.ws.readyState === WebSocket.OPEN) {
          record.closedBy = 'server';
          record.closeSentAt = now();
          entry.ws.close(close.code, close.reason);
        } else {
          if (record.closedBy === null) record.closedBy = 'server-terminate';
          entry.ws.terminate();
        }
      }
      for (const socket of rawSockets) {
        if (!socket.upgraded) socket.destroy();
      }
      await once(closing, 'close');
      changed();
    },

    /** Listens again, on the same port as before (or a free one the first time). */
    async start() {
      if (server) return;
      server = createServer((req, res) => {
        res.writeHead(426, { 'Content-Type': 'text/plain' }).end('WebSocket only\n');
      });
      server.on('connection', (socket) => {
        chaos.tcp += 1;
        chaos.openTcp += 1;
        rawSockets.add(socket);
        socket.on('close', () => {
          chaos.openTcp -= 1;
          rawSockets.delete(socket);
          changed();
        });
        socket.on('error', () => {});
        changed();
      });
      server.on('upgrade', onUpgrade);
      server.listen(chaos.port, '127.0.0.1');
      await once(server, 'listening');
      chaos.port = server.address().port;
      chaos.url = `ws://127.0.0.1:${chaos.port}/`;
      chaos.running = true;
    },

    /** stop() then start(), with `downMs` in between. */
    async restart({ downMs = 0, close } = {}) {
      await chaos.stop({ close });
      if (downMs > 0) await new Promise((resolve) => setTimeout(resolve, downMs));
      await chaos.start();
    },

    /** Resolves once `predicate(chaos)` holds; rejects after `timeoutMs` with the state. */
    waitFor(predicate, { timeoutMs = 5000, what = 'the expected server state' } = {}) {
      if (predicate(chaos)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const waiter = {
          check() {
            if (!predicate(chaos)) return;
            clearTimeout(timer);
            waiters.delete(waiter);
            resolve();
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`chaos server: no ${what} within ${timeoutMs} ms; ${chaos.describe()}`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },

    /** A short summary of the record for failure messages. */
    describe() {
      const attempts = chaos.attempts.map((a) => `${a.id}:${a.client}:${a.outcome}`).join(' ');
      const connections = chaos.connections
        .map((c) => `${c.id}:${c.client}${c.silent ? ':silent' : ''}:${c.closedAt === null ? 'open' : `closed(${c.closeCode})`}`)
        .join(' ');
      return `attempts [${attempts}]; connections [${connections}]; received ${chaos.received.length}; ` +
        `overlaps ${chaos.overlaps.length}; open TCP ${chaos.openTcp}`;
    },

    /** Stops for good. */
    async dispose() {
      await chaos.stop();
      for (const waiter of [...waiters]) waiters.delete(waiter);
    },
  };

  function onUpgrade(req, socket, head) {
    const client = new URL(req.url, 'http://127.0.0.1').searchParams.get('client') ?? 'default';
    const attempt = { id: nextAttempt++, client, at: now(), outcome: 'accepted' };
    chaos.attempts.push(attempt);
    if (refuseLeft > 0) {
      refuseLeft -= 1;
      attempt.outcome = 'refused';
      socket.end(
        `HTTP/1.1 ${refuseStatus} Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`,
      );
      changed();
      return;
    }
    if (stallLeft > 0) {
      stallLeft -= 1;
      attempt.outcome = 'stalled';
      attempt.peerClosedAt = null;
      // Read (and ignore) so that the client's FIN is seen: a paused socket would never notice.
      const peerClosed = () => {
        attempt.peerClosedAt ??= now();
        socket.destroy();
        changed();
      };
      socket.on('end', peerClosed);
      socket.on('close', peerClosed);
      socket.resume();
      changed();
      return;
    }
    socket.upgraded = true;
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, socket, client, attempt));
  }

  function onConnection(ws, socket, client, attempt) {
    const others = chaos.open(client);
    chaos.maxOpen = Math.max(chaos.maxOpen, chaos.open().length + 1);
    chaos.maxOpenByClient.set(client, Math.max(chaos.maxOpenOf(client), others.length + 1));
    const record = {
      id: nextConnection++,
      client,
      ordinal: chaos.connections.filter((c) => c.client === client).length + 1,
      attempt: attempt.id,
      openedAt: now(),
      closedAt: null,
      closeCode: null,
      closeReason: null,
      closedBy: null,
      closeSentAt: null,
      silent: false,
      silencedAt: null,
      lastSentAt: null,
    };
    if (others.length > 0) {
      const overlap = { client, at: record.openedAt, connection: record.id, alsoOpen: others.map((c) => c.id), closeInFlight: false };
      chaos.overlaps.push(overlap);
      setTimeout(() => {
        overlap.closeInFlight = others.every(
          (c) => c.closedBy === 'client' && c.closedAt !== null && c.closedAt - overlap.at <= CLOSE_IN_FLIGHT_MS,
        );
      }, CLOSE_IN_FLIGHT_MS + 20).unref();
    }
    chaos.connections.push(record);
    live.set(record.id, { ws, socket });
    const send = (data, isBinary = false) => {
      record.lastSentAt = now();
      ws.send(data, { binary: isBinary });
    };
    ws.on('message', (data, isBinary) => {
      // A paused socket delivers nothing new, but a frame parsed from the last chunk before the
      // pause still surfaces: a silent server has stopped reading, so it is not recorded.
      if (record.silent) return;
      const text = isBinary ? null : data.toString();
      const heartbeat = text === ping;
      chaos.received.push({
        order: chaos.received.length + 1,
        connection: record.id,
        client,
        data: isBinary ? data : text,
        at: now(),
        heartbeat,
      });
      if (heartbeat) {
        if (chaos.answerPings) send(pong);
      } else if (chaos.echo && ws.readyState === WebSocket.OPEN) {
        send(data, isBinary);
      }
      changed();
    });
    ws.on('close', (code, reason) => {
      record.closedAt = now();
      record.closeCode = code;
      record.closeReason = reason.toString();
      if (record.closedBy === null) record.closedBy = 'client';
      live.delete(record.id);
      changed();
    });
    ws.on('error', () => {});
    // An application behind the chaos server (the acked-delivery adapter) gets the socket too.
    application?.(ws, { client, connection: record.id });
    changed();
  }

  await chaos.start();
  return chaos;
}
