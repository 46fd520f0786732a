// Several tabs of one browser context, and the faults a tab can suffer, in each engine: closed,
// navigated away, crashed, frozen (and thawed). For the share tests (e2e/share), whose group is
// the tabs of one context.
//
// What each engine does (measured with three pages of one context, each running a 20 ms timer and
// a BroadcastChannel; the tests print which fault they used):
// - Several pages of one context. Chromium: Playwright's `context.newPage()`, each page in a
//   renderer process of its own, every one `visible` (headless). Firefox: a page in a window of its
//   own (`newPage({ window: true })`), else every page but the front tab is `hidden` and its timers
//   throttled; same-site pages share content processes (fission: up to 4 per site, and a prelaunched
//   one is taken first), so the browser is launched with TAB_PROCESS_PREFS, which give every page a
//   content process spawned for it alone. WebKit: a window per page (engines/webkit.js), each with
//   a WebKitWebProcess of its own, created with the window; but every context of the one WebDriver
//   session is one profile, so Web Locks and BroadcastChannel reach across contexts.
// - Crash. Chromium: CDP `Page.crash` (the page's renderer dies, the others live on and get the
//   lock it held). Firefox: SIGKILL of the page's content process (the parent releases its Web Lock
//   within about 60 ms). WebKit: SIGKILL of the page's web process kills the page alone (the
//   others run on: their timers and fetches go on), but WebKitWebDriver then deletes the whole
//   session ("session deleted because of page crash or hang"): no page of that browser can be
//   driven or read any more, and closing the browser ends the driver but not MiniBrowser, which
//   lives on as long as the display (`closeTabBrowser` kills it). A test that crashes a WebKit page
//   uses a browser of its own and reads the survivors at a server (e2e/share/page-client.js
//   mirrors a tab's record for that).
// - Freeze: SIGSTOP of the page's process, SIGCONT to thaw; a stopped page keeps its Web Lock and
//   its open socket (both live in the browser's or the network process), and what is posted to it
//   or arrives on its socket waits in its pipes; 6 s stopped, no engine's hang detection ended the
//   page or the session. In Chromium `Page.setWebLifecycleState('frozen')` does not freeze a
//   visible page, and CDP `Debugger.pause` is no freeze: the paused page never gets the
//   BroadcastChannel messages posted to it meanwhile (measured: of 'before', five posted during a
//   pause, and 'after', only 'before' and 'after' arrived). A stop lands wherever the page's
//   script is: `freezeTab` makes it land in a busy task of the page's own, between the product's
//   tasks, as a browser's freeze does, and checks that it did. A stop in the middle of a holder's
//   write holds that write in the stopped page until the thaw (the README's limit).
//   Chromium's renderer of a page is found by its CPU time during that busy task (`busyRenderer`).
// - Navigation away: to another page of the same server. Chromium unloads the page (Playwright
//   turns the bfcache off); WebKit puts it in the bfcache; Firefox caches no page with an open
//   WebSocket (it closes the socket itself, 1001) but may cache one without (a follower).
//
// A page's process is found by the new processes of the browser's tree that appear while it opens,
// so pages are opened one at a time (`openTab` is not to be called concurrently).
import { readdirSync, readFileSync } from 'node:fs';
import { EngineUnsupportedError, ENGINE, launchEngine, openPage } from './browser.js';
import { launchFirefox } from './engines/firefox.js';
import { sleep } from './fault-harness.js';

/**
 * Firefox preferences that give every page a content process of its own: no prelaunched process
 * (which the next page would take whatever its site), and more processes per site than the tests
 * open pages.
 */
const TAB_PROCESS_PREFS = {
  'dom.ipc.processPrelaunch.enabled': false,
  'dom.ipc.processCount.webIsolated': 16,
};

/** Launches the run's engine set up for `openTab` (Firefox with TAB_PROCESS_PREFS). */
export function launchTabBrowser() {
  if (ENGINE === 'firefox') return launchFirefox({ prefs: TAB_PROCESS_PREFS });
  return launchEngine(ENGINE);
}

/** What each engine calls a page's process. */
const PROCESS_NAMES = { chromium: 'renderer', firefox: 'content', webkit: 'web' };

/** The kernel's clock ticks per second, in which /proc/<pid>/stat counts CPU time. */
const CLOCK_TICKS = 100;

/**
 * The CPU time a process has used, in ms.
 * @param {number} pid
 */
function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}

/** The CPU time (ms) of each Chromium renderer under this process but the browser UI's (`--top-chrome-webui`, busy by itself). */
function chromiumRendererTimes() {
  const times = new Map();
  for (const [pid, command] of processTree(process.pid)) {
    if (/ --type=renderer( |$)/.test(command) && !command.includes('--top-chrome-webui')) times.set(pid, cpuMs(pid));
  }
  return times;
}

/**
 * The Chromium renderer that ran a page's busy task between two `chromiumRendererTimes()`
 * (Playwright does not say which process holds a page): the one whose CPU time grew by most of
 * the task's `busyMs`, and by two and a half times any other's. Returns { pid } or { problem }.
 * @param {Map<number, number>} before
 * @param {Map<number, number>} after
 * @param {number} busyMs
 */
