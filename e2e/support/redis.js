// Debian's redis-server for the tests of the Redis session store (server/redis.js): a child process
// on a free 127.0.0.1 port with a data directory of its own, the append-only file on and fsynced at
// every write (what the store's guarantee needs, PROTOCOL.md "Sessions in a store"), no RDB
// snapshots. It can be stopped gracefully, killed with SIGKILL, and started again on the same port
// and directory (so from its AOF). scripts/bootstrap.sh installs redis-server.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createClient } from 'redis';
import { freePort } from './nginx.js';
import { serverProcess } from './server-process.js';

export const REDIS_SERVER_PATH = ['/usr/bin/redis-server', '/usr/sbin/redis-server'].find((p) => existsSync(p)) ?? 'redis-server';

/**
 * Starts redis-server. Returns { port, url, client(), start(), stop(), kill(), dispose() }:
 * `stop()` is SHUTDOWN-like (SIGTERM: Redis fsyncs and exits), `kill()` is SIGKILL, `start()` runs it
 * again on the same port and data, `client()` a connected node-redis client (closed by dispose()).
 * @param {{ appendfsync?: 'always' | 'everysec' }} [options]
 */
export async function startRedis({ appendfsync = 'always' } = {}) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'rws-redis-'));
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '',
    '--appendonly', 'yes', '--appendfsync', appendfsync, '--daemonize', 'no', '--protected-mode', 'yes'];
  const hint = (exited) => (exited?.error?.code === 'ENOENT' ? ' (redis-server is not installed: run scripts/bootstrap.sh)' : '');
  const process = serverProcess({ port, what: 'redis-server', hint });
  /** @type {import('redis').RedisClientType[]} */
  const clients = [];
  const redis = {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    start: () => process.start(REDIS_SERVER_PATH, args),
    /** SIGTERM: Redis writes what it has and exits. */
    stop: () => process.stop(),
    /** SIGKILL: gone at once; only what the AOF had fsynced survives. */
    kill: () => process.kill(),
    /**
     * A connected node-redis client that reconnects quickly (every 100 ms) after a restart.
     * @returns {Promise<import('redis').RedisClientType>}
     */
    async client() {
      const client = createClient({ url: redis.url, socket: { reconnectStrategy: () => 100, connectTimeout: 2000 } });
      client.on('error', () => {});
      clients.push(client);
      await client.connect();
      return client;
    },
    async dispose() {
      for (const client of clients) if (client.isOpen) client.destroy();
      await process.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  await redis.start();
  return redis;
}
