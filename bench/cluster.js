// The `cluster` measure of `npm run bench` (bench/run.js; `-- --only cluster` runs it alone): the
// scale figures of sessions in Redis (issue 15). Real parts: Debian's redis-server
// (e2e/support/redis.js, with the AOF, once with appendfsync always and once everysec), server nodes
// as child processes (e2e/cluster/node.js, the real AckedServer), and Node `ws` clients speaking the
// protocol frame by frame (e2e/support/protocol-peer.js). Its figures, per fsync setting, each a
// value per run (the report takes the median and the range):
//   1. memory per session: Redis's used_memory and MEMORY USAGE of one session's keys, and the node's
//      RSS, with CLUSTER.clients sessions held by one node (each with one client message delivered
//      and one server message unacknowledged);
//   2. client messages per second through one node, the Redis store against the memory store
//      (CLUSTER.senders clients each sending CLUSTER.perSender messages at once, until each has the
//      ack of its last);
//   3. a node's death (SIGKILL) to its clients open again on another node: CLUSTER.clients clients
//      on node A, A killed, each client reconnecting to node B at once (hello with its epoch and ack):
//      the time from the kill to each `resumed` welcome, median and p99 per run.
// It times the CPU (the throughput): bench/run.js runs it alone.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { AckedServer } from '../server/index.js';
import { RedisSessionStore } from '../server/redis.js';
import { freePort, waitForPort } from '../e2e/support/nginx.js';
import { Peer } from '../e2e/support/protocol-peer.js';
import { startRedis } from '../e2e/support/redis.js';

/** The sizes of the measure. */
export const CLUSTER = { clients: 1000, runs: 3, senders: 20, perSender: 2000, fsyncs: ['always', 'everysec'] };
const NODE_SCRIPT = fileURLToPath(new URL('../e2e/cluster/node.js', import.meta.url));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const quantile = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];
let tokens = 0;
const token = (prefix) => `${prefix}${String((tokens += 1)).padStart(7, '0')}`.padEnd(22, '_');