function busyRenderer(before, after, busyMs) {
  const grown = [...after].map(([pid, ms]) => ({ pid, ms: ms - (before.get(pid) ?? 0) })).sort((a, b) => b.ms - a.ms);
  if (grown.length > 0 && grown[0].ms >= busyMs * 0.4 && (grown.length === 1 || grown[0].ms >= 2.5 * grown[1].ms)) return { pid: grown[0].pid, problem: '' };
  return { pid: null, problem: `no one renderer ran the page's ${busyMs} ms busy task (CPU ms grown: ${grown.map(({ pid, ms }) => `${pid} ${ms}`).join(', ') || 'no renderer'})` };
}

/**
 * The root of the browser's process tree, whose descendants hold its pages (Firefox and WebKit).
 * @param {any} browser
 */
function rootPid(browser) {
  if (browser.engine === 'firefox') return browser.browser.process()?.pid ?? null;
  if (browser.engine === 'webkit') return browser.driver.pid ?? null;
  return null;
}

/**
 * The processes under `root` (its descendants, not itself): pid -> command line (Firefox's forked
 * children rewrite their arguments into one, spaces included).
 * @param {number} root
 */
function processTree(root) {
  const parents = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The command name, in parentheses, may hold spaces: the fields after the last ')' are fixed.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // The process ended while the directory was read.
    }
  }
  const tree = new Set([root]);
  for (let grown = true; grown; ) {
    grown = false;
    for (const [pid, ppid] of parents) {
      if (tree.has(ppid) && !tree.has(pid)) {
        tree.add(pid);
        grown = true;
      }
    }
  }
  tree.delete(root);
  /** @type {Map<number, string>} */
  const commands = new Map();
  for (const pid of tree) {
    try {
      commands.set(pid, readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim());
    } catch {
      // Ended meanwhile.
    }
  }
  return commands;
}

/**
 * The pids under `root` that are a page's content process: Firefox's command lines end in `tab`,
 * WebKit's are WebKitWebProcess.
 * @param {number} root
 * @param {string} engine
 */
function contentProcesses(root, engine) {
  const content = new Set();
  for (const [pid, command] of processTree(root)) {
    if (engine === 'firefox' ? / tab$/.test(command) : /^\S*WebKitWebProcess( |$)/.test(command)) content.add(pid);
  }
  return content;
}

/**
 * Closes a browser of launchTabBrowser, also one whose automation a crash ended (WebKit): there
 * the driver can no longer end MiniBrowser, which would live on (holding the driver's output pipe,
 * and with it this process), so every process under the driver is killed after it.
 * @param {any} browser
 */
export async function closeTabBrowser(browser) {
  const root = rootPid(browser);
  const left = browser.engine === 'webkit' && root !== null ? [...processTree(root).keys()] : [];
  try {
    await browser.close();
  } finally {
    for (const pid of left) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone: the session ended it.
      }
    }
  }
}

/**
 * A tab: a page of `context`, visible, on `url`, with its errors collected as `openPage` does.
 * `pid`: its own process (a Firefox content process, a WebKit web process), or null with
 * `pidProblem` saying why (a Chromium renderer is found at the fault: `freezeTab`).
 * @param {any} browser the browser of `context` (from launchTabBrowser)
 * @param {any} context
 * @param {string} url
 */
export async function openTab(browser, context, url) {
  const root = rootPid(browser);
  const before = root === null ? new Set() : contentProcesses(root, browser.engine);
  const { page, errors } = await openPage({ newPage: () => context.newPage(ENGINE === 'firefox' ? { window: true } : undefined) });
  await page.goto(url);
  /** @type {number | null} */
  let pid = null;
  // Chromium's is found at the fault, by the busy task it starts with (a page's own busy loop here
  // would stall the page's app, a share holder's beat among it).
  let pidProblem = browser.engine === 'chromium' ? 'Chromium: the renderer is found at the fault' : '';
  if (root !== null) {
    pidProblem = '';
    const added = [...contentProcesses(root, browser.engine)].filter((p) => !before.has(p));
    if (added.length === 1) [pid] = added;
    else pidProblem = `${added.length} new content processes appeared while the page opened (${added.join(', ') || 'none'}), not one`;
  }
  return { page, errors, pid, pidProblem, engine: browser.engine };
}

/** @typedef {Awaited<ReturnType<typeof openTab>>} Tab */

/** Closes the tab as a user does (its page's unload runs). @param {Tab} tab */
export function closeTab(tab) {
  return tab.page.close();
}

/**
 * Navigates the tab to `url` (another page of the same server); see the header for what each
 * engine does with the page it leaves.
 * @param {Tab} tab
 * @param {string} url
 */
export function navigateAway(tab, url) {
  return tab.page.goto(url);
}

