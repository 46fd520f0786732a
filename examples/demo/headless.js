// The demo's headless mode: opens the demo page in a headless browser (Chromium, Firefox or
// WebKit) and plays a fault scenario by clicking the page's own buttons (send, restart the server,
// go silent, refuse connections, close 1012), then prints the page's timeline as a table, saves a screenshot and checks what must hold:
// every fault was followed by a reconnect, the heartbeat caught the silent server, the messages sent
// while reconnecting were queued and replayed, every message sent was echoed exactly once and in
// order (and received by the server exactly once), and the session ended OPEN with no page error.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { isBrowserConnectionReport, launchEngine, openPage } from '../../e2e/support/browser.js';

const STEP_TIMEOUT_MS = 10_000;
const BURST = 5;
const DOWN_SECONDS = 1.5;
const REFUSE_SECONDS = 2;
const CLOSE_CODE = 1012;
const CLOSE_REASON = 'service restart';
// The close code each fault should cause: a crash and a refusal drop TCP (1006), the heartbeat closes
// a silent connection with 4000, and a close frame is reported as sent.
const EXPECTED_CLOSE = { restart: 1006, silence: 4000, refuse: 1006, close: CLOSE_CODE };
/** The code the page sees for the server's CLOSE_CODE: WebKit reports 1012 as 1006 (README, "Differences"). */
const closeCodeSeen = (engine) => (engine === 'webkit' ? 1006 : CLOSE_CODE);
const READY_STATES = ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED'];
/** Plays the scenario on `page`, step by step, logging each; throws if a step does not complete. */
async function playScenario(page, engine) {
  const mark = () => page.evaluate(() => window.demoTimeline.length);
  /** Waits for the first entry at or after index `from` that has all the fields of `match`. */
  const reach = async (what, match, from) => {
    try {
      const handle = await page.waitForFunction(
        ({ match, from }) => {
          // The page's module may still be loading: no record yet.
          const index = (window.demoTimeline ?? []).findIndex(
            (entry, i) => i >= from && Object.entries(match).every(([key, value]) => entry[key] === value),
          );
          return index >= 0 && { index };
        },
        { match, from },
        { timeout: STEP_TIMEOUT_MS },
      );
      return (await handle.jsonValue()).index;
    } catch (error) {
      throw new Error(`no ${what} within ${STEP_TIMEOUT_MS} ms (${error.message.split('\n')[0]})`);
    }
  };
  /** A reopened connection that has carried a heartbeat round trip is known to be alive. */
  const reopened = async (from) => {
    const open = await reach('open after the fault', { event: 'open' }, from);
    await reach('heartbeat round trip after the reopen', { event: 'heartbeat' }, open);
  };
  const step = (text) => console.log(`demo: ${text}`);

  await reach('open', { event: 'open' }, 0);
  step('connected; types "hello" and clicks send()');
  let from = await mark();
  await page.fill('#message', 'hello');
  await page.click('#send');
  await reach('echo of "hello"', { event: 'message', data: 'hello' }, from);
  await reach('heartbeat round trip', { event: 'heartbeat' }, from);

  step(`clicks Restart server (down ${DOWN_SECONDS} s), then Send a burst of ${BURST} while reconnecting`);
  from = await mark();
  await page.fill('#down-seconds', String(DOWN_SECONDS));
  await page.click('#restart');
  await reach('reconnecting state', { event: 'statechange', state: 'reconnecting' }, from);
  await page.fill('#burst-count', String(BURST));
  await page.click('#burst');
  await reopened(from);
  await reach(`echo of the burst's last message`, { event: 'message', data: `burst 1: ${BURST}/${BURST}` }, from);

  step('clicks Go silent; the heartbeat has to notice');
  from = await mark();
  await page.click('#silence');
  await reach('heartbeat close (4000)', { event: 'close', code: 4000 }, from);
  await reopened(from);

  step(`clicks Refuse connections for ${REFUSE_SECONDS} s`);
  from = await mark();
  await page.fill('#refuse-seconds', String(REFUSE_SECONDS));
  await page.click('#refuse');
  await reopened(from);

  step(`clicks Close with code ${CLOSE_CODE} "${CLOSE_REASON}"`);
  from = await mark();
  await page.fill('#close-code-value', String(CLOSE_CODE));
  await page.fill('#close-reason', CLOSE_REASON);
  await page.click('#close-code');
  await reach(`close ${closeCodeSeen(engine)}`, { event: 'close', code: closeCodeSeen(engine) }, from);
  await reach('open after the close', { event: 'open' }, from);

  step('types "bye" and clicks send()');
  from = await mark();
  await page.fill('#message', 'bye');
  await page.click('#send');
  await reach('echo of "bye"', { event: 'message', data: 'bye' }, from);
}

