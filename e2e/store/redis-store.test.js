// The session stores (server/store.js, server/redis.js) in Node, against a real redis-server from
// Debian (e2e/support/redis.js: a free loopback port, its own data directory, AOF fsynced at every
// write): the store's verdicts and bounds, the inbox, key expiry, and then AckedServer nodes sharing a store:
// a session resumed on another node (the old connection closed with 4409 through pub/sub, its
// writes refused), sendTo() from any node (in order, queued while the client is away), Redis going
// down (hellos refused with 1013, clients back when it returns, nothing lost with the AOF, even
// after a SIGKILL of Redis), and the inbox a claim finds handed over only once the node that recorded
// it has answered that it is done with it (alive and slow) or its lease is gone (dead), each message
// with its delivery id and `redelivered` flag. The same takeover with two adapters sharing a
// MemorySessionStore.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { WebSocketServer } from 'ws';
import { AckedServer, MemorySessionStore } from '../../server/index.js';
import { RedisSessionStore } from '../../server/redis.js';
import { startRedis } from '../support/redis.js';
import { Peer, within } from '../support/protocol-peer.js';

let tokens = 0;
/** A session id or key: 22 URL-safe characters, unique in this file. */
const token = (prefix) => `${prefix}${String((tokens += 1)).padStart(4, '0')}`.padEnd(22, '_');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** @type {Awaited<ReturnType<typeof startRedis>>} */
let redis;
before(async () => {
  redis = await startRedis();
});
after(() => redis?.dispose());

/**
 * An AckedServer node on its own loopback port with an echo application (`echo:<text>`) that
 * records, per session id, what it was given, and in `order` (shared by the nodes of a test, when
 * given) every delivery with its node's name, delivery id and flag.
 */
async function startNode(t, store, options = {}) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(wss, 'listening');
  const server = new AckedServer(wss, { ackInterval: 10, store });
  /** @type {Map<string, string[]>} */
  const delivered = new Map();
  const { order = [], name = '' } = options;
  const node = { server, url: `ws://127.0.0.1:${wss.address().port}`, delivered, order, storeErrors: 0 };
  server.on('storeerror', () => {
    node.storeErrors += 1;
  });
  server.on('session', (session) => {
    if (!delivered.has(session.id)) delivered.set(session.id, []);
    session.on('message', (data, isBinary, { id, redelivered }) => {
      order.push({ node: name, data: String(data), id, redelivered });
      delivered.get(session.id).push(String(data));
      session.send(`echo:${data}`);
    });
  });
  t.after(async () => {
    server.close();
    for (const ws of wss.clients) ws.terminate();
    wss.close();
    await once(wss, 'close');
  });
  return node;
}

/**
 * A RedisSessionStore (or `Store`, a subclass) on a client of its own (as a node process has),
 * closed with `t`.
 */
async function redisStore(t, Store = RedisSessionStore, options = {}) {
  const client = await redis.client();
  const store = new Store({ client, ...options });
  t.after(() => store.close().catch(() => {}));
  return { client, store };
}

