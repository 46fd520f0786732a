// URL and protocols providers: sync and async, called before every attempt with
// { attempt, lastClose }; a provider that throws, rejects or returns an invalid URL fails that
// attempt, is reported once, and the attempt is retried, with no unhandled rejection.
import assert from 'node:assert/strict';
import { assertNoPageErrors, setup, test, useBrowser } from './helpers.js';

const shared = useBrowser();

test('a URL provider returning a new URL on each attempt; ctx carries attempt and lastClose', async (t) => {
  const { page, errors, echo } = await setup(t, shared);
  await page.evaluate(async (base) => {
    window.contexts = [];
    let n = 0;
    const ws = new window.RWS(
      (ctx) => {
        window.contexts.push(structuredClone(ctx));
        return `${base}n${n++}`;
      },
      [],
      { reconnect: { minDelay: 20, maxDelay: 20, jitter: 'none' } },
    );
    window.ws = ws;
    window.urls = [ws.url];
    await window.nextEvent(ws, 'open');
    window.urls.push(ws.url);
  }, echo.url);
  // The server drops the first connection, then refuses one attempt, then accepts.
  const reopen = async (action) => {
    await page.evaluate(() => {
      window.reopened = window.nextEvent(window.ws, 'open', 3000);
    });
    action();
    await page.evaluate(async () => {
      await window.reopened;
      window.urls.push(window.ws.url);
    });
  };
  await reopen(() => {
    echo.refuse = 503;
    echo.closeAll(4001, 'first');
    // Refuse the first attempt (verifyClient runs before this resets the flag), accept the next.
    void echo.waitFor((s) => s.handshakes.length === 2).then(() => (echo.refuse = 0));
  });
  await reopen(() => echo.closeAll(1001, 'second'));
  const result = await page.evaluate(() => ({ contexts: window.contexts, urls: window.urls }));
  assert.deepEqual(echo.handshakes.map((h) => h.path), ['/n0', '/n1', '/n2', '/n3']);
  assert.deepEqual(echo.paths, ['/n0', '/n2', '/n3']);
  assert.deepEqual(result.urls, [`${echo.url}n0`, `${echo.url}n0`, `${echo.url}n2`, `${echo.url}n3`]);
  // attempt counts the attempts since the last open; lastClose is the close before this attempt.
  assert.deepEqual(result.contexts, [
    { attempt: 0, lastClose: null },
    { attempt: 0, lastClose: { code: 4001, reason: 'first', wasClean: true } },
    { attempt: 1, lastClose: { code: 1006, reason: '', wasClean: false } },
    { attempt: 0, lastClose: { code: 1001, reason: 'second', wasClean: true } },
  ]);
  assertNoPageErrors(errors, { failedConnections: true });
});

test('async URL and protocols providers; url is that of the current attempt', async (t) => {
  const { page, errors, echo } = await setup(t, shared, { handleProtocols: (offered) => [...offered].at(-1) });
  const result = await page.evaluate(async (base) => {
    const contexts = [];
    let n = 0;
    const delay = (ms, value) => new Promise((resolve) => setTimeout(() => resolve(value), ms));
    const ws = new window.RWS(
      async (ctx) => {
        contexts.push(ctx.attempt);
        return new URL(`${base}async${n}`);
      },
      async () => delay(30, ['base', `v${n++}`]),
      { reconnect: { minDelay: 20, maxDelay: 20, jitter: 'none' } },
    );
    const before = { url: ws.url, rs: ws.readyState };
    ws.send('queued while the providers run');
    await window.nextEvent(ws, 'open');
    const first = { url: ws.url, protocol: ws.protocol };
    const reopened = window.nextEvent(ws, 'open');
    ws.reconnect();
    await reopened;
    return { before, first, second: { url: ws.url, protocol: ws.protocol }, contexts };
  }, echo.url);
  assert.deepEqual(result, {
    before: { url: '', rs: 0 },
    first: { url: `${echo.url}async0`, protocol: 'v0' },
    second: { url: `${echo.url}async1`, protocol: 'v1' },
    contexts: [0, 0],
  });
  assert.deepEqual(echo.handshakes.map((h) => [h.path, h.protocols]), [
    ['/async0', 'base, v0'],
    ['/async1', 'base, v1'],
  ]);
  assert.deepEqual(echo.received, ['queued while the providers run']);
  assertNoPageErrors(errors);
});

