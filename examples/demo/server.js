// Serves the demo: the repository over HTTP (so the page can import /js/index.js and /pkg/) and a
// WebSocket echo server, both on free ports on 127.0.0.1. Without arguments it prints the page's URL
// and runs until Ctrl-C; with --headless it drives the page itself and exits 0 only if all went as
// expected. scripts/demo.sh builds pkg/ first.
import { startEchoServer, startStaticServer } from '../../e2e/support/servers.js';

const args = process.argv.slice(2);
const unknown = args.filter((arg) => arg !== '--headless');
if (unknown.length > 0) {
  console.error(`demo: unknown argument(s) ${unknown.join(' ')}; usage: demo [--headless]`);
  process.exit(2);
}

const http = await startStaticServer();
const echo = await startEchoServer();
const stop = () => Promise.all([http.stop(), echo.stop()]);
const pageUrl = `${http.url}/examples/demo/?ws=${echo.url}`;
console.log(`demo: static server on ${http.url}, echo server on ${echo.url}`);

if (args.includes('--headless')) {
  const { runHeadless } = await import('./headless.js');
  const ok = await runHeadless(pageUrl, echo);
  await stop();
  process.exitCode = ok ? 0 : 1;
} else {
  console.log(`demo: open ${pageUrl}`);
  console.log('demo: press Ctrl-C to stop the servers');
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, async () => {
      console.log(`\ndemo: ${signal}, stopping the servers`);
      await stop();
      process.exit(0);
    });
  }
}