describe('RedisSessionStore on redis-server', () => {
  test('claim: fresh, resumed, not-yours, ack checks; append within bounds; owner-checked writes', async (t) => {
    const { store } = await redisStore(t);
    const node = await store.register({ notice() {} });
    const sid = token('store');
    const first = `${node}/1`;
    const fresh = await store.claim({ sid, keyHash: 'h', epoch: 0, ack: 0 }, { owner: first, newEpoch: 4242, ttl: 60_000 });
    assert.deepEqual(fresh, { verdict: 'fresh', epoch: 4242, received: 0, lastSeq: 0, previous: null, holder: null, window: [], inbox: [] });
    const bounds = { maxMessages: 3, maxBytes: 100, ttl: 60_000 };
    assert.deepEqual(await store.append(sid, 'one', bounds), { seq: 1, owner: first, connected: true });
    assert.deepEqual(await store.append(sid, Buffer.from([0, 0x64, 255]), bounds), { seq: 2, owner: first, connected: true });
    assert.deepEqual(await store.append(sid, 'three', bounds), { seq: 3, owner: first, connected: true });
    assert.deepEqual(await store.append(sid, 'four', bounds), { overflow: { messages: 3, bytes: 11 }, owner: first });
    assert.equal(await store.append(token('nobody'), 'x', bounds), null);

    assert.equal(await store.received(sid, first, 1, 60_000, 'c1'), true);
    await store.delivered(sid, 1);
    assert.equal(await store.received(sid, `${node}/9`, 2, 60_000, 'c2'), false, 'a connection that is not the owner writes nothing');
    assert.equal(await store.release(sid, first, 1, 60_000), true);
    assert.deepEqual(await store.range(sid, 1), [{ seq: 2, payload: Buffer.from([0, 0x64, 255]) }, { seq: 3, payload: 'three' }]);
    // The released bytes are free again: 3 + 5 = 8 of 100 bytes, 2 of 3 messages.
    assert.deepEqual(await store.append(sid, 'x'.repeat(92), bounds), { seq: 4, owner: first, connected: true });

    assert.deepEqual(await store.claim({ sid, keyHash: 'other', epoch: 4242, ack: 1 }, { owner: `${node}/2`, newEpoch: 1, ttl: 60_000 }), { verdict: 'not-yours' });
    assert.deepEqual(await store.claim({ sid, keyHash: 'h', epoch: 4242, ack: 0 }, { owner: `${node}/2`, newEpoch: 1, ttl: 60_000 }), { verdict: 'ack-too-low' });
    assert.deepEqual(await store.claim({ sid, keyHash: 'h', epoch: 4242, ack: 5 }, { owner: `${node}/2`, newEpoch: 1, ttl: 60_000 }), { verdict: 'ack-unsent' });
    assert.equal(await store.received(sid, first, 2, 60_000, Buffer.from([7])), true, 'the refusals changed nothing');
    const second = `${node}/2`;
    const resumed = await store.claim({ sid, keyHash: 'h', epoch: 4242, ack: 3 }, { owner: second, newEpoch: 1, ttl: 60_000 });
    // Client message 2 was recorded and never marked delivered (its node died, say): in the inbox,
    // with the connection that recorded it.
    assert.deepEqual(resumed, {
      verdict: 'resumed', epoch: 4242, received: 2, lastSeq: 4, previous: first, holder: first,
      window: [{ seq: 4, payload: 'x'.repeat(92) }], inbox: [{ seq: 2, payload: Buffer.from([7]), owner: first }],
    });
    assert.deepEqual(await store.inbox(sid), [{ seq: 2, payload: Buffer.from([7]), owner: first }]);
    await store.delivered(sid, 2);
    assert.equal(await store.received(sid, first, 3, 60_000, 'c3'), false, 'the connection taken over writes nothing');
    assert.equal(await store.release(sid, first, 4, 60_000), false);

    // Another incarnation named: the store starts afresh (a new epoch) and says who held it.
    const restarted = await store.claim({ sid, keyHash: 'h', epoch: 77, ack: 0 }, { owner: `${node}/3`, newEpoch: 5151, ttl: 60_000 });
    assert.deepEqual(restarted, { verdict: 'fresh', epoch: 5151, received: 0, lastSeq: 0, previous: second, holder: second, window: [], inbox: [] });
    assert.equal(await store.discard(sid, second), false, 'discard checks the owner when given one');
    assert.equal(await store.discard(sid), true);
    assert.equal(await store.append(sid, 'x', bounds), null);
  });

  test('an incarnation whose welcome the client never got is given again as `new`, from seq 1', async (t) => {
    const { store } = await redisStore(t);
    const node = await store.register({ notice() {} });
    const sid = token('unseen');
    await store.claim({ sid, keyHash: 'h', epoch: 0, ack: 0 }, { owner: `${node}/1`, newEpoch: 99, ttl: 60_000 });
    await store.append(sid, 'hi', { maxMessages: 10, maxBytes: 100, ttl: 60_000 });
    const again = await store.claim({ sid, keyHash: 'h', epoch: 0, ack: 0 }, { owner: `${node}/2`, newEpoch: 1, ttl: 60_000 });
    assert.deepEqual(again, { verdict: 'new', epoch: 99, received: 0, lastSeq: 1, previous: `${node}/1`, holder: `${node}/1`, window: [{ seq: 1, payload: 'hi' }], inbox: [] });
  });

  test('the session ttl is the keys\' expiry, counted from the last write', async (t) => {
    const { client, store } = await redisStore(t);
    const node = await store.register({ notice() {} });
    const sid = token('ttl');
    // Margins of 300 ms and more either side of each expiry, for a busy machine.
    await store.claim({ sid, keyHash: 'h', epoch: 0, ack: 0 }, { owner: `${node}/1`, newEpoch: 5, ttl: 1000 });
    await store.append(sid, 'm', { maxMessages: 10, maxBytes: 100, ttl: 1000 });
    await store.detach(sid, `${node}/1`, 1000);
    assert.equal(await client.exists([`rws:{${sid}}`, `rws:{${sid}}:q`]), 2);
    await sleep(500);
    await store.refresh([sid], 1000);
    await sleep(600);
    assert.equal(await client.exists([`rws:{${sid}}`, `rws:{${sid}}:q`]), 2, 'refreshed: still there after the first ttl');
    await sleep(700);
    assert.equal(await client.exists([`rws:{${sid}}`, `rws:{${sid}}:q`]), 0, 'expired');
  });
});