test('a sync protocols provider with a fixed URL', async (t) => {
  const { page, errors, echo } = await setup(t, shared, { handleProtocols: (offered) => [...offered][0] });
  const result = await page.evaluate(async (url) => {
    const ws = new window.RWS(url, (ctx) => (ctx.lastClose ? 'again' : ['first', 'second']));
    await window.nextEvent(ws, 'open');
    const first = ws.protocol;
    const reopened = window.nextEvent(ws, 'open');
    ws.reconnect(4000, 'next');
    await reopened;
    return { url: ws.url, first, second: ws.protocol };
  }, echo.url);
  assert.deepEqual(result, { url: echo.url, first: 'first', second: 'again' });
  assert.deepEqual(echo.handshakes.map((h) => h.protocols), ['first, second', 'again']);
  assertNoPageErrors(errors);
});

test('a provider that throws, rejects or returns an invalid URL fails that attempt, which is retried', async (t) => {
  const { page, errors, echo } = await setup(t, shared);
  const result = await page.evaluate(async (base) => {
    const unhandled = [];
    window.addEventListener('unhandledrejection', (e) => unhandled.push(String(e.reason)));
    const reported = [];
    window.addEventListener('error', (e) => reported.push(`${e.error?.name}: ${e.error?.message}`));
    let n = 0;
    const ws = new window.RWS(
      (ctx) => {
        n += 1;
        if (n === 1) throw new Error('provider threw');
        if (n === 2) return Promise.reject(new Error('provider rejected'));
        if (n === 3) return 'ftp://127.0.0.1/not-a-websocket';
        return `${base}ok`;
      },
      [],
      { reconnect: { minDelay: 10, maxDelay: 10, jitter: 'none' } },
    );
    const log = window.record(ws, window.ALL_EVENTS);
    await window.nextEvent(ws, 'open', 3000);
    // Give a stray unhandled rejection the chance to show up.
    await new Promise((resolve) => setTimeout(resolve, 50));
    return { log, reported, unhandled, n, attempts: ws.stats.attempts };
  }, echo.url);
  assert.deepEqual(result.reported, [
    'Error: provider threw',
    'Error: provider rejected',
    'SyntaxError: The URL\'s scheme must be \'ws\', \'wss\', \'http\' or \'https\'.',
  ]);
  assert.deepEqual(result.unhandled, []);
  assert.equal(result.n, 4);
  assert.equal(result.attempts, 4);
  // The first failure happened inside the constructor, before the listeners; the later ones are
  // ordinary failed attempts.
  assert.deepEqual(result.log, [
    'error rs=0',
    'close 1006 "" unclean rs=0',
    'reconnecting attempt=2 delay=10 rs=0',
    'error rs=0',
    'close 1006 "" unclean rs=0',
    'reconnecting attempt=3 delay=10 rs=0',
    'statechange reconnecting->open rs=1',
    'open rs=1',
  ]);
  assert.deepEqual(echo.paths, ['/ok']);
  // Exactly the three reported errors, as uncaught exceptions; nothing else. (A DOMException has no
  // stack, so Playwright shows the third one without text; the page's own listener named it above.)
  assert.equal(errors.length, 3, JSON.stringify(errors));
  assert.match(errors[0], /^uncaught exception: .*provider threw/);
  assert.match(errors[1], /^uncaught exception: .*provider rejected/);
  assert.match(errors[2], /^uncaught exception: /);
});

test('close() while an async provider is pending closes at once, as close() during a handshake does', async (t) => {
  const { page, errors, echo } = await setup(t, shared);
  const result = await page.evaluate(async (url) => {
    let resolveUrl;
    const ws = new window.RWS(() => new Promise((resolve) => (resolveUrl = resolve)), [], {});
    const log = window.record(ws, window.ALL_EVENTS);
    ws.send('queued');
    const started = performance.now();
    const closed = window.nextEvent(ws, 'close', 2000);
    ws.close(1000, 'changed my mind');
    await closed;
    const took = performance.now() - started;
    // The provider's late answer opens nothing.
    resolveUrl(url);
    await new Promise((resolve) => setTimeout(resolve, 100));
    return { log, took, rs: ws.readyState };
  }, echo.url);
  // close() settles it in one step, so every event sees the final readyState.
  assert.deepEqual(result.log, [
    'statechange connecting->closing rs=3',
    'drop "queued" closed',
    'error rs=3',
    'statechange closing->closed rs=3',
    'close 1006 "" unclean rs=3',
  ]);
  assert.ok(result.took < 500, `closed after ${result.took} ms`);
  assert.equal(result.rs, 3);
  assert.equal(echo.handshakes.length, 0, 'the late provider answer opened nothing');
  assertNoPageErrors(errors);
});
