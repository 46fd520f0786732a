// CPU time of a page's main thread for the engines whose drivers give none (Firefox over WebDriver
// BiDi, WebKit over WebDriver classic), read from Linux's /proc: the run time in nanoseconds of
// the main thread of the process that runs the page (the first field of
// /proc/<pid>/task/<pid>/schedstat), the counterpart of Chromium's DevTools `ThreadTime`.
//
// Which process runs a page is found by asking it: the page spins for a moment while the others
// are idle, and the process below the browser's whose main thread ran the most meanwhile is the
// page's (Firefox runs each context's pages in a content process of their own, WebKit each window
// in a web process; if two pages shared one, the throughput rounds, which run one page at a time,
// would still count each page alone).
import { readdir, readFile } from 'node:fs/promises';

/** How long the page spins to be recognised; a fraction of it must show up as CPU time. */
const SPIN_MS = 300;

/** The processes below `root` (every generation), from the parent pid of /proc/<pid>/stat. */
async function descendants(root) {
  const parents = new Map();
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => null);
    // The command name, in brackets, may hold spaces: the fields after its closing bracket.
    if (stat) parents.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
  }
  const found = [];
  const queue = [root];
  while (queue.length) {
    const parent = queue.shift();
    for (const [pid, ppid] of parents) {
      if (ppid === parent) {
        found.push(pid);
        queue.push(pid);
      }
    }
  }
  return found;
}

/** Nanoseconds the main thread of process `pid` has run so far; null once the process is gone. */
async function mainThreadNs(pid) {
  const schedstat = await readFile(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').catch(() => null);
  return schedstat === null ? null : Number(schedstat.split(' ')[0]);
}

/**
 * A meter for the pages of the browser whose process is `rootPid`: `prepare(page)` finds the
 * page's process (call it while the other pages are idle), `seconds(page)` is the CPU time its main
 * thread has used so far.
 * @param {number} rootPid
 */
export function processCpuMeter(rootPid) {
  const pidOf = new WeakMap();
  return {
    async prepare(page) {
      const pids = await descendants(rootPid);
      const before = await Promise.all(pids.map(mainThreadNs));
      await page.evaluate((ms) => {
        const end = performance.now() + ms;
        while (performance.now() < end);
      }, SPIN_MS);
      const after = await Promise.all(pids.map(mainThreadNs));
      const ran = pids
        .map((pid, i) => ({ pid, ns: after[i] === null || before[i] === null ? 0 : after[i] - before[i] }))
        .sort((a, b) => b.ns - a.ns);
      const [busiest, next] = ran;
      // On a loaded machine the spin gets less than all of its wall time, but far more than any
      // idle process does.
      if (!busiest || busiest.ns < SPIN_MS * 1e6 * 0.2 || (next && next.ns * 2 > busiest.ns)) {
        throw new Error(
          `CPU meter: no process below ${rootPid} ran the page's ${SPIN_MS} ms spin ` +
            `(main-thread ms per process: ${ran.map((r) => `${r.pid} ${(r.ns / 1e6).toFixed(0)}`).join(', ')})`,
        );
      }
      pidOf.set(page, busiest.pid);
    },
    async seconds(page) {
      const pid = pidOf.get(page);
      if (pid === undefined) throw new Error('CPU meter: prepare(page) first');
      const ns = await mainThreadNs(pid);
      if (ns === null) throw new Error(`CPU meter: the page's process ${pid} is gone`);
      return ns / 1e9;
    },
  };
}
