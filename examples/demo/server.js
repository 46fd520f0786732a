// README command 1 (scripts/demo.sh runs it after the build): starts the demo's servers (see
// fault-server.js). Without arguments it prints the page's URL and serves until Ctrl-C. With
// --headless it runs the scripted fault scenario in a headless browser (see headless.js) and exits 0
// only if everything it checks held; --engine chromium|firefox|webkit says which (Chromium by
// default; WebKit needs a display: scripts/demo.sh gives it one), --out DIR where the screenshot goes.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ENGINES } from '../../e2e/support/browser.js';
import { startDemoServers } from './fault-server.js';

const USAGE = 'usage: node examples/demo/server.js [--headless [--engine chromium|firefox|webkit] [--out DIR]]';
let options;
try {
  ({ values: options } = parseArgs({
    options: {
      headless: { type: 'boolean', default: false },
      engine: { type: 'string', default: 'chromium' },
      out: { type: 'string' },
    },
  }));
} catch (error) {
  console.error(`demo: ${error.message}\n${USAGE}`);
  process.exit(2);
}
if (!ENGINES.includes(options.engine)) {
  console.error(`demo: --engine ${options.engine}: not one of ${ENGINES.join(', ')}\n${USAGE}`);
  process.exit(2);
}

const servers = await startDemoServers();
console.log(`demo: static server on ${servers.http.url}, WebSocket server on ${servers.chaos.url}, ` +
  `control API on ${servers.controlUrl}`);

if (options.headless) {
  const { runHeadless } = await import('./headless.js');
  const outDir = path.resolve(options.out ?? fileURLToPath(new URL('output/', import.meta.url)));
  const ok = await runHeadless(servers, outDir, options.engine);
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