/**
 * Two nodes sharing a store (node a's own `storeOfA` when given, a store on the same Redis), their
 * deliveries in `order`; the client's first connection on `a`.
 */
async function twoNodes(t, makeStore, { storeOfA = undefined, order = [] } = {}) {
  const a = await startNode(t, storeOfA ?? await makeStore(), { order, name: 'a' });
  const b = await startNode(t, await makeStore(), { order, name: 'b' });
  const sid = token('sess');
  const key = token('key');
  const first = await Peer.connect(a.url);
  t.after(() => first.ws.terminate());
  const welcome = await first.hello(sid, key);
  assert.equal(welcome.resumed, false);
  return { a, b, sid, key, first, epoch: welcome.epoch };
}

for (const [name, makeStore] of [
  ['Redis', async (t) => (await redisStore(t)).store],
  ['one MemorySessionStore', (() => {
    const shared = new MemorySessionStore();
    return async () => shared;
  })()],
]) {
  describe(`two AckedServer nodes sharing ${name}`, () => {
    test('a hello on the other node resumes the session; the old connection is closed with 4409', async (t) => {
      const { a, b, sid, key, first, epoch } = await twoNodes(t, () => makeStore(t));
      first.send('d1,0;one');
      assert.equal(await first.nextData(), 'd1,1;echo:one');
      // Not acknowledged: the echo must come again on the other node.
      const second = await Peer.connect(b.url);
      t.after(() => second.ws.terminate());
      assert.deepEqual(await second.hello(sid, key, epoch, 0), { ack: 1, resumed: true, epoch });
      assert.equal(await second.nextData(), 'd1,1;echo:one');
      assert.deepEqual(await first.close(), { code: 4409, reason: 'session taken over' });
      second.send('d2,1;two');
      assert.equal(await second.nextData(), 'd2,2;echo:two');
      // A duplicate of `one` (a client whose ack got lost would send it) is acknowledged again, not
      // delivered a second time, on this node either.
      second.send('d1,2;one');
      assert.equal(await second.next(), 'a2');
      assert.deepEqual(a.delivered.get(sid), ['one']);
      assert.deepEqual(b.delivered.get(sid), ['two']);
      // Node a let go of the session.
      assert.equal(a.server.sessions.has(sid), false);
      assert.equal(b.server.sessions.get(sid)?.connected, true);
    });

    test('sendTo() from any node: delivered where the client is, in order, queued while it is away', async (t) => {
      const { a, b, sid, key, first, epoch } = await twoNodes(t, () => makeStore(t));
      const sends = Array.from({ length: 20 }, (_, i) => b.server.sendTo(sid, `b${i + 1}`));
      assert.deepEqual(await Promise.all(sends), Array(20).fill(true));
      for (let i = 1; i <= 20; i += 1) assert.equal(await first.nextData(), `d${i},0;b${i}`);
      first.send('a20');
      first.ws.terminate();
      await within(once(a.server.sessions.get(sid), 'disconnect'), 'disconnect');
      assert.equal(await b.server.sendTo(sid, 'away-1'), true);
      assert.equal(await a.server.sendTo(sid, 'away-2'), true);
      assert.equal(await b.server.sendTo(token('nobody'), 'x'), false, 'no such session');
      const back = await Peer.connect(b.url);
      t.after(() => back.ws.terminate());
      assert.deepEqual(await back.hello(sid, key, epoch, 20), { ack: 0, resumed: true, epoch });
      assert.equal(await back.nextData(), 'd21,0;away-1');
      assert.equal(await back.nextData(), 'd22,0;away-2');
    });
  });
}

