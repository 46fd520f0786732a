// The test cluster of acknowledged delivery (issue 15): Debian's redis-server (AOF, fsync always),
// three Node server processes (e2e/cluster/node.js: the real AckedServer on a RedisSessionStore)
// and Debian's nginx in front of them with an `upstream` of the three (round robin). The harness
// itself is a fourth node without connections, the producer: it sends each client's session a
// numbered stream with sendTo(), wherever the client is connected.
//
// What the nodes report is kept here: every client message given to an application (read from the
// nodes' log files, written synchronously, with the owner token of the connection that delivered
// it, its delivery id and redelivered flag, and whether the application applied it or found it
// applied already), and which session each client has (from the connects, over IPC). The faults: a node
// killed with SIGKILL or stopped gracefully and started again, its connections cut, a node gone
// silent, Redis stopped and started again from its AOF.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AckedServer } from '../../server/index.js';
import { RedisSessionStore } from '../../server/redis.js';
import { freePort, startNginx, waitForPort } from './nginx.js';
import { startRedis } from './redis.js';

const NODE_SCRIPT = fileURLToPath(new URL('../cluster/node.js', import.meta.url));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * @param {{ nodes?: number, periodMs?: number }} [options] `periodMs`: the producer's interval, per client
 */
export async function startCluster({ nodes: count = 3, periodMs = 25 } = {}) {
  const redis = await startRedis({ appendfsync: 'always' });
  const ports = [];
  for (let i = 0; i < count; i += 1) ports.push(await freePort());
  const logs = await mkdtemp(path.join(os.tmpdir(), 'rws-cluster-'));
  const logOf = (i) => path.join(logs, `node-${i}.received`);

  /** Per client name: its session id, what the applications were given, what the producer sent. */
  const clients = new Map();
  const client = (name) => {
    if (!clients.has(name)) clients.set(name, { sid: null, sent: 0, sending: false, failedSends: 0 });
    return clients.get(name);
  };
  /** @type {Map<string, string>} session id -> client name */
  const nameOf = new Map();
  const violations = [];

  /** @type {(import('node:child_process').ChildProcess | null)[]} */
  const children = Array(count).fill(null);
  const startNode = async (i) => {
    const child = fork(NODE_SCRIPT, [], {
      env: { ...process.env, PORT: String(ports[i]), REDIS_URL: redis.url, RECEIVED_LOG: logOf(i) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    children[i] = child;
    child.on('message', (message) => {
      if (message.kind === 'connect') {
        const record = client(message.client);
        record.sid = message.sid;
        nameOf.set(message.sid, message.client);
      } else if (message.kind === 'violation') {
        violations.push({ node: i, code: message.code, reason: message.reason });
      }
    });
    const exited = once(child, 'exit');
    let gone = false;
    exited.then(() => {
      gone = true;
    });
    // A process start can take seconds on a loaded machine.
    await waitForPort(ports[i], { exited: () => gone, what: `cluster node ${i}`, timeoutMs: 30_000 });
  };
  for (let i = 0; i < count; i += 1) await startNode(i);
  const nginx = await startNginx({ upstreamPorts: ports, readTimeout: '60s' });

  // The producer: a node of its own on the same Redis.
  const producerClient = await redis.client();
  const producerStore = new RedisSessionStore({ client: producerClient });
  const producer = new AckedServer(null, { store: producerStore });
  let producing = true;
  let inFlight = Promise.resolve();
  const timer = setInterval(() => {
    if (!producing || !producerStore.available()) return;
    for (const record of clients.values()) {
      if (!record.sending || !record.sid) continue;
      const n = record.sent + 1;
      record.sent = n;
      // Issued in order; a refusal (no such session) would be a loss the check below reports.
      inFlight = producer.sendTo(record.sid, String(n)).then((ok) => {
        if (!ok) record.failedSends += 1;
      }, () => {
        record.failedSends += 1;
      });
    }
  }, periodMs);

  const stopChild = async (i, signal) => {
    const child = children[i];
    if (!child) return;
    children[i] = null;
    if (child.exitCode === null && child.signalCode === null) {
      const exit = once(child, 'exit');
      child.kill(signal);
      await exit;
    }
  };

  return {
    redis,
    nginx,
    ports,
    producer,
    clients,
    client,
    violations,
    /**
     * What the applications applied from client `name` (`received`), in the order applied (the
     * nodes' logs merged by time; two nodes never deliver one session's messages in the same
     * millisecond, as a reconnect lies between), the owner tokens of the connections that delivered
     * them, and every delivery (`lines`), applied or not.
     * @returns {Promise<{ received: number[], owners: string[], lines: { time: number, node: number, owner: string,
     *   data: number, id: string, redelivered: boolean, applied: boolean }[] }>}
     */
    async delivered(name) {
      const sid = client(name).sid;
      const lines = [];
      for (let i = 0; i < count; i += 1) {
        const text = await readFile(logOf(i), 'utf8').catch(() => '');
        text.split('\n').forEach((line, at) => {
          const [time, lineSid, owner, data, id, redelivered, applied] = line.split(' ');
          if (lineSid === sid) {
            lines.push({ time: Number(time), node: i, at, owner, data: Number(data), id, redelivered: redelivered === '1', applied: applied === '1' });
          }
        });
      }
      lines.sort((x, y) => x.time - y.time || (x.node === y.node ? x.at - y.at : x.node - y.node));
      const owners = [];
      for (const { owner } of lines) if (owners.at(-1) !== owner) owners.push(owner);
      return { received: lines.filter((l) => l.applied).map((l) => l.data), owners, lines };
    },
    /** The URL a browser client named `name` opens (through nginx). */
    urlFor: (name) => `${nginx.url}?client=${encodeURIComponent(name)}`,
    /** The producer starts (or stops) its numbered stream to `name`'s session. */
    sending(name, on) {
      client(name).sending = on;
    },
    /** kill -9 of node `i`, then (after `downMs`) the same node again on its port. */
    async killNode(i, downMs = 500) {
      await stopChild(i, 'SIGKILL');
      await sleep(downMs);
      await startNode(i);
    },
    /** SIGTERM: the node closes its connections with 1001 and leaves the sessions in Redis. */
    async restartNode(i, downMs = 500) {
      await stopChild(i, 'SIGTERM');
      await sleep(downMs);
      await startNode(i);
    },
    /** Every connection of node `i` dropped without a close frame. */
    cut(i) {
      children[i]?.send('cut');
    },
    /** Node `i`'s connections stop being read and answered (a hung process); the node is killed and started again after `silentMs`. */
    async silence(i, silentMs = 3000) {
      children[i]?.send('silent');
      await sleep(silentMs);
      await this.killNode(i, 200);
    },
    /**
     * Redis stopped (SIGTERM: it fsyncs and exits) and started again from its AOF. The producer
     * pauses around it: a sendTo() in flight when the connection drops has an unknown outcome.
     */
    async restartRedis(downMs = 1000) {
      producing = false;
      await inFlight;
      await redis.stop();
      await sleep(downMs);
      await redis.start();
      // Up, and done loading its AOF (until then it answers LOADING).
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        const loaded = producerStore.available()
          && (await producerClient.sendCommand(['EXISTS', 'rws:loaded?']).then(() => true, () => false));
        if (loaded) break;
        await sleep(50);
      }
      producing = true;
    },
    /** Stops the producer and waits for its last sendTo(). */
    async stopProducing() {
      producing = false;
      await inFlight;
    },
    async stop() {
      clearInterval(timer);
      producing = false;
      await inFlight;
      producer.close();
      await producerStore.close().catch(() => {});
      for (let i = 0; i < count; i += 1) await stopChild(i, 'SIGKILL');
      await nginx.stop();
      await redis.dispose();
      await rm(logs, { recursive: true, force: true });
    },
  };
}