function printTimeline(timeline) {
  const columns = [
    ['t=+ms', 8, (e) => `+${e.t}`],
    ['event', 22, (e) => e.event],
    ['detail', 46, (e) => e.detail],
    ['connectionState', 15, (e) => e.state],
    ['readyState', 12, (e) => `${e.readyState} ${READY_STATES[e.readyState]}`],
    ['attempt/delay', 13, (e) => (e.attempt === undefined ? '' : `#${e.attempt} ${e.delay} ms`)],
    ['rtt', 6, (e) => (e.rtt === undefined ? '' : `${e.rtt} ms`)],
    ['queued (bytes)', 14, (e) => `${e.queued} (${e.bufferedAmount} B)`],
  ];
  const cell = (text, width) => (text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width));
  const row = (cells) => `  ${cells.map((text, i) => cell(text, columns[i][1])).join(' │ ')}`.trimEnd();
  console.log('demo: the page\'s timeline (t = ms since new ResilientWebSocket)');
  console.log(row(columns.map(([name]) => name)));
  console.log(row(columns.map(([, width]) => '─'.repeat(width))));
  for (const entry of timeline) console.log(row(columns.map(([, , value]) => value(entry))));
}

/** What must hold after the run; returns the problems found (none: the demo passed). */
function findProblems({ timeline, final, options, chaos, engine }) {
  const problems = [];
  const faults = timeline
    .map((entry, index) => ({ entry, index }))
    .filter(({ entry }) => entry.event === 'fault');
  const expectedFaults = Object.keys(EXPECTED_CLOSE);
  const played = faults.map(({ entry }) => entry.fault.name);
  if (played.join() !== expectedFaults.join()) {
    problems.push(`the faults played were [${played}], expected [${expectedFaults}]`);
  }
  faults.forEach(({ entry, index }, n) => {
    const name = entry.fault.name;
    if (entry.failed) problems.push(`fault ${name}: the control API did not do it`);
    const until = faults[n + 1]?.index ?? timeline.length;
    const after = timeline.slice(index + 1, until);
    const close = after.find((e) => e.event === 'close');
    if (!close) {
      problems.push(`fault ${name}: no close event followed`);
      return;
    }
    const expected = name === 'close' ? closeCodeSeen(engine) : EXPECTED_CLOSE[name];
    if (close.code !== expected) {
      problems.push(`fault ${name}: the first close was ${close.code}, expected ${expected}`);
    }
    const retry = after.find((e) => e.event === 'reconnecting' && e.t >= close.t);
    const open = after.find((e) => e.event === 'open' && e.t >= close.t);
    if (!retry || !open) problems.push(`fault ${name}: no reconnect followed the close`);
    if (name === 'close' && close.code === CLOSE_CODE && retry && retry.delay < 5 * options.reconnect.minDelay) {
      problems.push(`close ${CLOSE_CODE}: the reconnect waited ${retry.delay} ms, less than 5 × minDelay`);
    }
  });
  const refused = chaos.attempts.filter((a) => a.outcome === 'refused').length;
  if (refused === 0) problems.push('the server refused no handshake while refusing');

  const sent = timeline.filter((e) => e.event === 'send').map((e) => e.data);
  const echoed = timeline.filter((e) => e.event === 'message').map((e) => e.data);
  const atServer = chaos.messages().map((m) => m.data);
  if (JSON.stringify(echoed) !== JSON.stringify(sent)) {
    problems.push(`sent ${JSON.stringify(sent)} but the page got back ${JSON.stringify(echoed)}`);
  }
  if (JSON.stringify(atServer) !== JSON.stringify(sent)) {
    problems.push(`sent ${JSON.stringify(sent)} but the server received ${JSON.stringify(atServer)}`);
  }
  const burst = timeline.filter((e) => e.event === 'send' && e.data.startsWith('burst '));
  if (burst.length !== BURST || !burst.every((e) => e.queuedBySend)) {
    problems.push(`the burst was not ${BURST} messages all queued while reconnecting`);
  }
  if (final.stats.replayed < BURST) problems.push(`stats.replayed is ${final.stats.replayed}, expected ≥ ${BURST}`);
  if (!timeline.some((e) => e.event === 'heartbeat')) problems.push('no heartbeat round trip was measured');
  const failures = timeline.filter((e) => ['error', 'drop', 'giveup', 'send() threw'].includes(e.event) &&
    // A refused handshake is reported as error + close 1006, as natively.
    !(e.event === 'error' && e.state === 'reconnecting'));
  for (const e of failures) problems.push(`unexpected ${e.event} at +${e.t} ms: ${e.detail}`);
  if (final.connectionState !== 'open' || final.readyState !== 1) {
    problems.push(`the session ended ${final.connectionState} (readyState ${final.readyState}), expected open (1)`);
  }
  return problems;
}

