// The size budget (issue 7): the default entry, as a bundler ships it (js/index.js bundled and
// minified with esbuild: the inlined wasm, the wasm-bindgen glue and the class), at most 24 KB
// gzipped; the raw .wasm at most 16 KB gzipped. KB is 1000 bytes here, the stricter reading.
//
// The budget is NOT met yet (issue 7 stays open: 22.6 KB and 32.5 KB when this was written). Until it
// is, each test prints the figure against the budget and fails only above a ceiling just over the
// current size, so that the size can only go down: lower the ceilings whenever it drops, and make
// them the budget once it is reached. Raised twice: by 50 and 250 bytes for the direct delivery of
// plain messages (README, "Decisions"), which took the CPU cost of a received 64 B message from
// about 20 µs over the native WebSocket's to under 8 (BENCHMARKS.md); by 50 bytes of the default
// entry for the direct send path (the class's side of it; the .wasm shrank meanwhile, and its
// ceiling came down by 50); by 200 bytes of .wasm and 350 of the default entry for issue 19's
// drop-in fixes (a close() from an error or close listener adds no second close and cancels the
// retry: the driver reports each dispatched close to the core; message events carry
// MessageEvent's members in the engine's order; on* handlers keep objects and cancel on false)
// and issue 13's (WebKit's error without a close, for a blocked port, fails the attempt at once).
// Issue 14 replaces this budget with one for its plain default build.
// Everything is gzipped by `gzip -9`, the same tool scripts/build.sh reports with (zlib's level 9 in
// Node comes out about 1.5% larger). The figures are printed whether or not they fit.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { build } from 'esbuild';
import { REPO_ROOT } from '../support/servers.js';

const WASM_BUDGET = 16_000;
const DEFAULT_ENTRY_BUDGET = 24_000;
const WASM_CEILING = 22_800;
const DEFAULT_ENTRY_CEILING = 32_850;

const gzipped = (bytes) => execFileSync('gzip', ['-9', '-c'], { input: bytes, maxBuffer: 64 * 1024 * 1024 }).length;
const kb = (bytes) => `${(bytes / 1000).toFixed(1)} KB`;

/** js/`entry` bundled and minified as an app's bundler would ship it, with `external` left out. */
async function shipped(entry, external = []) {
  const { outputFiles } = await build({
    entryPoints: [path.join(REPO_ROOT, 'js', entry)],
    bundle: true,
    minify: true,
    format: 'esm',
    external,
    write: false,
    logLevel: 'warning',
  });
  return outputFiles[0].contents;
}

const verdict = (size, budget) => (size <= budget ? 'within the budget' : `OVER the budget of ${kb(budget)} (issue 7)`);

test(`the raw .wasm gzipped does not grow past ${kb(WASM_CEILING)} (budget ${kb(WASM_BUDGET)})`, async (t) => {
  const wasm = await readFile(path.join(REPO_ROOT, 'pkg/resilient_websocket_bg.wasm'));
  const size = gzipped(wasm);
  t.diagnostic(`pkg/resilient_websocket_bg.wasm: ${wasm.length} bytes, ${size} bytes (${kb(size)}) gzipped: ${verdict(size, WASM_BUDGET)}`);
  assert.ok(size <= Math.max(WASM_CEILING, WASM_BUDGET), `the .wasm is ${size} bytes gzipped, over its ceiling of ${WASM_CEILING}`);
});

test(`the default entry (wasm inlined + glue + class) gzipped does not grow past ${kb(DEFAULT_ENTRY_CEILING)} (budget ${kb(DEFAULT_ENTRY_BUDGET)})`, async (t) => {
  const entry = await shipped('index.js');
  const withoutWasm = await shipped('index.js', ['../dist/wasm-inline.js']);
  const inlined = await readFile(path.join(REPO_ROOT, 'dist/wasm-inline.js'));
  const size = gzipped(entry);
  t.diagnostic(`default entry, bundled and minified: ${entry.length} bytes, ${size} bytes (${kb(size)}) gzipped: ${verdict(size, DEFAULT_ENTRY_BUDGET)}`);
  t.diagnostic(`  of which the glue and the class: ${gzipped(withoutWasm)} bytes gzipped; dist/wasm-inline.js alone: ${gzipped(inlined)} bytes gzipped`);
  const iife = await readFile(path.join(REPO_ROOT, 'dist/resilient-websocket.iife.js'));
  t.diagnostic(`IIFE bundle (dist/resilient-websocket.iife.js): ${gzipped(iife)} bytes gzipped`);
  t.diagnostic(`slim entry, bundled and minified (the .wasm fetched apart): ${gzipped(await shipped('slim.js'))} bytes gzipped`);
  assert.ok(size <= Math.max(DEFAULT_ENTRY_CEILING, DEFAULT_ENTRY_BUDGET), `the default entry is ${size} bytes gzipped, over its ceiling of ${DEFAULT_ENTRY_CEILING}`);
});
