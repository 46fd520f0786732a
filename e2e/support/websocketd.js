// Debian's websocketd (a Go WebSocket server, nothing to do with Node's ws) as a second, independent
// server implementation: each connection runs a small POSIX shell program that echoes every line
// (one WebSocket text message) and appends it, tagged with the connection's remote port, to a log
// file, which is the server-side record the delivery check reads. Stopped and restarted on the
// same port like a real server process. scripts/bootstrap.sh installs websocketd.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './nginx.js';
import { serverProcess } from './server-process.js';

export const WEBSOCKETD_PATH = ['/usr/bin/websocketd'].find((p) => existsSync(p)) ?? 'websocketd';

// websocketd sets REMOTE_PORT (CGI style) for every connection's process. `open` marks the start
// of a connection, so connections that received nothing are counted too.
const ECHO_AND_RECORD = `
log=$1
printf '%s open\\n' "$REMOTE_PORT" >> "$log"
while IFS= read -r line; do
  printf '%s\\n' "$line"
  printf '%s msg %s\\n' "$REMOTE_PORT" "$line" >> "$log"
done
`;

export async function startWebsocketd() {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'rws-websocketd-'));
  const log = path.join(dir, 'received.log');
  const port = await freePort();
  const program = serverProcess({
    port,
    what: 'websocketd',
    hint: (exited) => (exited?.error?.code === 'ENOENT' ? ' (websocketd is not installed: run scripts/bootstrap.sh)' : ''),
  });

  const server = {
    port,
    url: `ws://127.0.0.1:${port}/`,

    start: () =>
      program.start(WEBSOCKETD_PATH, [
        `--port=${port}`,
        '--address=127.0.0.1',
        '--loglevel=error',
        '/bin/sh',
        '-c',
        ECHO_AND_RECORD,
        'echo-and-record',
        log,
      ]),

    /** Kills the server process, as a crash or a restart would: every connection drops. */
    stop: () => program.stop(),

    /**
     * The log as the chaos server's record looks to analyzeDelivery(): connections (in order of
     * their start) and messages in arrival order, all of one client.
     */
    async record() {
      const text = await readFile(log, 'utf8').catch(() => '');
      const connections = [];
      const messages = [];
      const byPort = new Map();
      for (const line of text.split('\n')) {
        const match = /^(\d+) (open|msg)(?: (.*))?$/.exec(line);
        if (!match) continue;
        const [, remotePort, kind, data] = match;
        if (kind === 'open') {
          const connection = { id: connections.length + 1, ordinal: connections.length + 1 };
          connections.push(connection);
          byPort.set(remotePort, connection);
        } else {
          messages.push({ data, connection: byPort.get(remotePort)?.id, heartbeat: false });
        }
      }
      return {
        connections,
        received: messages,
        connectionsOf: () => connections,
        messages: () => messages,
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
