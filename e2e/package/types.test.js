// The typings as an app gets them: the packed tarball (with Vue, whose types the composable's
// refer to) installed in a temporary project, and `tsc --noEmit` (TypeScript from this repository's
// devDependencies) over the files in types/: usage.ts, server.ts and server-redis.ts (with `redis`,
// the optional peer dependency of resilient-websocket/server/redis) must compile, every
// `@ts-expect-error` line in rejected.ts and server-rejected.ts must be an error, and global.ts sees
// the IIFE's global. The class's and the entries' .d.ts are generated from their JSDoc
// (scripts/declarations.js): the last test fails while a committed one is stale.
import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../support/servers.js';
import { exampleVersion, makeTempDir, npmInstall, packTarball, progress, sh } from './support.js';

const tsc = path.join(REPO_ROOT, 'node_modules/typescript/bin/tsc');

test('tsc --noEmit: typed usage of every entry compiles, wrong option types do not', { timeout: 180_000 }, async () => {
  const tarball = await packTarball();
  const dir = await makeTempDir('types');
  await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: 'types-check', private: true, type: 'module' }));
  // resilient-websocket/server's typings refer to Node's and ws's, and /server/redis's to node-redis's,
  // as a TypeScript server app has them: the versions this repository develops with.
  const { devDependencies } = JSON.parse(await readFile(path.join(REPO_ROOT, 'package.json'), 'utf8'));
  const serverTypes = ['@types/node', '@types/ws', 'redis'].map((name) => `${name}@${devDependencies[name]}`);
  await npmInstall(dir, tarball, [`vue@${await exampleVersion('vue', 'vue')}`, ...serverTypes], 'the typings check');
  await cp(new URL('./types/', import.meta.url), path.join(dir, 'src'), { recursive: true });
  await writeFile(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        noEmit: true,
        target: 'es2022',
        lib: ['es2022', 'dom'],
        module: 'esnext',
        moduleResolution: 'bundler',
        // The package's own .d.ts files are checked too, not only their use.
        skipLibCheck: false,
        types: [],
      },
      include: ['src'],
    }),
  );
  const started = Date.now();
  // sh() fails with tsc's report (file, line, message) when there is any error.
  await sh(process.execPath, [tsc, '-p', dir, '--pretty', 'false'], { cwd: dir });
  progress(`tsc --noEmit over ${dir}/src: no error (${Date.now() - started} ms)`);
});

test("tsc --checkJs: the class and the entries agree with their own JSDoc types", { timeout: 120_000 }, async () => {
  // The React and Vue bindings are left out: their frameworks' types are not installed here (the
  // test above checks their .d.ts against Vue's types and their use).
  const files = ['class.js', 'index.js', 'slim.js', 'acked.js', 'acked-slim.js', 'share.js', 'share-slim.js', 'global.js'].map((file) => path.join('js', file));
  await sh(
    process.execPath,
    [tsc, '--noEmit', '--allowJs', '--checkJs', '--strict', '--target', 'es2022', '--lib', 'esnext,dom',
      '--module', 'esnext', '--moduleResolution', 'bundler', '--types', '', '--pretty', 'false', ...files],
    { cwd: REPO_ROOT },
  );
  progress(`tsc --checkJs over ${files.join(' ')}: no error`);
});

test('the declarations of the class and its entries are what their JSDoc generates', { timeout: 120_000 }, async () => {
  // scripts/declarations.js --check runs tsc over the JS and compares; it names the stale files.
  await sh(process.execPath, [path.join(REPO_ROOT, 'scripts/declarations.js'), '--check'], { cwd: REPO_ROOT });
  progress('js/class.d.ts, index.d.ts, slim.d.ts, acked.d.ts, acked-slim.d.ts: as scripts/declarations.js generates them');
});