/**
 * Runs the scenario in `engine` against the demo's servers (`startDemoServers()`); saves the
 * screenshot in `outDir`. Returns true when every check held.
 */
export async function runHeadless(servers, outDir, engine = 'chromium') {
  const started = Date.now();
  const browser = await launchEngine(engine);
  const problems = [];
  let result = null;
  try {
    const { page, errors } = await openPage(browser);
    await page.setViewportSize({ width: 1280, height: 900 });
    console.log(`demo: headless ${engine} opens ${servers.pageUrl}`);
    await page.goto(servers.pageUrl);
    let completed = false;
    try {
      await playScenario(page, engine);
      completed = true;
    } catch (error) {
      problems.push(`the scenario stopped early: ${error.message}`);
    }
    // Let the page redraw once more so the screenshot shows the end of the run.
    await new Promise((resolve) => setTimeout(resolve, 300));
    await mkdir(outDir, { recursive: true });
    const screenshot = path.join(outDir, 'demo-screenshot.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    result = await page.evaluate(() => ({
      timeline: window.demoTimeline,
      options: window.demoOptions,
      final: {
        connectionState: window.demoSocket.connectionState,
        readyState: window.demoSocket.readyState,
        stats: window.demoSocket.stats,
      },
    }));
    printTimeline(result.timeline);
    if (completed) problems.push(...findProblems({ ...result, chaos: servers.chaos, engine }));
    if (closeCodeSeen(engine) !== CLOSE_CODE) {
      console.log(`demo: ${engine} reports the server's ${CLOSE_CODE} as ${closeCodeSeen(engine)} (README, "Differences"): the restart wait does not apply`);
    }
    console.log(`demo: screenshot saved to ${screenshot}`);
    // Under faults the browser's reports of failed connections are expected; they are not the page's.
    const pageErrors = errors.filter((error) => !isBrowserConnectionReport(error));
    problems.push(...pageErrors.map((error) => `page error: ${error}`));
  } catch (error) {
    problems.push(`the page could not be driven: ${error.message.split('\n')[0]}`);
  } finally {
    await browser.close();
  }

  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  for (const problem of problems) console.log(`demo: FAILED: ${problem}`);
  if (problems.length === 0) {
    const { stats } = result.final;
    console.log(`demo: OK in ${seconds} s: each of ${Object.keys(EXPECTED_CLOSE).length} faults was followed by a ` +
      `reconnect, ${stats.replayed} queued messages were replayed, every message sent was echoed once and in ` +
      `order, and the session ended open (attempts ${stats.attempts}, reconnects ${stats.reconnects}, ` +
      `downtime ${stats.downtimeMs} ms)`);
  }
  return problems.length === 0;
}
