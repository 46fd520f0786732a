// The acknowledged-delivery stack of the end-to-end tests and the soak run: the chaos server (faults)
// in front of the real AckedServer adapter (server/index.js), and a server application that records,
// per client, every message it receives and sends each client's session a numbered stream.
//
// Clients are told apart by the chaos server's `?client=` URL parameter; a session is assigned to a
// client when it connects. The stream numbers are the message texts ("1", "2", …) both ways, so a
// test compares what arrived with 1..n.
import { AckedServer } from '../../server/index.js';
import { startChaosServer } from '../support/chaos-server.js';

/**
 * @param {{ serverOptions?: object, periodMs?: number }} [options] `serverOptions` go to
 *   AckedServer; `periodMs` is the interval of the server's numbered stream to each sending client.
 */
export async function startAckedStack({ serverOptions = {}, periodMs = 10 } = {}) {
  /** @type {WeakMap<object, string>} socket -> client name */
  const clientOf = new WeakMap();
  /** @type {Map<string, { received: number[], sent: number, session: any, sessions: number, sending: boolean, violations: object[] }>} */
  const clients = new Map();

  const stack = {
    /** @type {Awaited<ReturnType<typeof startChaosServer>>} */
    chaos: /** @type {any} */ (null),
    /** @type {AckedServer} */
    server: /** @type {any} */ (null),
    /** Violations the adapter reported, in order. */
    violations: [],
    /** Sessions the adapter forgot after their ttl or discarded on overflow. */
    ended: [],

    /** The record of client `name`, created on first use. */
    client(name) {
      if (!clients.has(name)) {
        clients.set(name, { received: [], sent: 0, session: null, sessions: 0, sending: false, violations: [] });
      }
      return clients.get(name);
    },

    /** The server starts (or stops) sending its numbered stream to `name`'s session. */
    sending(name, on) {
      stack.client(name).sending = on;
    },

    /**
     * The server process "restarts" without its sessions: a fresh adapter takes the new
     * connections, and the connections of the old one are dropped (TCP, no close frame).
     */
    forgetSessions() {
      stack.chaos.terminateAll();
      stack.server = adapter();
    },

    async stop() {
      clearInterval(timer);
      await stack.chaos.stop();
    },
  };

  const adapter = () => {
    const server = new AckedServer(null, serverOptions);
    server.on('session', (session) => {
      let name = null;
      session.on('connect', () => {
        name = clientOf.get(session.socket) ?? 'default';
        const record = stack.client(name);
        if (record.session !== session) {
          record.session = session;
          record.sessions += 1;
        }
      });
      session.on('message', (data) => {
        stack.client(name).received.push(Number(data));
      });
      session.on('end', (reason) => stack.ended.push({ client: name, reason }));
    });
    server.on('violation', (violation) => stack.violations.push({ code: violation.code, reason: violation.reason }));
    return server;
  };

  stack.server = adapter();
  stack.chaos = await startChaosServer({
    onConnection(ws, { client }) {
      clientOf.set(ws, client);
      stack.server.accept(ws);
    },
  });

  const timer = setInterval(() => {
    for (const record of clients.values()) {
      if (record.sending && record.session && !record.session.ended) {
        record.sent += 1;
        record.session.send(String(record.sent));
      }
    }
  }, periodMs);
  timer.unref();
  return stack;
}

/** The numbers 1..n. */
export const upTo = (n) => Array.from({ length: n }, (_, i) => i + 1);

/**
 * One direction of a numbered stream: `received` (in arrival order) against 1..sent. `missing`
 * names the first ten lost.
 * @param {number} sent
 * @param {number[]} received
 */
export function countStream(sent, received) {
  const seen = new Set();
  let duplicated = 0;
  let outOfOrder = 0;
  received.forEach((n, i) => {
    if (seen.has(n)) duplicated += 1;
    else if (i > 0 && n < received[i - 1]) outOfOrder += 1;
    seen.add(n);
  });
  const missing = upTo(sent).filter((n) => !seen.has(n));
  return { sent, delivered: seen.size, duplicated, outOfOrder, lost: missing.length, missing: missing.slice(0, 10) };
}
