// Seed 004's server (tornado_echo.py: a Tornado WebSocketHandler echo server with check_origin and
// websocket_ping_interval) run by a test as a child process of Debian's /usr/bin/python3, on a
// free 127.0.0.1 port, killed and started again on the same port like a real server process, and
// its log file read back as the server-side record the fault harness checks. Always /usr/bin/python3:
// python3-tornado is installed for Debian's Python, not for another python3 that may come first on
// PATH. scripts/bootstrap.sh installs it.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './nginx.js';
import { serverProcess } from './server-process.js';

export const PYTHON_PATH = '/usr/bin/python3';
const SERVER_PATH = fileURLToPath(new URL('./tornado_echo.py', import.meta.url));

/**
 * Starts the server, accepting WebSocket handshakes whose Origin is `origin` only, with
 * `websocket_ping_interval` `pingIntervalMs`. Returns { port, url, start({ origin }), stop(),
 * record(), dispose() }.
 */
export async function startTornado({ origin, pingIntervalMs }) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'rws-tornado-'));
  const log = path.join(dir, 'record.jsonl');
  const port = await freePort();
  const program = serverProcess({
    port,
    what: 'the Tornado server',
    hint: (exited, output) =>
      exited?.error?.code === 'ENOENT'
        ? ` (${PYTHON_PATH} is missing)`
        : /No module named 'tornado'/.test(output)
          ? ` (Debian's python3-tornado is not installed for ${PYTHON_PATH}: run scripts/bootstrap.sh)`
          : '',
  });

  const server = {
    port,
    url: `ws://127.0.0.1:${port}/`,
    origin,

    /** Starts the process (again, on the same port), accepting `origin` (by default the last one). */
    async start({ origin: allowed = server.origin } = {}) {
      server.origin = allowed;
      await program.start(PYTHON_PATH, [
        SERVER_PATH,
        `--port=${port}`,
        `--origin=${allowed}`,
        `--ping-interval=${pingIntervalMs / 1000}`,
        `--log=${log}`,
      ]);
    },

    /** Kills the server process, as a crash would (Python dies at once on SIGTERM). */
    stop: () => program.stop(),

    /**
     * The log, over every process so far, shaped as the chaos server's record is for the fault
     * harness: `connections` ({ id, ordinal, client, pid, openedAt, closedAt, closeCode }),
     * `received` in arrival order, `overlaps` (for assertOneConnectionAtATime), and beside them
     * `handshakes` ({ at, pid, origin, accepted }) and `pongs` ({ at, connection }).
     */
    async record() {
      const text = await readFile(log, 'utf8').catch(() => '');
      const handshakes = [];
      const connections = [];
      const received = [];
      const pongs = [];
      const overlaps = [];
      const byKey = new Map(); // `${pid}:${conn}` -> connection
      for (const line of text.split('\n')) {
        if (line === '') continue;
        const entry = JSON.parse(line);
        const key = `${entry.pid}:${entry.conn}`;
        switch (entry.event) {
          case 'handshake':
            handshakes.push({ at: entry.at, pid: entry.pid, origin: entry.origin, accepted: entry.accepted });
            break;
          case 'open': {
            const connection = {
              id: connections.length + 1,
              ordinal: connections.filter((c) => c.client === entry.client).length + 1,
              client: entry.client,
              pid: entry.pid,
              openedAt: entry.at,
              closedAt: null,
              closeCode: null,
            };
            // Open at this point, as Tornado saw it: the connections of this client in this process
            // not closed yet (the log is in the process's order of events). Those of an earlier
            // process are all gone: stop() waits for its exit before a new one is started. Nothing
            // in these tests has the client close first, so every overlap fails the check.
            const alsoOpen = connections.filter((c) => c.client === entry.client && c.pid === entry.pid && c.closedAt === null);
            if (alsoOpen.length > 0) {
              overlaps.push({ client: entry.client, at: entry.at, connection: connection.id, alsoOpen: alsoOpen.map((c) => c.id), closeInFlight: false });
            }
            connections.push(connection);
            byKey.set(key, connection);
            break;
          }
          case 'message': {
            const connection = byKey.get(key);
            received.push({ order: received.length + 1, connection: connection.id, client: connection.client, data: entry.data, at: entry.at });
            break;
          }
          case 'pong':
            pongs.push({ at: entry.at, connection: byKey.get(key).id });
            break;
          case 'close': {
            const connection = byKey.get(key);
            connection.closedAt = entry.at;
            connection.closeCode = entry.code;
            break;
          }
          default:
            throw new Error(`tornado_echo.py logged an unknown event: ${line}`);
        }
      }
      return {
        handshakes,
        connections,
        received,
        pongs,
        overlaps,
        connectionsOf: (client) => connections.filter((c) => c.client === client),
        messages: (client) => received.filter((m) => m.client === client),
      };
    },

    async dispose() {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}
