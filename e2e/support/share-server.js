// The server of the share tests (e2e/share): a WebSocket server (Node `ws`) on a free loopback port
// that records, per connection, its open and close times and every message in both directions, so
// that a test can check what a share group must give a server: one connection for N tabs, never
// two at once, every message from the server reaching every tab (the tabs' own record), every
// message from every tab arriving once and in that tab's order.
//
//   const server = await startShareServer();
//   server.urlFor('a')          // ws://127.0.0.1:port/a: a group is a URL (and protocols, and key)
//   server.push('hello', 'a')   // to every open connection of path /a (all paths without one)
//   server.connectionsOf('a')   // { id, path, protocol, openedAt, closedAt, closeCode, closeReason,
//                               //   received: [{ at, data }], sent: [{ at, data }] }
//   await server.waitFor((s) => s.connectionsOf('a').length === 2, { what: '…' })
//
// With `startShareServer({ acked: ['g'] })` the connections of group `g` speak acknowledged
// delivery: each is handed to the real AckedServer adapter (server/index.js) as well as recorded
// (`received` then holds the protocol's frames), and what the adapter hands the application is in
// `server.delivered` ([{ at, data, id, redelivered }], `id` the delivery identity's
// `<session>:<epoch>:<seq>`); `server.sendSession(data)` sends to the group's session through the
// adapter (numbered, kept until acknowledged, resent after a takeover), and `server.sessions` are
// the sessions the adapter made, in order (a new one means the old one was lost).
//
// Times are `now()` of chaos-server.js: the wall clock in milliseconds, comparable with the page's
// `performance.timeOrigin + performance.now()`. `received` is stamped on arrival, `sent` when
// handed to the socket. The server answers nothing by itself: what a tab sends is only recorded.
//
// "Never two connections at once", the exact rule (`overlapsOf`, asserted by
// e2e/share/helpers.js): take the connections of one path in the order they opened. Connection B
// overlaps an older connection A if A had not closed (its close event, TCP ended) when B opened.
// An overlap is allowed only if A received nothing from its client from B's open on: no message at
// all (a dead holder's socket may close late: a crashed tab's after the browser notices, a frozen
// tab's only once it runs again, a closed tab's close frame may trail the new handshake), but a
// holder that wrote on it after its successor's socket opened was two holders writing at once.
// What the server pushes to A during the overlap is not part of the rule: a push goes to every open
// connection, as a broadcasting application does, so a stale holder does receive it; that no tab
// sees it twice is the tabs' own check (every push reaches every tab exactly once).
import { WebSocketServer } from 'ws';
import { once } from 'node:events';
import { AckedServer } from '../../server/index.js';
import { now } from './chaos-server.js';

export { now };

/** The path a group is told apart by: `/name`, or `/name?query`. */
const pathOf = (group) => (group.startsWith('/') ? group : `/${group}`);

/**
 * @param {{ acked?: string[], ackInterval?: number }} [options] `acked`: the groups whose
 *   connections speak acknowledged delivery; `ackInterval`: the adapter's (PROTOCOL.md, "Acks")
 */
