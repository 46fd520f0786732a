// The demo's headless mode: drives the demo page in headless Chromium like a person would (type,
// click Send, click Close), prints the timeline the page recorded, and checks it against the
// expected connect → echo → close sequence.
import { launchChromium, openPage } from '../../e2e/support/browser.js';

const STATE_NAMES = ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED'];
const CLOSE_REASON = 'closed from the demo page';

// [event, readyState right after it, detail] as the page records them.
const EXPECTED = [
  ['new ResilientWebSocket', 0, null],
  ['open', 1, ''],
  ['send()', 1, '"hello"'],
  ['message', 1, '"hello"'],
  ['close()', 2, 'code=1000'],
  ['close', 3, `code=1000 reason=${JSON.stringify(CLOSE_REASON)} wasClean=true`],
];

function printTimeline(timeline) {
  console.log('demo: timeline (t = ms since new ResilientWebSocket, as recorded in the page)');
  for (const { t, event, detail, readyState } of timeline) {
    const what = `${event} ${detail}`.trim();
    console.log(`  ${`t=+${t}ms`.padEnd(10)} ${what.padEnd(64)} readyState=${readyState} ${STATE_NAMES[readyState]}`);
  }
}

function timelineProblems(timeline) {
  const problems = [];
  if (timeline.length !== EXPECTED.length) {
    problems.push(`expected ${EXPECTED.length} entries, got ${timeline.length}`);
  }
  EXPECTED.forEach(([event, readyState, detail], index) => {
    const entry = timeline[index];
    if (!entry) return;
    if (entry.event !== event || entry.readyState !== readyState || (detail !== null && entry.detail !== detail)) {
      problems.push(`entry ${index}: expected ${event} ${detail ?? ''} readyState=${readyState}, ` +
        `got ${entry.event} ${entry.detail} readyState=${entry.readyState}`);
    }
  });
  return problems;
}

/** Returns true when the page, the server and the browser all saw exactly the expected run. */
export async function runHeadless(pageUrl, echo) {
  const browser = await launchChromium();
  let page;
  let errors = [];
  const problems = [];
  try {
    ({ page, errors } = await openPage(browser));
    const reached = (event) =>
      page.waitForFunction((name) => window.demoTimeline?.some((entry) => entry.event === name), event);
    console.log(`demo: headless Chromium opens ${pageUrl}`);
    await page.goto(pageUrl);
    await reached('open');
    console.log('demo: connected; types "hello" and clicks Send');
    await page.fill('#message', 'hello');
    await page.click('#send');
    await reached('message');
    console.log('demo: echo received; clicks Close');
    await page.click('#close');
    await reached('close');
    await echo.waitFor((server) => server.closes.length > 0, { what: 'close' });
  } catch (error) {
    problems.push(`the run stopped early: ${error.message.split('\n')[0]}`);
  }

  const timeline = page ? await page.evaluate(() => window.demoTimeline ?? []) : [];
  await browser.close();
  printTimeline(timeline);
  console.log(`demo: the server received ${JSON.stringify(echo.received)} over ${echo.connections} connection(s), ` +
    `closes ${JSON.stringify(echo.closes)}`);

  problems.push(...timelineProblems(timeline));
  if (JSON.stringify(echo.received) !== '["hello"]') problems.push('the server did not receive exactly "hello"');
  if (echo.connections !== 1) problems.push(`the server saw ${echo.connections} connections, expected 1`);
  problems.push(...errors.map((error) => `page error: ${error}`));
  for (const problem of problems) console.log(`demo: FAILED: ${problem}`);
  if (problems.length === 0) console.log('demo: OK: connect → echo → close went as expected');
  return problems.length === 0;
}