describe('Redis going away and coming back', () => {
  test('hellos are refused with 1013 while Redis is down; with the AOF the session resumes after a SIGKILL of Redis', async (t) => {
    const { a, sid, key, first, epoch } = await twoNodes(t, async () => (await redisStore(t)).store);
    for (let i = 1; i <= 5; i += 1) {
      first.send(`d${i},${i - 1};m${i}`);
      assert.equal(await first.nextData(), `d${i},${i};echo:m${i}`);
    }
    first.send('a5');
    await sleep(50);
    await redis.kill();
    // The connection's next write fails: closed with 1013, the client comes back later.
    first.send('d6,5;m6');
    assert.deepEqual(await first.close(), { code: 1013, reason: 'session store unavailable' });
    const refused = await Peer.connect(a.url);
    refused.send(`h1,${sid},${key},${epoch},5`);
    assert.deepEqual(await refused.close(), { code: 1013, reason: 'session store unavailable' });
    await redis.start();
    // The node's clients reconnect by themselves (every 100 ms here).
    const deadline = Date.now() + 5000;
    while (!a.server.store.available() && Date.now() < deadline) await sleep(50);
    assert.equal(a.server.store.available(), true, 'the store is back');
    const back = await Peer.connect(a.url);
    t.after(() => back.ws.terminate());
    // m6 was never recorded (its write failed): the welcome says 5, and the client resends it.
    assert.deepEqual(await back.hello(sid, key, epoch, 5), { ack: 5, resumed: true, epoch });
    back.send('d6,5;m6');
    assert.equal(await back.nextData(), 'd6,6;echo:m6');
    assert.deepEqual(a.delivered.get(sid), ['m1', 'm2', 'm3', 'm4', 'm5', 'm6']);
    assert.ok(a.storeErrors >= 1, 'the failed write was reported (storeerror)');
  });

  test('a graceful restart of Redis keeps the unacknowledged messages', async (t) => {
    const { a, sid, key, first, epoch } = await twoNodes(t, async () => (await redisStore(t)).store);
    first.ws.terminate();
    await within(once(a.server.sessions.get(sid), 'disconnect'), 'disconnect');
    for (let i = 1; i <= 3; i += 1) assert.equal(await a.server.sendTo(sid, `q${i}`), true);
    await redis.stop();
    await redis.start();
    const deadline = Date.now() + 5000;
    while (!a.server.store.available() && Date.now() < deadline) await sleep(50);
    const back = await Peer.connect(a.url);
    t.after(() => back.ws.terminate());
    assert.deepEqual(await back.hello(sid, key, epoch, 0), { ack: 0, resumed: true, epoch });
    for (let i = 1; i <= 3; i += 1) assert.equal(await back.nextData(), `d${i},0;q${i}`);
  });
});

