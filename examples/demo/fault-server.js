// The demo's servers, all on free ports on 127.0.0.1:
//   - static:  the repository over HTTP, so the page can import /js/index.js and /pkg/;
//   - ws:      the chaos server of the fault suite (e2e/support/chaos-server.js) in echo mode: it
//              echoes every message and answers the heartbeat's 'ping' with 'pong';
//   - control: a small HTTP API with which the page's buttons inflict faults on the ws server.
//
// The control API takes POST requests with a JSON body sent as text/plain (a "simple" cross-origin
// request: the page is served by the static server, another origin, and needs no preflight):
//   POST /restart {downMs}        stop listening (open connections dropped, no close frame), listen
//                                 again on the same port after downMs
//   POST /silence                 the open connections go silent: not read, not answered, TCP kept
//   POST /refuse {seconds}        drop the open connections; every handshake gets HTTP 503 for
//                                 that long (or until /accept)
//   POST /accept                  end a refusal now
//   POST /close {code, reason}    close the open connections with that close frame
// Each answers `{ done, refusingMs }`: what the server did, and how long it still refuses (0 if not),
// or HTTP 400 `{ error }` for a bad request.
import { once } from 'node:events';
import { createServer } from 'node:http';
import { startChaosServer } from '../../e2e/support/chaos-server.js';
import { BadRequest, readJson } from '../../e2e/support/control-requests.js';
import { startStaticServer } from '../../e2e/support/servers.js';

const MAX_DOWN_MS = 60_000;
const MAX_REFUSE_SECONDS = 600;

/** The close codes a server may send (RFC 6455 §7.4; the same rule as `ws`'s). */
function isSendableCloseCode(code) {
  return Number.isInteger(code) &&
    ((code >= 1000 && code <= 1014 && ![1004, 1005, 1006].includes(code)) || (code >= 3000 && code <= 4999));
}

/**
 * Starts the three servers. `stop()` ends them all. `chaos` is the chaos server itself, whose
 * record (attempts, connections, received messages) the headless mode checks.
 */
export async function startDemoServers() {
  const http = await startStaticServer();
  const chaos = await startChaosServer({ echo: true });
  let restartTimer = null;
  let acceptTimer = null;
  let acceptAt = 0;

  const refusingMs = () => (acceptTimer ? Math.max(0, Math.round(acceptAt - Date.now())) : 0);
  const endRefusal = () => {
    clearTimeout(acceptTimer);
    acceptTimer = null;
    chaos.accept();
  };

  /** Each fault takes effect before its answer is sent; the answer says what was done. */
  const faults = {
    async restart({ downMs = 1000 }) {
      if (!Number.isFinite(downMs) || downMs < 0 || downMs > MAX_DOWN_MS) {
        throw new BadRequest(`downMs must be a number of ms in [0, ${MAX_DOWN_MS}]`);
      }
      if (restartTimer) throw new BadRequest('the server is already restarting');
      await chaos.stop();
      restartTimer = setTimeout(() => {
        chaos.start().finally(() => {
          restartTimer = null;
        });
      }, downMs);
      return `stopped; listening again on port ${chaos.port} in ${downMs} ms`;
    },
    silence() {
      const count = chaos.open().length;
      chaos.silenceAll();
      return `silenced ${count} connection(s): not read, not answered, TCP kept open`;
    },
    refuse({ seconds = 3 }) {
      if (!Number.isFinite(seconds) || seconds <= 0 || seconds > MAX_REFUSE_SECONDS) {
        throw new BadRequest(`seconds must be a number in (0, ${MAX_REFUSE_SECONDS}]`);
      }
      endRefusal();
      chaos.refuse(Infinity, 503);
      acceptAt = Date.now() + seconds * 1000;
      acceptTimer = setTimeout(endRefusal, seconds * 1000);
      const count = chaos.open().length;
      chaos.terminateAll();
      return `dropped ${count} open connection(s); handshakes get HTTP 503 for ${seconds} s`;
    },
    accept() {
      endRefusal();
      return 'handshakes are accepted again';
    },
    close({ code = 1000, reason = '' }) {
      if (!isSendableCloseCode(code)) {
        throw new BadRequest(`${code} is not a close code a server may send (1000–1003, 1007–1014, 3000–4999)`);
      }
      if (typeof reason !== 'string' || Buffer.byteLength(reason) > 123) {
        throw new BadRequest('the reason must be a string of at most 123 UTF-8 bytes');
      }
      const count = chaos.open().length;
      chaos.closeAll(code, reason);
      return `sent close ${code} ${JSON.stringify(reason)} on ${count} connection(s)`;
    },
  };

  const control = createServer(async (req, res) => {
    const answer = (status, body) => {
      res.writeHead(status, {
        'Content-Type': 'application/json; charset=utf-8',
        'Access-Control-Allow-Origin': http.url,
      });
      res.end(JSON.stringify(body));
    };
    const name = new URL(req.url, 'http://127.0.0.1').pathname.slice(1);
    if (req.method !== 'POST' || !Object.hasOwn(faults, name)) {
      answer(404, { error: `no such fault: ${req.method} /${name}; POST one of ${Object.keys(faults).join(', ')}` });
      return;
    }
    try {
      const done = await faults[name](await readJson(req));
      console.log(`demo: server: ${done}`);
      answer(200, { done, refusingMs: refusingMs() });
    } catch (error) {
      if (!(error instanceof BadRequest)) console.error(`demo: server: /${name} failed:`, error);
      answer(error instanceof BadRequest ? 400 : 500, { error: error.message });
    }
  });
  control.listen(0, '127.0.0.1');
  await once(control, 'listening');
  const controlUrl = `http://127.0.0.1:${control.address().port}`;

  const query = new URLSearchParams({ ws: chaos.url, control: controlUrl });
  return {
    http,
    chaos,
    controlUrl,
    pageUrl: `${http.url}/examples/demo/?${query}`,
    async stop() {
      clearTimeout(restartTimer);
      clearTimeout(acceptTimer);
      control.closeAllConnections();
      control.close();
      await Promise.all([once(control, 'close'), http.stop(), chaos.dispose()]);
    },
  };
}
