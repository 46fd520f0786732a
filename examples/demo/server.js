// README command 1 (scripts/demo.sh runs it after the build): starts the demo's servers (see
// fault-server.js). Without arguments it prints the page's URL and serves until Ctrl-C. With
// --headless it runs the scripted fault scenario in headless Chromium (see headless.js) and exits 0
// only if everything it checks held; --out DIR says where the screenshot goes.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startDemoServers } from './fault-server.js';

const USAGE = 'usage: node examples/demo/server.js [--headless [--out DIR]]';
let options;
try {
  ({ values: options } = parseArgs({
    options: { headless: { type: 'boolean', default: false }, out: { type: 'string' } },
  }));
} catch (error) {
  console.error(`demo: ${error.message}\n${USAGE}`);
  process.exit(2);
}

const servers = await startDemoServers();
console.log(`demo: static server on ${servers.http.url}, WebSocket server on ${servers.chaos.url}, ` +
  `control API on ${servers.controlUrl}`);

if (options.headless) {
  const { runHeadless } = await import('./headless.js');
  const outDir = path.resolve(options.out ?? fileURLToPath(new URL('output/', import.meta.url)));
  const ok = await runHeadless(servers, outDir);
  await servers.stop();
  process.exitCode = ok ? 0 : 1;
} else {
  console.log(`demo: open ${servers.pageUrl}`);
  console.log('demo: press Ctrl-C to stop the servers');
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, async () => {
      console.log(`\ndemo: ${signal}, stopping the servers`);
      await servers.stop();
      process.exit(0);
    });
  }
}
