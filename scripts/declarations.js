// The package's declaration files for the class and its entries, generated from their JSDoc:
// js/class.d.ts, js/public.d.ts, js/index.d.ts, js/slim.d.ts, js/acked.d.ts, js/acked-slim.d.ts, js/share.d.ts
// and js/share-slim.d.ts are what
// `tsc --declaration --emitDeclarationOnly` makes of js/class.js, js/index.js, … (the types are
// written once, as JSDoc typedefs in js/class.js), with a header line saying so. They are committed,
// as js/abi.js is: a change of the JSDoc shows in the diff as the change of the public typings it
// makes, and package.json and the build need nothing for them.
//
//   node scripts/declarations.js          rewrites them (after editing the JSDoc)
//   node scripts/declarations.js --check  fails, naming the files, while one differs from what it
//                                         would write (e2e/package/types.test.js runs this)
//
// The other .d.ts files in js/ are hand-written: global.d.ts declares the IIFE's global, which JSDoc
// in a module cannot; react.d.ts and vue.d.ts (and acked-react.d.ts, acked-vue.d.ts,
// share-react.d.ts, share-vue.d.ts, which re-export them) describe the bindings, whose generation
// would need React's and Vue's types here.
//
// Needs the build (scripts/build.sh): class.js refers to the wasm-bindgen glue's types in pkg/.
// tsc runs over copies of the JS files in a temporary directory, so that the committed .d.ts files
// (which tsc would resolve `./class.js` to) play no part in what is generated. Only the
// declarations are produced here (--noCheck): type errors in the code are the checkJs test's (in
// e2e/package/types.test.js).
//
// What tsc 7 does with JSDoc, which the JS files are written for:
// - a JSDoc comment standing before a statement the declarations keep is copied into them raw, so
//   the typedef blocks stand before statements they leave out (imports, `let WebDriver`), and the
//   modules' header comments are `/* */`, not `/** */` (which tsc would copy to the top of the
//   .d.ts, where it would read as the first type's documentation);
// - a typedef's own description does not reach its `export type` (microsoft/TypeScript#63958);
//   its @property descriptions do, as the members' documentation;
// - `@internal` is only a word in the documentation (useDriver and driverFailed stay declared, as
//   the entries use them).
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, symlink, access, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));
const GENERATED = ['class', 'public', 'index', 'slim', 'acked', 'acked-slim', 'share', 'share-slim'];
const HAND_WRITTEN = ['global', 'react', 'vue', 'acked-react', 'acked-vue', 'share-react', 'share-vue'];
const check = process.argv.includes('--check');

/** @param {string} name */
const header = (name) =>
  `// Generated from js/${name}.js's JSDoc by scripts/declarations.js (tsc --declaration): edit the JSDoc\n` +
  `// and run \`node scripts/declarations.js\`; e2e/package/types.test.js fails while this file is stale.\n`;

for (const glue of ['pkg/resilient_websocket.d.ts', 'pkg-acked/resilient_websocket.d.ts', 'pkg-share/resilient_websocket.d.ts']) {
  await access(path.join(root, glue)).catch(() => {
    throw new Error(`scripts/declarations.js: ${glue} is missing: run scripts/build.sh first`);
  });
}

const work = await mkdtemp(path.join(tmpdir(), 'rws-declarations-'));
try {
  await mkdir(path.join(work, 'js'));
  for (const file of await readdir(path.join(root, 'js'))) {
    if (file.endsWith('.js')) await copyFile(path.join(root, 'js', file), path.join(work, 'js', file));
  }
  for (const dir of ['pkg', 'pkg-acked', 'pkg-share', 'dist']) await symlink(path.join(root, dir), path.join(work, dir));

  const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
  const args = [
    '--declaration', '--emitDeclarationOnly', '--noCheck', '--allowJs', '--strict',
    '--target', 'es2022', '--lib', 'esnext,dom', '--module', 'esnext', '--moduleResolution', 'bundler',
    '--types', '', '--pretty', 'false', '--rootDir', work, '--outDir', path.join(work, 'out'),
    ...GENERATED.map((name) => path.join(work, 'js', `${name}.js`)),
  ];
  try {
    await promisify(execFile)(process.execPath, [tsc, ...args], { cwd: work });
  } catch (error) {
    const { stdout = '', stderr = '' } = /** @type {{ stdout?: string, stderr?: string }} */ (error);
    throw new Error(`scripts/declarations.js: tsc failed:\n${stdout}${stderr}`);
  }

  const stale = [];
  for (const name of GENERATED) {
    const text = header(name) + (await readFile(path.join(work, 'out/js', `${name}.d.ts`), 'utf8'));
    // Every module a generated file refers to must be shipped with typings: one of these files.
    for (const [, specifier] of text.matchAll(/(?:from |import\()['"]([^'"]+)['"]/g)) {
      const target = specifier.match(/^\.\/([\w-]+)\.js$/)?.[1];
      if (!target || !(GENERATED.includes(target) || HAND_WRITTEN.includes(target))) {
        throw new Error(`scripts/declarations.js: js/${name}.d.ts would refer to '${specifier}', which has no declarations in the package`);
      }
    }
    const file = path.join(root, 'js', `${name}.d.ts`);
    const current = await readFile(file, 'utf8').catch(() => null);
    if (current === text) continue;
    stale.push(`js/${name}.d.ts`);
    if (!check) await writeFile(file, text);
  }
  if (check && stale.length) {
    console.error(`scripts/declarations.js: stale, not what the JSDoc gives: ${stale.join(', ')}; run \`node scripts/declarations.js\``);
    process.exitCode = 1;
  } else if (check) {
    console.log(`declarations: ${GENERATED.map((name) => `js/${name}.d.ts`).join(', ')} match their JSDoc`);
  } else {
    console.log(`declarations: ${stale.length ? `wrote ${stale.join(', ')}` : 'every file was up to date'}`);
  }
} finally {
  await rm(work, { recursive: true, force: true });
}