/**
 * Crashes the tab's page: its process dies without running any of its handlers. Returns how. In
 * WebKit this ends the browser's automation (see the header).
 * @param {Tab} tab
 */
export async function crashTab(tab) {
  if (tab.engine === 'chromium') {
    const cdp = await tab.page.context().newCDPSession(tab.page);
    // The answer never comes: the target is gone before it could.
    cdp.send('Page.crash').catch(() => {});
    return 'CDP Page.crash';
  }
  const pid = ownPid(tab, 'crash');
  process.kill(pid, 'SIGKILL');
  if (tab.engine === 'webkit') return `SIGKILL of its web process ${pid} (WebKitWebDriver then deletes the session: the other tabs are read at the server)`;
  return `SIGKILL of its content process ${pid}`;
}

/** The page's busy task: it starts SPIN_LEAD_MS after it is set up, lasts SPIN_MS, and the stop comes SPIN_STOP_MS into it. */
const SPIN_LEAD_MS = 300;
const SPIN_MS = 500;
const SPIN_STOP_MS = 200;
/** Chromium: the renderer is the one busy from here to the stop. */
const SPIN_MEASURE_FROM_MS = 20;

/**
 * Freezes the tab's page: its script stops (timers, channel messages, socket events wait) while
 * its process, Web Locks and sockets stay. The stop lands between the page's tasks, as a browser's
 * own freeze does: the page first runs a busy task (a loop of SPIN_MS), and the stop comes during
 * it; the loop records the longest gap between its turns, and `thaw()` checks that the gap covers
 * the freeze (else it throws: the stop landed elsewhere). A stop in the middle of the product's
 * own task (between a holder's lease check and the socket's send) is a limit the README states,
 * not what this fault models. Returns how; `at`, when the page stopped running anything but the
 * busy task (the clock of share-server.js's `now()`), from which the takeover counts; and
 * `thaw()`, which lets the page run again (the first call; later ones do nothing, so that a test
 * can thaw in its checks and again in a `finally`).
 * @param {Tab} tab
 * @returns {Promise<{ how: string, at: number, thaw(): Promise<void> }>}
 */
export async function freezeTab(tab) {
  let pid = tab.engine === 'chromium' ? null : ownPid(tab, 'freeze');
  // The busy task starts at a time of the machine's clock (which the page shares), not after the
  // evaluation returns: WebKit's driver answers only after the page's next tasks ran.
  const spinAt = Date.now() + SPIN_LEAD_MS;
  await tab.page.evaluate(({ at, ms }) => {
    setTimeout(() => {
      const start = performance.now();
      let last = start;
      let gap = 0;
      while (last - start < ms) {
        const now = performance.now();
        gap = Math.max(gap, now - last);
        last = now;
      }
      /** @type {any} */ (globalThis).freezeSpin = { gap };
    }, at - Date.now());
  }, { at: spinAt, ms: SPIN_MS });
  /** @type {Map<number, number> | null} */
  let before = null;
  if (pid === null) {
    // Chromium: its renderer is the one busy from the task's start to the stop.
    await sleep(spinAt + SPIN_MEASURE_FROM_MS - Date.now());
    before = chromiumRendererTimes();
  }
  await sleep(spinAt + SPIN_STOP_MS - Date.now());
  if (before) {
    const found = busyRenderer(before, chromiumRendererTimes(), SPIN_STOP_MS - SPIN_MEASURE_FROM_MS);
    if (found.pid === null) throw new Error(`freezeTab: chromium: ${found.problem}`);
    pid = found.pid;
  }
  let frozen = true;
  const stoppedAt = performance.now();
  /** @param {() => Promise<void>} resume */
  const once = (resume) => async () => {
    if (!frozen) return;
    frozen = false;
    await resume();
    const frozenFor = performance.now() - stoppedAt;
    let spin;
    for (const started = performance.now(); !(spin = await tab.page.evaluate(() => /** @type {any} */ (globalThis).freezeSpin)); ) {
      if (performance.now() - started > 5000) throw new Error('freezeTab: the page\'s busy task did not end after the thaw');
      await sleep(20);
    }
    if (spin.gap < frozenFor * 0.9) {
      throw new Error(`freezeTab: the stop did not land in the page's busy task (its longest gap ${Math.round(spin.gap)} ms, frozen ${Math.round(frozenFor)} ms)`);
    }
  };
  process.kill(pid, 'SIGSTOP');
  return {
    how: `SIGSTOP of its ${PROCESS_NAMES[tab.engine]} process ${pid}, between tasks (${SPIN_STOP_MS} ms into a busy task of the page, from which the times count)`,
    at: spinAt,
    thaw: once(async () => {
      process.kill(pid, 'SIGCONT');
    }),
  };
}

/**
 * The tab's own process, or EngineUnsupportedError saying why it is not known.
 * @param {Tab} tab
 * @param {string} fault
 */
function ownPid(tab, fault) {
  if (tab.pid === null) throw new EngineUnsupportedError(`${tab.engine}: cannot ${fault} the page: ${tab.pidProblem}`);
  return tab.pid;
}
