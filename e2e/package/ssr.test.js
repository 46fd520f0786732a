// Server-side rendering: importing any entry of the packed package in Node does not throw, and a
// server render with the React hook or the Vue composable opens no socket and renders the initial
// state (which is also what the browser's first render shows). Where there is no WebAssembly at
// all, importing still succeeds and constructing explains. See ssr-check.js.
import assert from 'node:assert/strict';
import { copyFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { exampleVersion, makeTempDir, npmInstall, packTarball, sh } from './support.js';

test('every entry imports in Node; renders on the server open no socket', { timeout: 180_000 }, async () => {
  const tarball = await packTarball();
  const dir = await makeTempDir('ssr');
  await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: 'ssr-check', private: true, type: 'module' }));
  await npmInstall(dir, tarball, [
    `react@${await exampleVersion('react', 'react')}`,
    `react-dom@${await exampleVersion('react', 'react-dom')}`,
    `vue@${await exampleVersion('vue', 'vue')}`,
  ], 'the server-side rendering check');
  await copyFile(new URL('./ssr-check.js', import.meta.url), path.join(dir, 'ssr-check.js'));
  const check = async (mode, nodeFlags = []) =>
    JSON.parse((await sh(process.execPath, [...nodeFlags, 'ssr-check.js', ...(mode ? [mode] : [])], { cwd: dir })).stdout);

  const { constructWithoutWebSocket, ...everyEntry } = await check();
  // Constructing outside a browser may throw, but clearly: a TypeError that names what is missing.
  assert.match(constructWithoutWebSocket.error ?? '', /^TypeError: .*WebSocket constructor/, JSON.stringify(constructWithoutWebSocket));
  const classes = 'DropEvent HeartbeatEvent ReconnectingEvent ResilientWebSocket SessionLostEvent ShareRoleEvent StateChangeEvent default';
  assert.deepEqual(everyEntry, {
    'import resilient-websocket': { ok: classes },
    'import resilient-websocket/slim': { ok: `${classes.replace(' default', '')} default init` },
    'import resilient-websocket/share': { ok: classes },
    'import resilient-websocket/react': { ok: 'useResilientWebSocket' },
    'import resilient-websocket/vue': { ok: 'useResilientWebSocket' },
    'import resilient-websocket/iife': { ok: '' },
    'import resilient-websocket/server': { ok: 'AckedServer CloseCode MemorySessionStore PROTOCOL_VERSION Session parseClientFrame' },
    react: { ok: '<p>0 connecting socket=null lastMessage=null</p>' },
    vue: { ok: '<p>0 connecting socket=null lastMessage=null</p>' },
    socketsOpened: 0,
  });

  assert.deepEqual(await check('slim-first'), {
    constructBeforeInit: {
      error: "Error: ResilientWebSocket: call init() from 'resilient-websocket/slim' and await it before constructing",
    },
  });

  assert.deepEqual(await check('no-wasm', ['--jitless']), {
    construct: {
      error: 'Error: ResilientWebSocket: the WebAssembly module could not be initialised here (ReferenceError: WebAssembly is not defined)',
    },
  });
});
