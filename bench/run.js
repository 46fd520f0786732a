// The benchmark, after bench/run.sh has checked pkg/ and installed bench/node_modules: bundle
// sizes, the browser measures in each engine of DEFAULT_ENGINES, one engine after the other, the
// thundering-herd simulation (`cargo bench --bench herd --features serde`), and the sessions in
// Redis (bench/cluster.js, alone after the browsers: it times the CPU), then bench/results.json,
// BENCHMARKS.md and bench/herd.svg. Every step prints its progress.
//
// To stay within 10 minutes per engine on two cores, each engine's run has two phases (the herd and
// the sizes run beside the first engine's first phase). First, every measure that does
// not time the CPU runs at once: the bundle sizes and the herd (a compile, then a simulation on a
// virtual clock) count bytes and virtual milliseconds, memory counts bytes, and recovery and the
// 60-second dead-connection window wait on timers and the network (a busy CPU delays a reconnect
// by milliseconds, against figures of hundreds of milliseconds and more). Then the measures that
// time the CPU run one at a time: throughput, acked delivery's cost, replay; beside them at most
// the idle connections of the detection window, should it outlast the first phase.
//
// `--only <measures>` (comma-separated, from: size, herd, cluster, and the browser measures of
// bench/browser/run.js) and `--engine <engines>` (comma-separated, from BENCH_ENGINES) run a
// subset and print its figures without writing any file. With `--merge`, a subset of the measures
// outside the browsers (size, herd, cluster) replaces their figures in bench/results.json, and
// BENCHMARKS.md (and bench/herd.svg) are written again from the figures so merged: the other
// sections, and the header's date, machine and load, stay those of the run that measured them.
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCH_ENGINES } from './browser/engines.js';
import { MEASURES, startBrowserSession } from './browser/run.js';
import { measureCluster } from './cluster.js';
import { CONTENDERS } from './contenders.js';
import { renderHerdSvg, renderMarkdown } from './report.js';
import { measureSizes } from './size.js';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.join(BENCH_DIR, '..');
const ALL = ['size', 'herd', 'cluster', ...MEASURES];
/** The measures `--merge` can write alone: each is one key of the results, measured outside the browsers. */
const MERGEABLE = ['size', 'herd', 'cluster'];
/**
 * The engines of a full run. WebKit is left out: over WebDriver under Xvfb its throughput rounds
 * spread too widely to rank the contenders, and its 16 KB rows alone take minutes a round (BENCHMARKS.md,
 * Method); `--engine webkit` (under `xvfb-run -a`) measures it.
 */
const DEFAULT_ENGINES = ['chromium', 'firefox'];

const started = performance.now();
const log = (message) => console.log(`bench [${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s] ${message}`);