async function startNode(redis, env = {}) {
  const port = await freePort();
  const child = fork(NODE_SCRIPT, [], { env: { ...process.env, PORT: String(port), REDIS_URL: redis.url, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let gone = false;
  child.once('exit', () => {
    gone = true;
  });
  await waitForPort(port, { exited: () => gone, what: 'node', timeoutMs: 10_000 });
  return {
    url: `ws://127.0.0.1:${port}`,
    child,
    async rssKb() {
      const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
      return Number(/VmRSS:\s+(\d+)/.exec(status)[1]);
    },
    async kill() {
      if (gone) return;
      const exit = once(child, 'exit');
      child.kill('SIGKILL');
      await exit;
    },
  };
}

/** Opens `n` sessions on `url`, in batches; each client records its welcome. */
async function openSessions(url, n) {
  const peers = [];
  for (let i = 0; i < n; i += 100) {
    peers.push(...await Promise.all(Array.from({ length: Math.min(100, n - i) }, async () => {
      const peer = await Peer.connect(url);
      const sid = token('s');
      const key = token('k');
      const welcome = await peer.hello(sid, key, 0, 0, 10_000);
      return { peer, sid, key, epoch: welcome.epoch };
    })));
  }
  return peers;
}

async function usedMemory(client) {
  const info = await client.sendCommand(['INFO', 'memory']);
  return Number(/used_memory:(\d+)/.exec(String(info))[1]);
}

async function memoryFigures(redis, client) {
  const rows = [];
  for (let run = 0; run < CLUSTER.runs; run += 1) {
    await client.sendCommand(['FLUSHALL']);
    const node = await startNode(redis);
    const producer = new AckedServer(null, { store: new RedisSessionStore({ client: await redis.client() }) });
    const redisBefore = await usedMemory(client);
    const rssBefore = await node.rssKb();
    const peers = await openSessions(node.url, CLUSTER.clients);
    for (const p of peers) p.peer.send('d1,0;hello from the client');
    for (const p of peers) await producer.sendTo(p.sid, 'hello from the server');
    await sleep(500);
    const redisAfter = await usedMemory(client);
    const rssAfter = await node.rssKb();
    const sample = await producer.store.memoryUsage(peers[0].sid);
    rows.push({ redis: (redisAfter - redisBefore) / CLUSTER.clients, sample, rss: ((rssAfter - rssBefore) * 1024) / CLUSTER.clients });
    for (const p of peers) p.peer.ws.terminate();
    producer.close();
    await producer.store.close();
    await node.kill();
  }
  return rows;
}

async function throughput(redis, client, store) {
  const { senders, perSender: perClient } = CLUSTER;
  const rates = [];
  for (let run = 0; run < CLUSTER.runs; run += 1) {
    await client.sendCommand(['FLUSHALL']);
    const node = await startNode(redis, store === 'memory' ? { STORE: 'memory' } : {});
    const peers = await openSessions(node.url, senders);
    const started = performance.now();
    await Promise.all(peers.map(async ({ peer }) => {
      const last = `a${perClient}`;
      const done = new Promise((resolve) => {
        peer.ws.on('message', (data) => {
          if (String(data) === last) resolve();
        });
      });
      for (let seq = 1; seq <= perClient; seq += 1) peer.send(`d${seq},0;message ${seq}`);
      await done;
    }));
    rates.push((senders * perClient) / ((performance.now() - started) / 1000));
    for (const { peer } of peers) peer.ws.terminate();
    await node.kill();
  }
  return rates;
}

async function failover(redis, client) {
  const medians = [];
  const p99s = [];
  for (let run = 0; run < CLUSTER.runs; run += 1) {
    await client.sendCommand(['FLUSHALL']);
    const a = await startNode(redis);
    const b = await startNode(redis);
    const peers = await openSessions(a.url, CLUSTER.clients);
    const times = [];
    let killedAt = 0;
    const back = peers.map((p) => new Promise((resolve, reject) => {
      p.peer.ws.once('close', async () => {
        try {
          const again = await Peer.connect(b.url);
          const welcome = await again.hello(p.sid, p.key, p.epoch, 0, 20_000);
          if (!welcome.resumed) throw new Error('not resumed');
          times.push(performance.now() - killedAt);
          again.ws.terminate();
          resolve();
        } catch (error) {
          reject(error);
        }
      });
    }));
    killedAt = performance.now();
    await a.kill();
    await Promise.all(back);
    medians.push(median(times));
    p99s.push(quantile(times, 0.99));
    await b.kill();
  }
  return { medians, p99s };
}

/**
 * The whole measure, once per fsync setting of CLUSTER.fsyncs, each on a redis-server of its own.
 * @param {(message: string) => void} log
 */
export async function measureCluster(log) {
  const figures = { ...CLUSTER, bySetting: {} };
  for (const fsync of CLUSTER.fsyncs) {
    const redis = await startRedis({ appendfsync: fsync });
    const client = await redis.client();
    try {
      figures.redisVersion = String(await client.sendCommand(['INFO', 'server'])).match(/redis_version:(\S+)/)?.[1] ?? 'unknown';
      log(`cluster: appendfsync ${fsync}: memory per session, ${CLUSTER.clients} sessions × ${CLUSTER.runs} runs`);
      const memory = await memoryFigures(redis, client);
      log(`cluster: appendfsync ${fsync}: client messages per second, Redis store then memory store`);
      const viaRedis = await throughput(redis, client, 'redis');
      const viaMemory = await throughput(redis, client, 'memory');
      log(`cluster: appendfsync ${fsync}: a node killed, ${CLUSTER.clients} clients resumed on another`);
      const failed = await failover(redis, client);
      figures.bySetting[fsync] = { memory, throughput: { redis: viaRedis, memory: viaMemory }, failover: failed };
    } finally {
      client.destroy();
      await redis.dispose();
    }
  }
  return figures;
}