describe('the inbox a claim finds, handed over once the node that recorded it is done or gone', () => {
  test('the old node alive and slow: asked to flush, it gives its application the message it recorded; the new node does not', async (t) => {
    const order = [];
    /** Resolves once node a's store recorded client message 1. */
    let recorded;
    const recordedOnce = new Promise((resolve) => {
      recorded = resolve;
    });
    let flushes = 0;
    /** Node a records client messages and then stalls until it is asked to flush. */
    class Slow extends RedisSessionStore {
      #asked = null;
      #ask = new Promise((resolve) => {
        this.#asked = resolve;
      });

      register(node) {
        return super.register({
          notice: (notice) => {
            if (notice.kind === 'flush') {
              flushes += 1;
              this.#asked();
            }
            node.notice(notice);
          },
        });
      }

      async received(...args) {
        const owned = await super.received(...args);
        recorded();
        await this.#ask;
        return owned;
      }
    }
    const { store: storeOfA } = await redisStore(t, Slow);
    const { b, sid, key, first, epoch } = await twoNodes(t, async () => (await redisStore(t)).store, { storeOfA, order });
    first.send('d1,0;one');
    await within(recordedOnce, 'node a recording message 1');
    assert.deepEqual(order, [], 'recorded, not yet given to node a\'s application');
    const second = await Peer.connect(b.url);
    t.after(() => second.ws.terminate());
    // The store has message 1: the welcome acknowledges it, and the client will not send it again.
    assert.deepEqual(await second.hello(sid, key, epoch, 0), { ack: 1, resumed: true, epoch });
    second.send('d2,0;two');
    // Node a's application had message 1 after its session there had ended (moved): its echo, a
    // send() on that session, was refused; node b's echo of message 2 is the first message.
    assert.equal(await second.nextData(), 'd1,2;echo:two');
    assert.equal(flushes, 1, 'node b asked node a once');
    assert.deepEqual(order, [
      { node: 'a', data: 'one', id: `${sid}:${epoch}:1`, redelivered: false },
      { node: 'b', data: 'two', id: `${sid}:${epoch}:2`, redelivered: false },
    ], 'message 1 given once, by the node that recorded it, before node b went on');
  });

  test('the old node dead: its lease runs out, and the new node hands the message over, flagged redelivered, with the same id', async (t) => {
    const order = [];
    /** Node a never clears its inbox: it dies between its application and that write. */
    class Dying extends RedisSessionStore {
      delivered() {
        return new Promise(() => {});
      }
    }
    const { client: clientA, store: storeA } = await redisStore(t, Dying, { leaseTtl: 500 });
    const { a, b, sid, key, first, epoch } = await twoNodes(t, async () => (await redisStore(t)).store, { storeOfA: storeA, order });
    const watcher = await redis.client();
    t.after(() => watcher.destroy());
    first.send('d1,0;one');
    assert.equal(await first.nextData(), 'd1,1;echo:one');
    const lease = `rws:lease:${a.server.nodeId}`;
    assert.equal(await watcher.exists(lease), 1, 'node a holds its lease');
    // Node a dies: cut off from Redis (no renewal, no subscription), its inbox never cleared.
    storeA.subscriber.destroy();
    clientA.destroy();
    let leaseAtHandover = null;
    b.server.on('session', (session) => session.on('message', (data, isBinary, { redelivered }) => {
      if (redelivered) leaseAtHandover = watcher.exists(lease);
    }));
    const second = await Peer.connect(b.url);
    t.after(() => second.ws.terminate());
    assert.deepEqual(await second.hello(sid, key, epoch, 0), { ack: 1, resumed: true, epoch });
    // Node a's echo (stored before a died) comes again; then node b's, of the handed-over message.
    assert.equal(await second.nextData(), 'd1,1;echo:one');
    assert.equal(await second.nextData('the handover', 5000), 'd2,1;echo:one');
    assert.deepEqual(order, [
      { node: 'a', data: 'one', id: `${sid}:${epoch}:1`, redelivered: false },
      { node: 'b', data: 'one', id: `${sid}:${epoch}:1`, redelivered: true },
    ], 'the same id twice: the second flagged, so that an application deduplicating on it sees it once');
    assert.equal(await leaseAtHandover, 0, 'handed over only once node a\'s lease was gone');
  });
});
