// Real local servers for the end-to-end tests and the demo. Each listens on a free port on 127.0.0.1
// only, and stop() ends every open connection so that a test never waits on a lingering socket.
import { once } from 'node:events';
import { readFile, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocket, WebSocketServer } from 'ws';
import { freePort } from './nginx.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

// Browsers refuse module scripts and streaming wasm compilation when these are wrong.
const MIME_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
};

async function listenOnFreeLoopbackPort(server) {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server.address().port;
}

async function statOrNull(file) {
  try {
    return await stat(file);
  } catch {
    return null;
  }
}

/**
 * @param {import('node:http').IncomingMessage} req
 * @param {import('node:http').ServerResponse} res
 * @param {string} root
 * @param {string} cacheControl
 * @param {string | undefined} headScript
 */
async function serveFile(req, res, root, cacheControl, headScript) {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD' }).end();
    return;
  }
  const url = new URL(req.url, 'http://127.0.0.1');
  let pathname;
  try {
    pathname = decodeURIComponent(url.pathname);
  } catch {
    res.writeHead(400).end();
    return;
  }
  let file = path.join(root, pathname);
  if (!file.startsWith(root)) {
    res.writeHead(403).end();
    return;
  }
  let info = await statOrNull(file);
  if (info?.isDirectory()) {
    // Relative links in an index.html resolve against the directory only with the trailing slash.
    if (!url.pathname.endsWith('/')) {
      res.writeHead(301, { Location: `${url.pathname}/${url.search}` }).end();
      return;
    }
    file = path.join(file, 'index.html');
    info = await statOrNull(file);
  }
  if (!info?.isFile()) {
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`not found: ${pathname}\n`);
    return;
  }
  let body = await readFile(file);
  if (headScript !== undefined && path.extname(file) === '.html') {
    // First in <head>: it runs before any script of the page.
    const html = body.toString('utf8').replace(/<head>/i, (head) => `${head}<script>${headScript}</script>`);
    body = Buffer.from(html);
  }
  res.writeHead(200, {
    'Content-Type': MIME_TYPES[path.extname(file)] ?? 'application/octet-stream',
    'Content-Length': body.length,
    'Cache-Control': cacheControl,
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/**
 * A static HTTP server over the repository root, so pages can import /js/index.js and /pkg/, or
 * over another directory (`root`, e.g. a built example app).
 * `no-store` by default, so that a rebuilt pkg/ is what the next page load gets. The bfcache test
 * passes `no-cache` (revalidate on every load): Chromium keeps no page served with `no-store` in the
 * back/forward cache (MainResourceHasCacheControlNoStore, and WebSocketUsedWithCCNS once the page
 * used a WebSocket). `requests` lists the path of every request, in order, whichever engine made
 * it. `headScript`, if given, is put first in the `<head>` of every HTML page served, so that it
 * runs before the page's own scripts in every engine (WebDriver classic has no init scripts).
 */
export async function startStaticServer({ root = REPO_ROOT, cacheControl = 'no-store', headScript } = {}) {
  const base = path.join(path.resolve(root), path.sep);
  /** @type {string[]} */
  const requests = [];
  const server = createServer((req, res) => {
    requests.push(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    serveFile(req, res, base, cacheControl, headScript).catch((error) => {
      res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`${error}\n`);
    });
  });
  const port = await listenOnFreeLoopbackPort(server);
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    requests,
    async stop() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

/**
 * A WebSocket echo server that records what it saw: every message received (strings as strings,
 * binary as Buffers), every close (code and reason as the server got them), and how many sockets were
 * open at once. waitFor(predicate) resolves once the record satisfies the predicate.
 *
 * Options, all optional: `handleProtocols(offered: Set<string>) => string | false` picks the
 * subprotocol (as in `ws`); `perMessageDeflate` (as in `ws`); `reply(message, isBinary)` answers a
 * message instead of echoing it: `undefined` echoes, `null` answers nothing, anything else is sent
 * (also settable later as `echo.reply`). The server can be commanded: `echo.refuse = 503` refuses
 * every upgrade with that HTTP status until set back to 0; `closeAll(code, reason)` closes, and
 * `terminateAll()` drops, every open connection; `sendAll(data, { binary })` sends to every one.
 * It also records every upgrade request in `handshakes` (`{ path, protocols, at }`, refused ones
 * included) and the request path of each accepted connection in `paths`.
 */
export async function startEchoServer(options = {}) {
  const { handleProtocols, perMessageDeflate = false, reply } = options;
  const wss = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    perMessageDeflate,
    ...(handleProtocols ? { handleProtocols } : {}),
    verifyClient: (info, accept) => {
      const offered = info.req.headers['sec-websocket-protocol'];
      echo.handshakes.push({ path: info.req.url, protocols: offered ?? null, at: Date.now() });
      changed();
      if (echo.refuse) accept(false, echo.refuse);
      else accept(true);
    },
  });
  await once(wss, 'listening');
  const { port } = wss.address();
  const waiters = new Set();

  const echo = {
    port,
    // The URL as a browser WebSocket reports it (`url` gains the trailing slash).
    url: `ws://127.0.0.1:${port}/`,
    connections: 0,
    open: 0,
    maxOpen: 0,
    // `open` counts a socket until its close event (TCP closed), so it includes sockets that have
    // already received a close frame (CLOSING). `maxLive`: the most sockets OPEN at once (no close
    // frame yet), read at each new connection; `overlaps`: connections that arrived while another
    // socket was still CLOSING.
    maxLive: 0,
    overlaps: 0,
    received: [],
    closes: [],
    handshakes: [],
    paths: [],
    refuse: 0,
    reply,
    sockets: new Set(),

    closeAll(code, reason) {
      for (const socket of echo.sockets) socket.close(code, reason);
    },
    terminateAll() {
      for (const socket of echo.sockets) socket.terminate();
    },
    sendAll(data, { binary = typeof data !== 'string' } = {}) {
      for (const socket of echo.sockets) socket.send(data, { binary });
    },

    waitFor(predicate, { timeoutMs = 5000, what = 'the expected server state' } = {}) {
      if (predicate(echo)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const waiter = {
          check() {
            if (!predicate(echo)) return;
            clearTimeout(timer);
            waiters.delete(waiter);
            resolve();
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          const { connections, open, received, closes } = echo;
          reject(new Error(`echo server: no ${what} within ${timeoutMs} ms; ` +
            `state: ${JSON.stringify({ connections, open, received, closes })}`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },

    async stop() {
      for (const socket of wss.clients) socket.terminate();
      wss.close();
      await once(wss, 'close');
    },
  };

  const changed = () => {
    for (const waiter of [...waiters]) waiter.check();
  };

  wss.on('connection', (socket, req) => {
    echo.paths.push(req.url);
    echo.sockets.add(socket);
    echo.connections += 1;
    echo.open += 1;
    echo.maxOpen = Math.max(echo.maxOpen, echo.open);
    const states = [...wss.clients].map((client) => client.readyState);
    echo.maxLive = Math.max(echo.maxLive, states.filter((state) => state === WebSocket.OPEN).length);
    if (states.some((state) => state === WebSocket.CLOSING)) echo.overlaps += 1;
    socket.on('message', (data, isBinary) => {
      const message = isBinary ? data : data.toString();
      echo.received.push(message);
      const answer = echo.reply ? echo.reply(message, isBinary) : undefined;
      if (answer === undefined) socket.send(data, { binary: isBinary });
      else if (answer !== null) socket.send(answer, { binary: typeof answer !== 'string' });
      changed();
    });
    socket.on('close', (code, reason) => {
      echo.sockets.delete(socket);
      echo.open -= 1;
      echo.closes.push({ code, reason: reason.toString() });
      changed();
    });
    changed();
  });

  return echo;
}

/**
 * A loopback port nothing listens on (a connection to it is refused), as a free port that was
 * closed again. Not port 9: the fetch standard blocks it, and WebKit then fires a WebSocket's
 * `error` but never its `close`.
 */
export function closedPort() {
  return freePort();
}

/**
 * A TCP server that accepts connections and never answers: a WebSocket handshake against it never
 * completes. Records how many connections it accepted.
 */
export async function startStallServer() {
  const sockets = new Set();
  const server = net.createServer((socket) => {
    stall.connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  });
  const port = await listenOnFreeLoopbackPort(server);
  const stall = {
    port,
    url: `ws://127.0.0.1:${port}/`,
    connections: 0,
    async stop() {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
  return stall;
}
