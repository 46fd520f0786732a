// The commandable server of the wasm layer (tests/web_driver.rs): a small HTTP control API through
// which each test starts a chaos server of its own (e2e/support/chaos-server.js, echoing every
// message and answering the heartbeat's 'ping' with 'pong') and commands its faults. One chaos server
// per test, not one shared by client id: a restart or a refusal is a fault of the whole listener, and
// a test's faults must not reach another test's sockets.
//
// scripts/test.sh starts it and compiles its URL into the tests as RWS_TEST_SERVER. It prints that
// URL (http://127.0.0.1:PORT) as the first line of stdout, then serves until SIGTERM or SIGINT.
//
// Every answer is JSON with `Access-Control-Allow-Origin: *` (the tests run on the page of
// wasm-bindgen-test-runner, another origin). Bodies are JSON sent as text/plain, so that every
// request is a "simple" cross-origin one, without a preflight:
//   POST /servers {answerPings}          a new chaos server -> { id, url }
//   GET  /servers/ID                     its record -> { url, running, openTcp, attempts, connections, received }
//   POST /servers/ID/refuse {n, status}  the next n handshakes (all by default) get HTTP status (503)
//   POST /servers/ID/stall {n}           the next n handshakes (all by default) get no answer
//   POST /servers/ID/accept              handshakes are answered again
//   POST /servers/ID/close {code, reason, lingerMs}   a close frame on every open connection
//   POST /servers/ID/terminate           every connection's TCP is destroyed, no close frame
//   POST /servers/ID/silence             every open connection is no longer read nor answered
//   POST /servers/ID/stop                stop listening (connections terminated), until start
//   POST /servers/ID/start               listen again on the same port
//   POST /servers/ID/restart {downMs}    stop, answer, and listen again after downMs
//   POST /servers/ID/pings {answer}      whether 'ping' is answered with 'pong'
//   POST /servers/ID/dispose             stop for good and forget it
// Each fault has taken effect when its answer (`{ done: true }`) is sent; a bad request gets HTTP 400
// `{ error }`.
import { once } from 'node:events';
import { createServer } from 'node:http';
import { startChaosServer } from '../../e2e/support/chaos-server.js';
import { BadRequest, readJson } from '../../e2e/support/control-requests.js';

/** Test servers by id. */
const servers = new Map();
let nextId = 1;

/** `n` of a request: a count, or all (Infinity) when absent. */
function count(n) {
  if (n === undefined) return Infinity;
  if (!Number.isInteger(n) || n < 0) throw new BadRequest(`n must be an integer >= 0, not ${n}`);
  return n;
}

/** The record of a chaos server as the tests read it: plain JSON, binary messages in hex. */
function record(chaos) {
  return {
    url: chaos.url,
    running: chaos.running,
    openTcp: chaos.openTcp,
    attempts: chaos.attempts.map(({ id, outcome, at, peerClosedAt }) => ({
      id,
      outcome,
      at,
      peerClosed: peerClosedAt !== undefined && peerClosedAt !== null,
    })),
    connections: chaos.connections.map((c) => ({
      id: c.id,
      ordinal: c.ordinal,
      openedAt: c.openedAt,
      open: c.closedAt === null,
      silent: c.silent,
      closedAt: c.closedAt,
      closeCode: c.closeCode,
      closeReason: c.closeReason,
      closedBy: c.closedBy,
    })),
    received: chaos.received.map((m) => ({
      connection: m.connection,
      heartbeat: m.heartbeat,
      ...(typeof m.data === 'string' ? { text: m.data } : { hex: Buffer.from(m.data).toString('hex') }),
    })),
  };
}

/** The faults, each done when it returns. */
const faults = {
  refuse(chaos, { n, status = 503 }) {
    if (!Number.isInteger(status) || status < 300 || status > 599) throw new BadRequest(`status ${status}`);
    chaos.refuse(count(n), status);
  },
  stall(chaos, { n }) {
    chaos.stall(count(n));
  },
  accept(chaos) {
    chaos.accept();
  },
  close(chaos, { code, reason = '', lingerMs = 0 }) {
    chaos.closeAll(code, reason, undefined, { lingerMs });
  },
  terminate(chaos) {
    chaos.terminateAll();
  },
  silence(chaos) {
    chaos.silenceAll();
  },
  async stop(chaos) {
    await chaos.stop();
  },
  async start(chaos) {
    await chaos.start();
  },
  async restart(chaos, { downMs = 0 }) {
    if (!Number.isFinite(downMs) || downMs < 0) throw new BadRequest(`downMs ${downMs}`);
    await chaos.stop();
    setTimeout(() => chaos.start().catch((error) => console.error("wasm test server: restart failed:", error)), downMs);
  },
  pings(chaos, { answer = true }) {
    chaos.answerPings = !!answer;
  },
  async dispose(chaos, _body, id) {
    servers.delete(id);
    await chaos.dispose();
  },
};

async function route(req) {
  const parts = new URL(req.url, 'http://127.0.0.1').pathname.split('/').filter(Boolean);
  if (parts[0] !== 'servers') throw new BadRequest(`no such path: ${req.url}`);
  if (parts.length === 1 && req.method === 'POST') {
    const { answerPings = true } = await readJson(req);
    const chaos = await startChaosServer({ echo: true, answerPings: !!answerPings });
    const id = String(nextId++);
    servers.set(id, chaos);
    return { id, url: chaos.url };
  }
  const [, id, fault] = parts;
  const chaos = servers.get(id);
  if (!chaos) throw new BadRequest(`no server ${id}`);
  if (parts.length === 2 && req.method === 'GET') return record(chaos);
  if (parts.length === 3 && req.method === 'POST' && Object.hasOwn(faults, fault)) {
    await faults[fault](chaos, await readJson(req), id);
    return { done: true };
  }
  throw new BadRequest(`no such request: ${req.method} ${req.url}`);
}

const control = createServer(async (req, res) => {
  const answer = (status, body) => {
    res.writeHead(status, {
      'Content-Type': 'application/json; charset=utf-8',
      'Access-Control-Allow-Origin': '*',
      'Cache-Control': 'no-store',
    });
    res.end(JSON.stringify(body));
  };
  try {
    answer(200, await route(req));
  } catch (error) {
    if (!(error instanceof BadRequest)) console.error(`wasm test server: ${req.method} ${req.url} failed:`, error);
    answer(error instanceof BadRequest ? 400 : 500, { error: error.message });
  }
});
control.listen(0, '127.0.0.1');
await once(control, 'listening');
console.log(`http://127.0.0.1:${control.address().port}`);

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, async () => {
    control.closeAllConnections();
    control.close();
    await Promise.all([...servers.values()].map((chaos) => chaos.dispose()));
    process.exit(0);
  });
}
