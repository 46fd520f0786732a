// What the package tests share: the tarball `npm pack` makes of the repository (as published), and
// temporary projects that install it with `npm install`, as a user would. Every temporary directory
// is removed when the test file's process exits, however its tests ended.
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { cp, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../support/servers.js';

const run = promisify(execFile);

/** The directory of an example app in the repository. */
export const exampleDir = (name) => path.join(REPO_ROOT, 'examples', name);

/** Prints progress on stderr: the spec reporter shows it while the test is running. */
export const progress = (message) => process.stderr.write(`# package: ${message}\n`);

/** A command's output, or an error that shows it (npm explains its failures on stderr). */
export async function sh(command, args, { cwd, env, timeoutMs = 120_000 } = {}) {
  try {
    return await run(command, args, {
      cwd,
      env: { ...process.env, ...env },
      timeout: timeoutMs,
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    throw new Error(`${command} ${args.join(' ')} (in ${cwd}) failed: ${error.message}\n${error.stdout ?? ''}${error.stderr ?? ''}`);
  }
}

const tempDirs = new Set();
process.on('exit', () => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

/** A temporary directory, deleted when the process exits. */
export async function makeTempDir(label) {
  const dir = await mkdtemp(path.join(tmpdir(), `rws-${label}-`));
  tempDirs.add(dir);
  return dir;
}

/**
 * Packs the repository with `npm pack` (what `npm publish` would upload) into a temporary
 * directory and returns the tarball's path. Needs the build (`bash scripts/build.sh`): the tarball
 * holds pkg/ and dist/, which are generated.
 */
export async function packTarball() {
  const into = await makeTempDir('tarball');
  const started = Date.now();
  const { stdout } = await sh('npm', ['pack', '--json', '--pack-destination', into], { cwd: REPO_ROOT });
  const [{ filename, size, entryCount }] = JSON.parse(stdout);
  progress(`npm pack: ${filename}, ${entryCount} files, ${size} bytes (${Date.now() - started} ms)`);
  return path.join(into, filename);
}

/**
 * `npm install` in `dir` of the tarball and `specs` (plus what dir's package.json lists), from the
 * npm cache where it can (the registry only for what the cache lacks).
 */
export async function npmInstall(dir, tarball, specs = [], label = path.basename(dir)) {
  const started = Date.now();
  await sh('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', tarball, ...specs], {
    cwd: dir,
    timeoutMs: 300_000,
  });
  progress(`npm install for ${label}: ${[path.basename(tarball), ...specs].join(' ')} (${Date.now() - started} ms)`);
}

/**
 * A copy of `examples/<name>` in a temporary directory with the tarball (as the dependency
 * `resilient-websocket`) and the example's own dependencies installed.
 */
export async function installExample(name, tarball) {
  const dir = await makeTempDir(name);
  await cp(exampleDir(name), dir, {
    recursive: true,
    filter: (source) => !/[/\\](node_modules|dist)$/.test(source),
  });
  await npmInstall(dir, tarball, [], `examples/${name}`);
  return dir;
}

/** The pinned version of `dependency` in an example's package.json (one place to pin it). */
export async function exampleVersion(name, dependency) {
  const manifest = JSON.parse(await readFile(path.join(exampleDir(name), 'package.json'), 'utf8'));
  const version = manifest.dependencies?.[dependency] ?? manifest.devDependencies?.[dependency];
  if (!version) throw new Error(`examples/${name}/package.json does not list ${dependency}`);
  return version;
}
