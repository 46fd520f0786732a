// The benchmark, after bench/run.sh has checked pkg/ and installed bench/node_modules: bundle
// sizes, the browser measures and the thundering-herd simulation (`cargo bench --bench herd
// --features serde`), then bench/results.json, BENCHMARKS.md and bench/herd.svg. Every step prints
// its progress.
//
// To stay within 10 minutes on two cores, the run has two phases. First, every measure that does
// not time the CPU runs at once: the bundle sizes and the herd (a compile, then a simulation on a
// virtual clock) count bytes and virtual milliseconds, memory counts bytes, and recovery and the
// 60-second dead-connection window wait on timers and the network (a busy CPU delays a reconnect
// by milliseconds, against figures of hundreds of milliseconds and more). Then the measures that
// time the CPU run one at a time: throughput, acked delivery's cost, replay; beside them at most
// the idle connections of the detection window, should it outlast the first phase.
//
// `--only <measures>` (comma-separated, from: size, herd, and the browser measures of
// bench/browser/run.js) runs a subset and prints its figures without writing any file.
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MEASURES, startBrowserSession } from './browser/run.js';
import { CONTENDERS } from './contenders.js';
import { renderHerdSvg, renderMarkdown } from './report.js';
import { measureSizes } from './size.js';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.join(BENCH_DIR, '..');
const ALL = ['size', 'herd', ...MEASURES];

const started = performance.now();
const log = (message) => console.log(`bench [${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s] ${message}`);

function parseOnly(argv) {
  const at = argv.indexOf('--only');
  if (at === -1) return null;
  const names = (argv[at + 1] ?? '').split(',').filter(Boolean);
  const unknown = names.filter((name) => !ALL.includes(name));
  if (!names.length || unknown.length) {
    console.error(`bench: --only takes a comma-separated list of: ${ALL.join(', ')}`);
    process.exit(2);
  }
  return names;
}

/**
 * `cargo bench --bench herd --features serde` (the bench reads its configurations as JSON options
 * through the crate's serde feature), its output passed through line by line; resolves with the
 * figures it wrote. The bench profile inherits the release profile, which is tuned for a small wasm
 * (opt-level "z", fat LTO); for this native simulation opt-level 3 without LTO runs as fast and
 * compiles in about two thirds of the time.
 */
async function runHerd() {
  log('herd: cargo bench --bench herd --features serde (compiles the first time)');
  const child = spawn('cargo', ['bench', '--bench', 'herd', '--features', 'serde'], {
    cwd: REPO_ROOT,
    env: { ...process.env, CARGO_PROFILE_BENCH_OPT_LEVEL: '3', CARGO_PROFILE_BENCH_LTO: 'false', CARGO_PROFILE_BENCH_CODEGEN_UNITS: '16' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [child.stdout, child.stderr]) {
    let pending = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => {
      const lines = (pending + chunk).split('\n');
      pending = lines.pop();
      for (const line of lines) if (line.trim()) console.log(`  herd | ${line}`);
    });
  }
  const code = await new Promise((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`cargo bench --bench herd --features serde exited with ${code}`);
  return JSON.parse(await readFile(path.join(BENCH_DIR, '.build', 'herd.json'), 'utf8'));
}

async function versions() {
  const read = async (file) => JSON.parse(await readFile(file, 'utf8')).version;
  const entries = await Promise.all(
    CONTENDERS.filter((c) => c.package).map(async (c) => [c.key, await read(path.join(BENCH_DIR, 'node_modules', c.package, 'package.json'))]),
  );
  return { ours: await read(path.join(REPO_ROOT, 'package.json')), ...Object.fromEntries(entries) };
}

async function main() {
  const only = parseOnly(process.argv.slice(2));
  const wanted = only ?? ALL;
  const machine = { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, node: process.version };
  // The 1-minute load average every 10 s (the benchmark's own processes included), so that the
  // report can say how busy the machine was while it measured.
  const load = [os.loadavg()[0]];
  const sampler = setInterval(() => load.push(os.loadavg()[0]), 10_000).unref();
  log(`on ${machine.cores} × ${machine.cpu}, load average ${load[0].toFixed(2)}; measures: ${wanted.join(', ')}`);

  const results = { date: new Date().toISOString(), machine, versions: await versions() };
  const want = (name) => wanted.includes(name);
  const session = MEASURES.some(want) ? await startBrowserSession({ log }) : null;
  const browser = session ? { chromium: session.chromium, rounds: session.rounds } : null;
  // Started here and awaited later; the catch only keeps a failure from counting as unhandled
  // while something else is awaited (the await below still throws it).
  const background = (promise) => {
    promise?.catch(() => {});
    return promise;
  };
  /** Runs measure `name` if wanted, logging when it ends and how long it took. */
  const measure = async (name, run) => {
    if (!want(name)) return undefined;
    const start = performance.now();
    const figures = await run();
    log(`${name}: done in ${((performance.now() - start) / 1000).toFixed(1)} s`);
    return figures;
  };
  const [first, second] = [
    ['size', 'herd', 'memory', 'restart', 'online', 'detection'],
    ['throughput', 'acked', 'replay'],
  ].map((names) => names.filter(want));
  try {
    if (first.length) log(`phase 1 of 2, side by side (none of them times the CPU): ${first.join(', ')}`);
    const detection = background(measure('detection', () => session.detection()));
    const herd = background(measure('herd', runHerd));
    const restart = background(measure('restart', () => session.restart()));
    const online = background(measure('online', () => session.online()));
    results.size = await measure('size', () => measureSizes(log));
    if (browser) browser.memory = await measure('memory', () => session.memory());
    results.herd = await herd;
    if (browser) browser.restart = await restart;
    if (browser) browser.online = await online;
    if (second.length) log(`phase 2 of 2, one at a time: ${second.join(', ')}`);
    if (browser) browser.throughput = await measure('throughput', () => session.throughput());
    if (browser) browser.acked = await measure('acked', () => session.acked());
    if (browser) browser.replay = await measure('replay', () => session.replay());
    if (browser) browser.detection = await detection;
  } catch (error) {
    // A measure that failed because its page crashed says only that its target closed.
    if (session?.pageErrors.length) error.message += `\nerrors in the pages:\n${session.pageErrors.join('\n')}`;
    throw error;
  } finally {
    await session?.close();
  }
  if (session?.pageErrors.length) throw new Error(`uncaught errors in the pages:\n${session.pageErrors.join('\n')}`);
  if (browser) results.browser = browser;
  clearInterval(sampler);
  machine.loadAverage = { mean: load.reduce((sum, value) => sum + value, 0) / load.length, max: Math.max(...load) };
  machine.seconds = Math.round((performance.now() - started) / 1000);

  const markdown = renderMarkdown(results);
  if (only) {
    console.log(`\n${markdown}`);
    log('done (--only: nothing written)');
    return;
  }
  await writeFile(path.join(BENCH_DIR, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(path.join(BENCH_DIR, 'herd.svg'), renderHerdSvg(results.herd));
  await writeFile(path.join(REPO_ROOT, 'BENCHMARKS.md'), markdown);
  console.log(`\n${markdown}`);
  log(`wrote BENCHMARKS.md, bench/results.json and bench/herd.svg in ${machine.seconds} s`);
}

main().catch((error) => {
  console.error(`bench: FAILED: ${error.stack ?? error}`);
  process.exit(1);
});
