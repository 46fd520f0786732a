// Bundle sizes: each entry of SIZE_ENTRIES bundled for the browser and minified by esbuild with
// the same options, then gzipped (level 9); files the bundle fetches at run time (our wasm) are
// gzipped and counted beside it. Returns the rows; bench/run.js calls it.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';
import { SIZE_ENTRIES } from './contenders.js';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.join(BENCH_DIR, '..');

const gzipped = (bytes) => gzipSync(bytes, { level: 9 }).length;

/** The bundle exports the module's whole namespace, default export included: nothing is tree-shaken. */
async function bundle(entry) {
  const specifier = entry.startsWith('./') ? path.join(REPO_ROOT, entry) : entry;
  const result = await esbuild.build({
    stdin: {
      contents: `import * as module from ${JSON.stringify(specifier)};\nexport default module;`,
      resolveDir: BENCH_DIR,
      loader: 'js',
    },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0].contents;
}

export async function measureSizes(log) {
  const rows = [];
  for (const { key, name, entry, assets } of SIZE_ENTRIES) {
    const js = await bundle(entry);
    const assetBytes = await Promise.all(assets.map((file) => readFile(path.join(REPO_ROOT, file))));
    const row = {
      key,
      name,
      entry,
      jsBytes: js.length,
      jsGzip: gzipped(js),
      assets: assets.map((file, i) => ({ file, bytes: assetBytes[i].length, gzip: gzipped(assetBytes[i]) })),
    };
    row.totalGzip = row.jsGzip + row.assets.reduce((sum, asset) => sum + asset.gzip, 0);
    log(`size: ${name}: ${row.totalGzip} bytes gzipped`);
    rows.push(row);
  }
  return { esbuild: esbuild.version, rows };
}
