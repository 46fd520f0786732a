// The echo server of servers.js on its own, for the test layer that is not driven from Node:
// scripts/test.sh starts it for `wasm-pack test`, which compiles its URL into tests/web_driver.rs.
// Prints the URL as the first line of stdout, then serves until SIGTERM or SIGINT.
import { startEchoServer } from './servers.js';

const echo = await startEchoServer();
console.log(echo.url);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, async () => {
    await echo.stop();
    process.exit(0);
  });
}
