// The vertical slice end to end: the JS wrapper and the wasm in a real page (of the run's engine), against a real
// WebSocket server, with a message echoed through it and a clean close.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launchBrowser, openPage } from './support/browser.js';
import { startEchoServer, startStaticServer } from './support/servers.js';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

test('connects, echoes a message through the server and closes cleanly', { timeout: 60_000 }, async (t) => {
  const http = await startStaticServer();
  t.after(() => http.stop());
  const echo = await startEchoServer();
  t.after(() => echo.stop());
  const { page, errors } = await openPage(browser);
  t.after(() => page.close());
  await page.goto(`${http.url}/e2e/pages/harness.html`);

  const opened = await page.evaluate(async (url) => {
    const { ResilientWebSocket } = await import('/js/index.js');
    const ws = new ResilientWebSocket(url);
    window.ws = ws;
    const atConstruction = ws.readyState;
    const event = await window.nextEvent(ws, 'open');
    return { atConstruction, type: event.type, readyState: ws.readyState, url: ws.url };
  }, echo.url);
  assert.deepEqual(opened, { atConstruction: 0, type: 'open', readyState: 1, url: echo.url });
  assert.equal(echo.connections, 1, 'the server saw exactly one connection');

  const echoed = await page.evaluate(async () => {
    const received = window.nextEvent(window.ws, 'message');
    window.ws.send('hello');
    const event = await received;
    return { isMessageEvent: event instanceof MessageEvent, data: event.data, readyState: window.ws.readyState };
  });
  assert.deepEqual(echoed, { isMessageEvent: true, data: 'hello', readyState: 1 });
  assert.deepEqual(echo.received, ['hello'], 'the server received the message once');

  // An explicit code: close() without one is a close frame with no status, which browsers report as 1005.
  const closed = await page.evaluate(async () => {
    const closing = window.nextEvent(window.ws, 'close');
    window.ws.close(1000, 'done');
    const afterCall = window.ws.readyState;
    const event = await closing;
    return {
      afterCall,
      isCloseEvent: event instanceof CloseEvent,
      code: event.code,
      reason: event.reason,
      wasClean: event.wasClean,
      readyState: window.ws.readyState,
    };
  });
  assert.deepEqual(closed, {
    afterCall: 2,
    isCloseEvent: true,
    code: 1000,
    reason: 'done',
    wasClean: true,
    readyState: 3,
  });
  await echo.waitFor((server) => server.closes.length === 1, { what: 'close' });
  assert.deepEqual(echo.closes, [{ code: 1000, reason: 'done' }]);
  assert.equal(echo.connections, 1, 'one connection in all');
  assert.equal(echo.maxOpen, 1);

  assert.deepEqual(errors, [], 'the page raised no errors');
});