/** The list after `option` (null if the option is absent); exits if it names something not in `known`. */
function parseList(argv, option, known) {
  const at = argv.indexOf(option);
  if (at === -1) return null;
  const names = (argv[at + 1] ?? '').split(',').filter(Boolean);
  const unknown = names.filter((name) => !known.includes(name));
  if (!names.length || unknown.length) {
    console.error(`bench: ${option} takes a comma-separated list of: ${known.join(', ')}`);
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
  const argv = process.argv.slice(2);
  const only = parseList(argv, '--only', ALL);
  const chosenEngines = parseList(argv, '--engine', BENCH_ENGINES);
  const subset = Boolean(only || chosenEngines);
  const merge = argv.includes('--merge');
  if (merge && (!only || chosenEngines || only.some((name) => !MERGEABLE.includes(name)))) {
    console.error(`bench: --merge takes --only with measures from: ${MERGEABLE.join(', ')} (and no --engine)`);
    process.exit(2);
  }
  const wanted = only ?? ALL;
  const engines = chosenEngines ?? DEFAULT_ENGINES;
  const machine = { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, node: process.version };
  // The 1-minute load average every 10 s (the benchmark's own processes included), so that the
  // report can say how busy the machine was while it measured.
  const load = [os.loadavg()[0]];
  const sampler = setInterval(() => load.push(os.loadavg()[0]), 10_000).unref();
  const want = (name) => wanted.includes(name);
  const browserMeasures = MEASURES.filter(want);
  log(
    `on ${machine.cores} × ${machine.cpu}, load average ${load[0].toFixed(2)}; measures: ${wanted.join(', ')}` +
      (browserMeasures.length ? `; engines: ${engines.join(', ')}` : ''),
  );

  const results = { date: new Date().toISOString(), machine, versions: await versions() };
  // Started here and awaited later; the catch only keeps a failure from counting as unhandled
  // while something else is awaited (the await below still throws it).
  const background = (promise) => {
    promise?.catch(() => {});
    return promise;
  };
  /** Runs measure `name` if wanted, logging (through `say`) when it ends and how long it took. */
  const measure = async (name, run, say = log) => {
    if (!want(name)) return undefined;
    const start = performance.now();
    const figures = await run();
    say(`${name}: done in ${((performance.now() - start) / 1000).toFixed(1)} s`);
    return figures;
  };
  const herd = background(measure('herd', runHerd));
  const size = background(measure('size', () => measureSizes(log)));
  const [first, second] = [
    ['memory', 'restart', 'online', 'detection'],
    ['throughput', 'acked', 'replay'],
  ].map((names) => names.filter(want));
  const browsers = {};
  for (const engine of browserMeasures.length ? engines : []) {
    const say = (message) => log(`${engine}: ${message}`);
    const session = await startBrowserSession({ log: say, engine });
    const figures = { engine, version: session.version, rounds: session.rounds, heapUnavailable: session.heapUnavailable };
    try {
      if (first.length) say(`phase 1 of 2, side by side (none of them times the CPU): ${first.join(', ')}`);
      const detection = background(measure('detection', () => session.detection(), say));
      const restart = background(measure('restart', () => session.restart(), say));
      const online = background(measure('online', () => session.online(), say));
      figures.memory = await measure('memory', () => session.memory(), say);
      figures.restart = await restart;
      figures.online = await online;
      // The herd and the sizes ran beside the first engine's first phase; nothing that times the
      // CPU starts before they are done.
      results.herd = await herd;
      results.size = await size;
      if (second.length) say(`phase 2 of 2, one at a time: ${second.join(', ')}`);
      figures.throughput = await measure('throughput', () => session.throughput(), say);
      figures.acked = await measure('acked', () => session.acked(), say);
      figures.replay = await measure('replay', () => session.replay(), say);
      figures.detection = await detection;
    } catch (error) {
      // A measure that failed because its page crashed says only that its target closed.
      if (session.pageErrors.length) error.message += `\nerrors in the pages (${engine}):\n${session.pageErrors.join('\n')}`;
      throw error;
    } finally {
      await session.close();
    }
    if (session.pageErrors.length) throw new Error(`uncaught errors in the pages (${engine}):\n${session.pageErrors.join('\n')}`);
    browsers[engine] = figures;
  }
  results.herd = await herd;
  results.size = await size;
  if (Object.keys(browsers).length) results.browsers = browsers;
  // Alone: its throughput figures time the CPU.
  const cluster = await measure('cluster', () => measureCluster(log));
  if (cluster) {
    cluster.date = new Date().toISOString();
    cluster.loadAverage = os.loadavg()[0];
    results.cluster = cluster;
  }
  clearInterval(sampler);
  machine.loadAverage = { mean: load.reduce((sum, value) => sum + value, 0) / load.length, max: Math.max(...load) };
  machine.seconds = Math.round((performance.now() - started) / 1000);

  if (merge) {
    const merged = JSON.parse(await readFile(path.join(BENCH_DIR, 'results.json'), 'utf8'));
    for (const name of wanted) merged[name] = results[name];
    await writeFile(path.join(BENCH_DIR, 'results.json'), `${JSON.stringify(merged, null, 2)}\n`);
    if (merged.herd) await writeFile(path.join(BENCH_DIR, 'herd.svg'), renderHerdSvg(merged.herd));
    await writeFile(path.join(REPO_ROOT, 'BENCHMARKS.md'), renderMarkdown(merged));
    log(`--merge: ${wanted.join(', ')} written into bench/results.json, BENCHMARKS.md and bench/herd.svg written again`);
    return;
  }
  const markdown = renderMarkdown(results);
  if (subset) {
    console.log(`\n${markdown}`);
    log('done (--only or --engine: nothing written)');
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