export async function startShareServer({ acked = [], ackInterval } = {}) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, handleProtocols: (offered) => [...offered][0] ?? false });
  await once(wss, 'listening');
  const { port } = /** @type {import('node:net').AddressInfo} */ (wss.address());
  const waiters = new Set();
  /** connection id -> its socket */
  const sockets = new Map();
  const changed = () => {
    for (const waiter of [...waiters]) waiter.check();
  };
  const ackedPaths = new Set(acked.map(pathOf));
  const adapter = new AckedServer(null, ackInterval === undefined ? {} : { ackInterval });

  const server = {
    port,
    /** @type {{ id: number, path: string, protocol: string, openedAt: number, closedAt: number | null, closeCode: number | null, closeReason: string | null, received: { at: number, data: string }[], sent: { at: number, data: string }[] }[]} */
    connections: [],
    /** @type {{ at: number, data: string, id: string, redelivered: boolean }[]} what the acked groups' application received */
    delivered: [],
    /** @type {any[]} the acked groups' sessions, in the order the adapter made them */
    sessions: [],

    /**
     * Sends `data` to the latest session of the acked groups; false when there is none yet.
     * @param {string} data
     */
    sendSession(data) {
      const session = server.sessions.at(-1);
      if (!session || session.ended) return false;
      session.send(data);
      return true;
    },

    /** The URL of group `group` (a path name, with a query string if wanted). @param {string} group */
    urlFor(group) {
      return `ws://127.0.0.1:${port}${pathOf(group)}`;
    },

    /** The connections of `group` (every one without), in the order they opened. @param {string} [group] */
    connectionsOf(group) {
      return group === undefined ? server.connections : server.connections.filter((c) => c.path === pathOf(group));
    },

    /** The connections of `group` (every one without) not closed yet. @param {string} [group] */
    openOf(group) {
      return server.connectionsOf(group).filter((c) => c.closedAt === null);
    },

    /**
     * Sends `data` on every open connection of `group` (of every group without one); returns how
     * many connections it went to.
     * @param {string} data
     * @param {string} [group]
     */
    push(data, group) {
      const targets = server.openOf(group);
      for (const connection of targets) {
        connection.sent.push({ at: now(), data });
        sockets.get(connection.id)?.send(data);
      }
      return targets.length;
    },

    /**
     * Every pair of connections of `group` that were open at once, with what the older one
     * received from `newer`'s open on (see the header for the rule).
     * @param {string} group
     */
    overlapsOf(group) {
      const list = server.connectionsOf(group);
      const overlaps = [];
      for (const [i, newer] of list.entries()) {
        for (const older of list.slice(0, i)) {
          if (older.closedAt !== null && older.closedAt <= newer.openedAt) continue;
          const late = older.received.filter((m) => m.at >= newer.openedAt);
          overlaps.push({ older: older.id, newer: newer.id, newerOpenedAt: newer.openedAt, olderClosedAt: older.closedAt, late });
        }
      }
      return overlaps;
    },

    /**
     * Resolves once `predicate(server)` holds; fails after `timeoutMs` saying `what` and the record.
     * @param {(s: typeof server) => boolean} predicate
     * @param {{ timeoutMs?: number, what?: string }} [options]
     */
    waitFor(predicate, { timeoutMs = 5000, what = 'the expected server state' } = {}) {
      if (predicate(server)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const waiter = {
          check() {
            if (!predicate(server)) return;
            clearTimeout(timer);
            waiters.delete(waiter);
            resolve(undefined);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`share server: no ${what} within ${timeoutMs} ms; ${server.describe()}`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },

    /** One line per connection, for failure messages. */
    describe() {
      return server.connections
        .map((c) => `#${c.id} ${c.path} open ${c.openedAt.toFixed(0)}–${c.closedAt?.toFixed(0) ?? 'open'} (${c.closeCode ?? ''}) in ${c.received.length} out ${c.sent.length}`)
        .join('; ') || 'no connection';
    },

    async stop() {
      await adapter.close().catch(() => {});
      for (const socket of sockets.values()) socket.terminate();
      wss.close();
      await once(wss, 'close');
    },
  };

  wss.on('connection', (socket, req) => {
    const record = {
      id: server.connections.length + 1,
      path: req.url ?? '/',
      protocol: socket.protocol,
      openedAt: now(),
      closedAt: /** @type {number | null} */ (null),
      closeCode: /** @type {number | null} */ (null),
      closeReason: /** @type {string | null} */ (null),
      received: /** @type {{ at: number, data: string }[]} */ ([]),
      sent: /** @type {{ at: number, data: string }[]} */ ([]),
    };
    server.connections.push(record);
    sockets.set(record.id, socket);
    socket.on('message', (data, isBinary) => {
      record.received.push({ at: now(), data: isBinary ? `binary:${Buffer.from(/** @type {Buffer} */ (data)).toString('hex')}` : data.toString() });
      changed();
    });
    socket.on('close', (code, reason) => {
      record.closedAt = now();
      record.closeCode = code;
      record.closeReason = reason.toString();
      sockets.delete(record.id);
      changed();
    });
    socket.on('error', () => {});
    if (ackedPaths.has(record.path)) adapter.accept(socket);
    changed();
  });
  adapter.on('session', (session) => {
    server.sessions.push(session);
    session.on('message', (data, _isBinary, identity) => {
      server.delivered.push({ at: now(), data: String(data), id: identity.id, redelivered: identity.redelivered });
      changed();
    });
  });

  return server;
}
