// A bad or hostile peer cannot crash either side of acknowledged delivery (PROTOCOL.md, "Errors"):
//
// 1. Hostile clients against the real AckedServer (Node only): every malformed envelope, number out
//    of range, ack for a message never sent, foreign session id and oversized frame gets the close
//    code (and reason) PROTOCOL.md documents, the `violation` event reports it, and a well-behaved
//    session on the same server keeps working before and after. Also the protocol paths that make
//    the adapter trustworthy: resumption and resends, take-over (4409), duplicates, the queue
//    bounds (4413, `overflow`), `sessionTtl` (`expired`), the bound on sessions (`maxSessions`:
//    eviction, 1013, `limit`), an application that refuses a session, and `close()`. An exception escaping the adapter would fail this file (node:test reports it).
// 2. A hostile server against the real client in headless Chromium: a raw `ws` server answers the
//    client's hello (or its resuming hello) with bad frames; the client closes with the documented
//    code and gives up (a violation the client detects is terminal: `shouldReconnect` is not asked,
//    as after its own heartbeat timeout), and the page raises no error.
//    Also what the client must get right with a correct server: resends on `resumed`, `drop` and
//    `sessionlost` on `new`, the ack bound, and payloads that look like envelopes (`;`, `,`, an
//    astral character across the 64-character header window, binary as ArrayBuffer and as Blob).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { before, describe } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { AckedServer, CloseCode } from '../../server/index.js';
import { assertNoPageErrors, test, useBrowser } from '../api/helpers.js';
import { openPage } from '../support/browser.js';
import { Peer, within } from '../support/protocol-peer.js';

/** The close reason that goes with each code (the adapter's and the client's). */
const REASON = {
  1009: 'message too big',
  1013: 'too many sessions',
  4408: 'no hello',
  4409: 'session taken over',
  4413: 'session overflow',
  4500: 'malformed frame',
  4501: 'sequence out of range',
  4502: 'ack for a message never sent',
  4503: 'session belongs to another client',
  4505: 'unsupported protocol version',
};

let tokens = 0;
/** A session id or key: 22 URL-safe base64 characters, unique in this file. */
const token = (prefix) => `${prefix}${String((tokens += 1)).padStart(4, '0')}`.padEnd(22, '_');

// --- Part 1: hostile clients against the real AckedServer -----------------------------------------

/**
 * A real AckedServer on a loopback port with an echo application: text comes back as `echo:<text>`,
 * binary as it is, and `flood:<n>` makes it send `f1`..`f<n>`. It records what the application was
 * given per session id, the adapter's events, and the sessions by id. Everything stops with `t`.
 */
async function startAdapter(t, options = {}) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(wss, 'listening');
  const server = new AckedServer(wss, { helloTimeout: 300, maxMessageBytes: 1024, ackInterval: 10, ...options });
  const adapter = {
    server,
    url: `ws://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (wss.address()).port}`,
    /** @type {{ code: number, reason: string, sid: string | null }[]} */
    violations: [],
    /** @type {Map<string, (string | number[])[]>} what the application received, per session id */
    delivered: new Map(),
    /** @type {Map<string, import('../../server/index.js').Session>} the latest session per id */
    sessions: new Map(),
    /** Sessions the `session` event announced (new incarnations included). */
    created: 0,
    /** @type {Peer[]} */
    clients: [],

    /** A raw client connection to the adapter. */
    async connect() {
      const peer = new Peer(new WebSocket(adapter.url));
      adapter.clients.push(peer);
      await within(once(peer.ws, 'open'), 'open');
      return peer;
    },
  };
  server.on('violation', ({ code, reason, session }) => {
    adapter.violations.push({ code, reason, sid: session?.id ?? null });
  });
  server.on('session', (session) => {
    adapter.created += 1;
    adapter.sessions.set(session.id, session);
    adapter.delivered.set(session.id, []);
    session.on('message', (data, isBinary) => {
      adapter.delivered.get(session.id)?.push(isBinary ? [...data] : data);
      const flood = !isBinary && /^flood:(\d+)$/.exec(data);
      if (flood) {
        for (let i = 1; i <= Number(flood[1]); i += 1) session.send(`f${i}`);
      } else {
        session.send(isBinary ? data : `echo:${data}`);
      }
    });
  });
  t.after(async () => {
    server.close();
    for (const peer of adapter.clients) peer.ws.terminate();
    wss.close();
    await once(wss, 'close');
  });
  return adapter;
}

/**
 * A client that speaks the protocol correctly: a hello for a fresh session, then numbered messages
 * with cumulative acks. `exchange()` sends a few text and binary messages and a ping and checks each
 * answer frame by frame.
 */
async function goodSession(adapter) {
  const peer = await adapter.connect();
  const good = { peer, ...(await hello(peer, token('good'))), sent: 0, received: 0, payloads: [] };
  return Object.assign(good, {
    async exchange(label) {
      for (const text of [`${label}-1`, `${label};with,separators`]) {
        good.sent += 1;
        good.peer.send(`d${good.sent},${good.received};${text}`);
        good.payloads.push(text);
        good.received += 1;
        await good.peer.expect(`d${good.received},${good.sent};echo:${text}`);
      }
      const bytes = [0x64, 0, 1, 0xff];
      good.sent += 1;
      good.peer.send(Buffer.from([0x64, ...varint(good.sent), ...varint(good.received), ...bytes]));
      good.payloads.push(bytes);
      good.received += 1;
      await good.peer.expect(Buffer.from([0x64, ...varint(good.received), ...varint(good.sent), ...bytes]));
      good.peer.send('p');
      await good.peer.expect('q');
    },
  });
}

/** A valid hello for a fresh session; returns the session's id, key and epoch. */
async function hello(peer, sid = token('peer'), key = token('key')) {
  peer.send(`h1,${sid},${key},0,0`);
  const welcome = String(await peer.next('welcome'));
  const match = /^w1,0,new,([1-9][0-9]{0,15})$/.exec(welcome);
  assert.ok(match, `a fresh session is welcomed as new: ${welcome}`);
  return { sid, key, epoch: Number(match[1]) };
}

/** A LEB128 number, as the binary data frame carries it. */
function varint(value) {
  const out = [];
  let rest = value;
  do {
    const low = rest % 128;
    rest = Math.floor(rest / 128);
    out.push(rest > 0 ? low | 0x80 : low);
  } while (rest > 0);
  return out;
}

/**
 * The hostile client cases: what the client sends (`afterHello`: once welcomed into a session of its
 * own) and the close code it must get.
 */
const HOSTILE_CLIENTS = [
  { name: 'data before the hello', frames: ['d1,0;x'], code: 4500 },
  { name: 'a ping before the hello', frames: ['p'], code: 4500 },
  { name: 'garbage text', frames: ['GET / HTTP/1.1'], code: 4500 },
  { name: 'an empty text frame', frames: [''], code: 4500 },
  { name: 'binary garbage', frames: [Buffer.from([0x00, 0xff, 0x13, 0x37])], code: 4500 },
  { name: 'an empty binary frame', frames: [Buffer.alloc(0)], code: 4500 },
  { name: 'a hello of version 2', frames: ['h2,abc,def,0,0'], code: 4505 },
  { name: 'a hello of version 0', frames: ['h0,abc,def,0,0'], code: 4505 },
  { name: 'a hello with a bad session id', frames: ['h1,a b!,def,0,0'], code: 4500 },
  { name: 'a hello with an empty key', frames: ['h1,abc,,0,0'], code: 4500 },
  { name: 'a hello with a 65-character session id', frames: [`h1,${'s'.repeat(65)},def,0,0`], code: 4500 },
  { name: 'a hello with 4 fields', frames: ['h1,abc,def,0'], code: 4500 },
  { name: 'a hello with 6 fields', frames: ['h1,abc,def,0,0,0'], code: 4500 },
  { name: 'a hello with a negative epoch', frames: ['h1,abc,def,-1,0'], code: 4500 },
  { name: 'a binary hello', frames: [Buffer.from('h1,abc,def,0,0')], code: 4500 },
  { name: 'no hello within helloTimeout', frames: [], code: 4408 },
  { name: 'a frame over maxMessageBytes before the hello', frames: [`h1,${'s'.repeat(1030)}`], code: 1009 },
  { name: 'data with a gap', afterHello: true, frames: ['d2,0;x'], code: 4501 },
  { name: 'a gap after a message', afterHello: true, frames: ['d1,0;x', 'd3,1;y'], code: 4501, delivered: ['x'], answers: ['d1,1;echo:x'] },
  { name: 'seq 0', afterHello: true, frames: ['d0,0;x'], code: 4501 },
  { name: 'seq 2^53', afterHello: true, frames: ['d9007199254740992,0;x'], code: 4501 },
  { name: 'a 20-digit seq', afterHello: true, frames: ['d99999999999999999999,0;x'], code: 4501 },
  { name: 'a 20-digit ack', afterHello: true, frames: ['a99999999999999999999'], code: 4501 },
  { name: 'a seq with a leading zero', afterHello: true, frames: ['d01,0;x'], code: 4500 },
  { name: 'a data frame without a payload separator', afterHello: true, frames: ['d1,0'], code: 4500 },
  { name: 'an ack in data for a message never sent', afterHello: true, frames: ['d1,1;x'], code: 4502 },
  { name: 'a standalone ack for a message never sent', afterHello: true, frames: ['a1'], code: 4502 },
  {
    name: 'an ack beyond what was sent, after a message',
    afterHello: true,
    frames: ['d1,0;x', 'a2'],
    code: 4502,
    delivered: ['x'],
    answers: ['d1,1;echo:x'],
  },
  { name: 'an empty ack', afterHello: true, frames: ['a'], code: 4500 },
  { name: 'a second hello on the connection', afterHello: true, frames: ['h1,other,key,0,0'], code: 4500 },
  { name: 'a welcome from the client', afterHello: true, frames: ['w1,0,new,1'], code: 4500 },
  { name: 'a text frame over maxMessageBytes', afterHello: true, frames: [`d1,0;${'x'.repeat(1020)}`], code: 1009 },
  {
    name: 'a binary frame over maxMessageBytes',
    afterHello: true,
    frames: [Buffer.concat([Buffer.from([0x64, 1, 0]), Buffer.alloc(1022)])],
    code: 1009,
  },
  { name: 'a binary frame with a truncated seq', afterHello: true, frames: [Buffer.from([0x64, 0x81])], code: 4500 },
  { name: 'a binary frame without an ack', afterHello: true, frames: [Buffer.from([0x64, 0x01])], code: 4500 },
  { name: 'a binary frame with a non-minimal varint', afterHello: true, frames: [Buffer.from([0x64, 0x81, 0x00, 0x00])], code: 4500 },
  {
    name: 'a binary frame with a 9-byte varint',
    afterHello: true,
    frames: [Buffer.from([0x64, ...Array(8).fill(0xff), 0x01, 0x00])],
    code: 4501,
  },
  { name: 'a binary frame with seq 2^53', afterHello: true, frames: [Buffer.from([0x64, ...varint(2 ** 53), 0])], code: 4501 },
  { name: 'a binary frame with seq 0', afterHello: true, frames: [Buffer.from([0x64, 0, 0])], code: 4501 },
  { name: 'a binary frame with a gap', afterHello: true, frames: [Buffer.from([0x64, 2, 0, 1])], code: 4501 },
  { name: 'a binary frame acking a message never sent', afterHello: true, frames: [Buffer.from([0x64, 1, 1, 1])], code: 4502 },
];

describe('hostile clients against AckedServer', () => {
  for (const { name, afterHello = false, frames, code, delivered = [], answers = [] } of HOSTILE_CLIENTS) {
    test(`${name}: closed with ${code}`, async (t) => {
      const adapter = await startAdapter(t);
      const good = await goodSession(adapter);
      await good.exchange('before');

      const hostile = await adapter.connect();
      const session = afterHello ? await hello(hostile) : null;
      for (const frame of frames) hostile.send(frame);
      for (const answer of answers) await hostile.expect(answer);
      assert.deepEqual(await hostile.close(), { code, reason: REASON[code] });
      assert.deepEqual(hostile.inbox, [], 'nothing but the close after the bad frame');
      assert.deepEqual(adapter.violations, [{ code, reason: REASON[code], sid: session?.sid ?? null }]);
      if (session) assert.deepEqual(adapter.delivered.get(session.sid), delivered);

      // The well-behaved session did not notice, on its connection or on a new one.
      await good.exchange('after');
      const later = await goodSession(adapter);
      await later.exchange('later');
      assert.deepEqual(adapter.delivered.get(good.sid), good.payloads);
      assert.equal(adapter.violations.length, 1);
    });
  }

  test('a frame of exactly maxMessageBytes is accepted', async (t) => {
    const adapter = await startAdapter(t);
    const peer = await adapter.connect();
    const { sid } = await hello(peer);
    const text = 'x'.repeat(1024 - 'd1,0;'.length);
    peer.send(`d1,0;${text}`);
    await peer.expect(`d1,1;echo:${text}`);
    assert.deepEqual(adapter.delivered.get(sid), [text]);
    assert.deepEqual(adapter.violations, []);
  });

  test('a text frame of invalid UTF-8 is refused by ws itself (1007), the server goes on', async (t) => {
    const adapter = await startAdapter(t);
    const good = await goodSession(adapter);
    const hostile = await adapter.connect();
    await hello(hostile);
    hostile.ws.send(Buffer.from([0x64, 0x31, 0x2c, 0x30, 0x3b, 0xc3, 0x28]), { binary: false });
    assert.equal((await hostile.close()).code, 1007);
    // The adapter never saw the frame: no `violation` of this protocol.
    assert.deepEqual(adapter.violations, []);
    await good.exchange('after');
  });

  test("a hello with another client's session id: 4503, the owner keeps its session", async (t) => {
    const adapter = await startAdapter(t);
    const owner = await goodSession(adapter);
    await owner.exchange('before');

    // While the owner is connected.
    const thief = await adapter.connect();
    thief.send(`h1,${owner.sid},${token('stolen')},0,0`);
    assert.deepEqual(await thief.close(), { code: 4503, reason: REASON[4503] });
    // With the owner's epoch (which a thief could have observed), still the wrong key.
    const thief2 = await adapter.connect();
    thief2.send(`h1,${owner.sid},${token('stolen')},${owner.epoch},${owner.received}`);
    assert.deepEqual(await thief2.close(), { code: 4503, reason: REASON[4503] });
    assert.deepEqual(adapter.violations, [
      { code: 4503, reason: REASON[4503], sid: null },
      { code: 4503, reason: REASON[4503], sid: null },
    ]);
    await owner.exchange('during');

    // While the owner is away: its session is left alone and resumes.
    owner.peer.ws.terminate();
    await within(once(adapter.sessions.get(owner.sid), 'disconnect'), 'disconnect');
    const thief3 = await adapter.connect();
    thief3.send(`h1,${owner.sid},${token('stolen')},${owner.epoch},${owner.received}`);
    assert.deepEqual(await thief3.close(), { code: 4503, reason: REASON[4503] });
    const back = await adapter.connect();
    back.send(`h1,${owner.sid},${owner.key},${owner.epoch},${owner.received}`);
    await back.expect(`w1,${owner.sent},resumed,${owner.epoch}`);
    owner.peer = back;
    await owner.exchange('after');
    assert.deepEqual(adapter.delivered.get(owner.sid), owner.payloads);
    assert.equal(adapter.created, 1);
  });

  test('resume: welcome `resumed`, then the unacknowledged server messages in order', async (t) => {
    const adapter = await startAdapter(t);
    const connects = [];
    const first = await adapter.connect();
    const { sid, key, epoch } = await hello(first);
    const session = adapter.sessions.get(sid);
    session.on('connect', (info) => connects.push(info));
    first.send('d1,0;one');
    await first.expect('d1,1;echo:one');
    first.send('d2,1;two');
    await first.expect('d2,2;echo:two');
    // Away without acknowledging `echo:two`; the application goes on sending.
    first.ws.terminate();
    await within(once(session, 'disconnect'), 'disconnect');
    assert.equal(session.connected, false);
    assert.equal(session.send('away-1'), true);
    assert.equal(session.send(Buffer.from([0, 0x64, 255])), true);
    assert.equal(session.unacked, 3);

    const second = await adapter.connect();
    second.send(`h1,${sid},${key},${epoch},1`);
    await second.expect(`w1,2,resumed,${epoch}`);
    await second.expect('d2,2;echo:two');
    await second.expect('d3,2;away-1');
    await second.expect(Buffer.from([0x64, 4, 2, 0, 0x64, 255]));
    second.send('d3,4;three');
    await second.expect('d5,3;echo:three');
    second.send('a5');
    second.send('p');
    await second.expect('q');
    assert.equal(session.unacked, 0);
    assert.deepEqual(connects, [{ resumed: true }]);
    assert.deepEqual(adapter.delivered.get(sid), ['one', 'two', 'three']);
    assert.equal(adapter.created, 1);

    // A resume whose ack is below what this side already released cannot be served: 4501.
    const third = await adapter.connect();
    second.ws.terminate();
    await within(once(session, 'disconnect'), 'disconnect');
    session.send('later');
    third.send(`h1,${sid},${key},${epoch},0`);
    assert.deepEqual(await third.close(), { code: 4501, reason: REASON[4501] });
    // And one acking beyond what was sent: 4502. Neither touched the session.
    const fourth = await adapter.connect();
    fourth.send(`h1,${sid},${key},${epoch},9`);
    assert.deepEqual(await fourth.close(), { code: 4502, reason: REASON[4502] });
    const fifth = await adapter.connect();
    fifth.send(`h1,${sid},${key},${epoch},5`);
    await fifth.expect(`w1,3,resumed,${epoch}`);
    await fifth.expect('d6,3;later');
  });

  test('a resume while another connection holds the session closes the old one with 4409', async (t) => {
    const adapter = await startAdapter(t);
    const good = await goodSession(adapter);
    await good.exchange('before');
    const session = adapter.sessions.get(good.sid);
    const ends = [];
    session.on('end', (reason) => ends.push(reason));

    const newer = await adapter.connect();
    newer.send(`h1,${good.sid},${good.key},${good.epoch},${good.received}`);
    await newer.expect(`w1,${good.sent},resumed,${good.epoch}`);
    assert.deepEqual(await good.peer.close(), { code: 4409, reason: REASON[4409] });
    good.peer = newer;
    await good.exchange('after');
    assert.deepEqual(adapter.delivered.get(good.sid), good.payloads);
    assert.deepEqual(adapter.violations, []);
    assert.deepEqual(ends, []);
    assert.equal(session.connected, true);
    assert.equal(adapter.created, 1);
  });

  test('duplicates are acknowledged again, never delivered twice', async (t) => {
    const adapter = await startAdapter(t);
    const peer = await adapter.connect();
    const { sid, key, epoch } = await hello(peer);
    peer.send('d1,0;one');
    await peer.expect('d1,1;echo:one');
    // The same frame again on the same connection: acknowledged, not delivered.
    peer.send('d1,1;one');
    await peer.expect('a1');
    peer.send(Buffer.from([0x64, 2, 1, 7]));
    await peer.expect(Buffer.from([0x64, 2, 2, 7]));
    peer.send(Buffer.from([0x64, 2, 2, 7]));
    await peer.expect('a2');
    // A stale ack (lower than one already given) is ignored, not a violation.
    peer.send('a1');
    peer.send('p');
    await peer.expect('q');

    // After a reconnect, a client that resends what the welcome says arrived.
    peer.ws.terminate();
    await within(once(adapter.sessions.get(sid), 'disconnect'), 'disconnect');
    const again = await adapter.connect();
    again.send(`h1,${sid},${key},${epoch},2`);
    await again.expect(`w1,2,resumed,${epoch}`);
    // Each duplicate owes an ack (one at a time, so that the acks cannot merge).
    again.send('d1,2;one');
    await again.expect('a2');
    again.send(Buffer.from([0x64, 2, 2, 7]));
    await again.expect('a2');
    again.send('d3,2;three');
    await again.expect('d3,3;echo:three');
    assert.deepEqual(adapter.delivered.get(sid), ['one', [7], 'three']);
    assert.deepEqual(adapter.violations, []);
  });

  test('maxQueueMessages exceeded: `overflow`, 4413, and the session is gone', async (t) => {
    const adapter = await startAdapter(t, { maxQueueMessages: 3 });
    const overflows = [];
    adapter.server.on('overflow', (session, info) => overflows.push({ sid: session.id, ...info }));
    const peer = await adapter.connect();
    const { sid, key, epoch } = await hello(peer);
    const ends = [];
    adapter.sessions.get(sid).on('end', (reason) => ends.push(reason));

    peer.send('d1,0;flood:4');
    await peer.expect('d1,1;f1');
    await peer.expect('d2,1;f2');
    await peer.expect('d3,1;f3');
    assert.deepEqual(await peer.close(), { code: 4413, reason: REASON[4413] });
    assert.deepEqual(overflows, [
      { sid, messages: 3, bytes: 6, limitMessages: 3, limitBytes: adapter.server.options.maxQueueBytes },
    ]);
    assert.deepEqual(ends, ['overflow']);
    assert.equal(adapter.sessions.get(sid).send('late'), false, 'an ended session takes nothing');
    assert.deepEqual(adapter.violations, []);

    // The client comes back to a new incarnation (and learns that it lost the old one).
    const back = await adapter.connect();
    back.send(`h1,${sid},${key},${epoch},3`);
    const welcome = String(await back.next('welcome'));
    const match = /^w1,0,new,([1-9][0-9]*)$/.exec(welcome);
    assert.ok(match, `a new incarnation: ${welcome}`);
    assert.notEqual(Number(match[1]), epoch);
    assert.equal(adapter.created, 2);
    back.send('d1,0;fresh');
    await back.expect('d1,1;echo:fresh');
  });

  test('maxQueueBytes exceeded: `overflow` and 4413 too', async (t) => {
    const adapter = await startAdapter(t, { maxQueueBytes: 10 });
    const overflows = [];
    adapter.server.on('overflow', (session, info) => overflows.push(info));
    const peer = await adapter.connect();
    await hello(peer);
    // `echo:123456` is 11 bytes.
    peer.send('d1,0;123456');
    assert.deepEqual(await peer.close(), { code: 4413, reason: REASON[4413] });
    assert.deepEqual(overflows, [{ messages: 0, bytes: 0, limitMessages: 10_000, limitBytes: 10 }]);
  });

  test('`expired` after sessionTtl with the client away; a later hello gets `new`', async (t) => {
    const adapter = await startAdapter(t, { sessionTtl: 150 });
    const expired = [];
    adapter.server.on('expired', (session, info) => expired.push({ sid: session.id, ...info }));
    const peer = await adapter.connect();
    const { sid, key, epoch } = await hello(peer);
    const session = adapter.sessions.get(sid);
    peer.send('d1,0;one');
    await peer.expect('d1,1;echo:one');
    const ended = once(session, 'end');
    peer.ws.terminate();
    const [reason] = await within(ended, 'session end');
    assert.equal(reason, 'expired');
    assert.deepEqual(expired, [{ sid, unacked: 1 }]);
    assert.equal(adapter.server.sessions.has(sid), false);

    const back = await adapter.connect();
    back.send(`h1,${sid},${key},${epoch},1`);
    const welcome = String(await back.next('welcome'));
    const match = /^w1,0,new,([1-9][0-9]*)$/.exec(welcome);
    assert.ok(match, `a new incarnation: ${welcome}`);
    assert.notEqual(Number(match[1]), epoch);
    back.send('d1,0;again');
    await back.expect('d1,1;echo:again');
    assert.deepEqual(adapter.delivered.get(sid), ['again']);
  });

  test('maxSessions: a new session evicts the one away longest; with every client connected, 1013', async (t) => {
    const adapter = await startAdapter(t, { maxSessions: 3 });
    const limits = [];
    adapter.server.on('limit', ({ limit, evicted }) => limits.push({ limit, evicted: evicted?.id ?? null }));
    const good = await goodSession(adapter);
    // Two sessions whose clients go away, in this order.
    const away = [];
    for (const name of ['first', 'second']) {
      const peer = await adapter.connect();
      const { sid } = await hello(peer, token(name));
      const session = adapter.sessions.get(sid);
      const gone = once(session, 'disconnect');
      peer.ws.terminate();
      await within(gone, `${name} disconnected`);
      away.push({ sid, ended: once(session, 'end') });
    }
    assert.deepEqual(limits, [], 'below the limit, nothing happens');

    // Two newcomers: each evicts the session whose client has been away longest.
    const newcomers = [];
    for (const [i, { sid, ended }] of away.entries()) {
      const peer = await adapter.connect();
      newcomers.push(peer);
      await hello(peer, token('newcomer'));
      assert.deepEqual(await within(ended, 'the eviction'), ['evicted']);
      assert.equal(adapter.server.sessions.has(sid), false);
      assert.deepEqual(limits[i], { limit: 3, evicted: sid });
    }
    assert.equal(adapter.server.sessions.size, 3);

    // Every client is connected now: one more is told to come back later, and nothing changes.
    const refused = await adapter.connect();
    const created = adapter.created;
    refused.send(`h1,${token('refused')},${token('key')},0,0`);
    assert.deepEqual(await refused.closeOrFrame(), { code: 1013, reason: 'too many sessions' });
    assert.deepEqual(limits.at(-1), { limit: 3, evicted: null });
    assert.equal(limits.length, 3);
    assert.equal(adapter.created, created, 'no session for the refused client');
    assert.equal(adapter.server.sessions.size, 3);
    assert.deepEqual(adapter.violations, [], 'a full server is not a protocol violation');
    await good.exchange('after');
    for (const peer of newcomers) {
      peer.send('d1,0;still here');
      await peer.expect('d1,1;echo:still here');
    }
  });

  test('session.close() in the `session` listener refuses the client with its code', async (t) => {
    const adapter = await startAdapter(t);
    const ends = [];
    // An application that turns sessions away (say, after checking who the client is).
    adapter.server.prependListener('session', (session) => {
      session.on('end', (reason) => ends.push(reason));
      if (session.id.startsWith('refused')) session.close(4001, 'not allowed');
    });
    const peer = await adapter.connect();
    const sid = token('refused');
    peer.send(`h1,${sid},${token('key')},0,0`);
    peer.send('d1,0;let me in');
    assert.deepEqual(await peer.closeOrFrame(), { code: 4001, reason: 'not allowed' }, 'closed, not welcomed');
    assert.deepEqual(adapter.delivered.get(sid), [], 'nothing delivered from an ended session');
    assert.deepEqual(ends, ['closed']);
    assert.equal(adapter.server.sessions.has(sid), false);
    // Others are served as usual.
    const good = await goodSession(adapter);
    await good.exchange('after');
  });

  test('close(): every connection is closed with 1001 and no session starts afterwards', async (t) => {
    const adapter = await startAdapter(t);
    const good = await goodSession(adapter);
    await good.exchange('before');
    const quiet = await adapter.connect();
    const created = adapter.created;

    adapter.server.close();
    const shuttingDown = { code: 1001, reason: 'server shutting down' };
    assert.deepEqual(await good.peer.close(), shuttingDown);
    assert.deepEqual(await quiet.close(), shuttingDown, 'a connection still before its hello');
    const late = await adapter.connect();
    late.send(`h1,${token('late')},${token('key')},0,0`);
    assert.deepEqual(await late.closeOrFrame(), shuttingDown, 'a connection after close(): closed, not welcomed');
    assert.equal(adapter.created, created);
    assert.equal(adapter.server.sessions.size, 0);
  });

  test('the close codes are the ones PROTOCOL.md documents', () => {
    assert.deepEqual(
      Object.fromEntries(Object.values(CloseCode).map((code) => [code, REASON[code]])),
      REASON,
    );
  });
});

// --- Part 2: a hostile server against the real client in Chromium -----------------------------------

/**
 * A raw `ws` server (no adapter): each connection becomes a Peer in `connections`, and
 * `nextConnection()` resolves with the first one accepted after the call.
 */
async function startRawServer(t) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(wss, 'listening');
  /** @type {Peer[]} */
  const connections = [];
  /** @type {((peer: Peer) => void)[]} */
  const waiting = [];
  wss.on('connection', (ws) => {
    const peer = new Peer(ws);
    connections.push(peer);
    for (const wake of waiting.splice(0)) wake(peer);
  });
  t.after(async () => {
    for (const ws of wss.clients) ws.terminate();
    wss.close();
    await once(wss, 'close');
  });
  return {
    url: `ws://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (wss.address()).port}/`,
    connections,
    /** @returns {Promise<Peer>} */
    nextConnection() {
      return within(new Promise((resolve) => waiting.push(resolve)), 'connection');
    },
  };
}

/**
 * The page's side, run once in the harness page: `startClient(url, options)` opens an acked client
 * as `window.client`, with its events described one per line in `log` (with the readyState at
 * dispatch), its message data in `received`, and promises for its `giveup` and for what it decided
 * after its first close. `receivedUpTo(n)` waits for its first `n` messages.
 */
async function pageSetup() {
  const { ResilientWebSocket } = await import('/js/acked.js');
  const types = ['open', 'message', 'error', 'close', 'statechange', 'reconnecting', 'giveup', 'drop', 'sessionlost'];
  const describeEvent = (event) => {
    const rs = `rs=${event.target.readyState}`;
    switch (event.type) {
      case 'message':
        return `message ${typeof event.data === 'string' ? JSON.stringify(event.data) : event.data.constructor.name}`;
      case 'close':
        return `close ${event.code} ${JSON.stringify(event.reason)} ${event.wasClean ? 'clean' : 'unclean'} ${rs}`;
      case 'statechange':
        return `statechange ${event.from}->${event.to} ${rs}`;
      case 'reconnecting':
        return `reconnecting attempt=${event.attempt} ${rs}`;
      case 'drop':
        return `drop ${JSON.stringify(event.data)} ${event.reason}`;
      case 'sessionlost':
        return `sessionlost unconfirmed=${event.unconfirmed} ${rs}`;
      default:
        return `${event.type} ${rs}`;
    }
  };
  /** `promise`, whose rejection (a timeout of nextEvent once the test has moved on) is not reported. */
  const quietly = (promise) => {
    promise.catch(() => {});
    return promise;
  };
  window.startClient = (url, options) => {
    const sock = new ResilientWebSocket(url, [], { delivery: 'acked', ...options });
    const client = { sock, log: [], received: [] };
    for (const type of types) sock.addEventListener(type, (event) => client.log.push(describeEvent(event)));
    sock.addEventListener('message', (event) => client.received.push(event.data));
    client.gaveUp = quietly(window.nextEvent(sock, 'giveup'));
    // What the client decided after its first close: 'giveup' or 'reconnecting'.
    client.decided = quietly(
      Promise.race(['giveup', 'reconnecting'].map((type) => quietly(window.nextEvent(sock, type)).then(() => type))),
    );
    window.client = client;
  };
  // Resolves once `n` messages arrived, each described as { type, value } (bytes as numbers).
  window.receivedUpTo = async (n) => {
    const { sock, received } = window.client;
    while (received.length < n) await window.nextEvent(sock, 'message');
    return Promise.all(
      received.slice(0, n).map(async (data) =>
        typeof data === 'string'
          ? { type: 'string', value: data }
          : data instanceof Blob
            ? { type: 'Blob', value: [...new Uint8Array(await data.arrayBuffer())] }
            : { type: data.constructor.name, value: [...new Uint8Array(data)] },
      ),
    );
  };
}

const HELLO = /^h1,([A-Za-z0-9_-]{22}),([A-Za-z0-9_-]{22}),(0|[1-9][0-9]*),(0|[1-9][0-9]*)$/;
const WELCOME = 'w1,0,new,7';
/**
 * The client of the resumption cases: it reconnects after 10 ms, so that they stay quick, and its
 * acks go out only on its own messages, so that the frames it sends are known exactly.
 */
const RESUMING = { reconnect: { minDelay: 10, maxDelay: 10, jitter: 'none', minUptime: 0 }, ackInterval: 60_000 };

/**
 * The hostile server cases: what the server answers to the hello, and the code the client must close
 * with. `opened`: a valid welcome comes first, so `open` fires before the bad frame.
 */
const HOSTILE_SERVERS = [
  { name: 'data before the welcome', frames: ['d1,0;x'], code: 4500 },
  { name: 'an ack before the welcome', frames: ['a0'], code: 4500 },
  { name: 'a binary frame before the welcome', frames: [Buffer.from([0x64, 1, 0])], code: 4500 },
  { name: 'a malformed welcome', frames: ['w1,0,maybe,7'], code: 4500 },
  { name: 'a welcome with epoch 0', frames: ['w1,0,new,0'], code: 4500 },
  { name: 'a welcome longer than a header can be', frames: [`${WELCOME}${' '.repeat(80)}`], code: 4500 },
  { name: 'a welcome of version 2', frames: ['w2,0,new,7'], code: 4505 },
  { name: 'a resumed welcome for an epoch the client never named', frames: ['w1,0,resumed,7'], code: 4500 },
  { name: 'garbage text after the welcome', opened: true, frames: [WELCOME, 'hello?'], code: 4500 },
  { name: 'a second welcome', opened: true, frames: [WELCOME, WELCOME], code: 4500 },
  { name: 'a gap', opened: true, frames: [WELCOME, 'd2,0;x'], code: 4501 },
  { name: 'seq 0', opened: true, frames: [WELCOME, 'd0,0;x'], code: 4501 },
  { name: 'a 20-digit seq', opened: true, frames: [WELCOME, 'd99999999999999999999,0;x'], code: 4501 },
  { name: 'an ack for a message never sent', opened: true, frames: [WELCOME, 'd1,1;x'], code: 4502 },
  { name: 'a standalone ack for a message never sent', opened: true, frames: [WELCOME, 'a1'], code: 4502 },
  { name: 'a garbage binary frame', opened: true, frames: [WELCOME, Buffer.from([0x00, 0xff, 0x64])], code: 4500 },
  { name: 'a binary frame with a truncated varint', opened: true, frames: [WELCOME, Buffer.from([0x64, 0x81])], code: 4500 },
  {
    name: 'a binary frame with a 9-byte varint',
    opened: true,
    frames: [WELCOME, Buffer.from([0x64, ...Array(8).fill(0xff), 0x01, 0x00])],
    code: 4501,
  },
];

/**
 * The welcomes of a second connection that break the resumption: the client named epoch 7, has sent
 * c1 (acknowledged) and c2 (not), so the server may resume epoch 7 with ack 1 or 2 only.
 */
const HOSTILE_RESUMES = [
  { name: 'a resumed welcome for another epoch', welcome: 'w1,1,resumed,8', code: 4500 },
  { name: 'a resumed welcome acking a message never sent', welcome: 'w1,3,resumed,7', code: 4502 },
  { name: 'a resumed welcome below an ack already given', welcome: 'w1,0,resumed,7', code: 4501 },
];

describe('a hostile server against the client in Chromium', () => {
  const shared = useBrowser({ staticServer: true });
  /** @type {import('playwright-core').Page} */
  let page;
  /** @type {string[]} */
  let errors;
  before(async () => {
    // One page for the file: every test opens its own client on it and checks the errors it raised.
    ({ page, errors } = await openPage(shared.browser));
    await page.goto(`${shared.http.url}/e2e/pages/harness.html`);
    await page.evaluate(pageSetup);
  });

  /** Opens a client; returns the server side of its socket once its hello arrived, and its session id and key. */
  async function connectClient(raw, options = {}) {
    const connection = raw.nextConnection();
    await page.evaluate(({ url, options }) => window.startClient(url, options), { url: raw.url, options });
    const peer = await connection;
    const hello = HELLO.exec(String(await peer.next('hello')));
    assert.ok(hello, 'a hello');
    const [, sid, key, epoch, ack] = hello;
    assert.deepEqual([epoch, ack], ['0', '0'], 'the hello of a new session');
    return { peer, sid, key };
  }

  /** The client gave up: its log, from `from` on, and its readyState. */
  function gaveUp(from = 0) {
    return page.evaluate(async (from) => {
      await window.client.gaveUp;
      return { log: window.client.log.slice(from), readyState: window.client.sock.readyState };
    }, from);
  }

  /**
   * The first connection of the resumption cases: welcomed into epoch 7, s1 received, c1 and c2
   * sent, c1 acknowledged; then the server closes with 1001 and the client comes back. Returns the
   * second connection once its hello (checked) arrived.
   */
  async function resumable(raw) {
    const { peer, sid, key } = await connectClient(raw, RESUMING);
    peer.send(WELCOME);
    peer.send('d1,0;s1');
    await page.evaluate(async () => {
      await window.receivedUpTo(1);
      window.client.sock.send('c1');
      window.client.sock.send('c2');
    });
    await peer.expect('d1,1;c1');
    await peer.expect('d2,1;c2');
    peer.send('a1');
    const second = raw.nextConnection();
    peer.ws.close(1001);
    await peer.close();
    const next = await second;
    await next.expect(`h1,${sid},${key},7,1`);
    return next;
  }

  for (const { name, opened = false, frames, code } of HOSTILE_SERVERS) {
    test(`${name}: the client closes with ${code} and gives up`, async (t) => {
      const errorsFrom = errors.length;
      const raw = await startRawServer(t);
      const { peer } = await connectClient(raw);
      for (const frame of frames) peer.send(frame);

      assert.deepEqual(await peer.close(), { code, reason: REASON[code] });
      const { log, readyState } = await gaveUp();
      assert.deepEqual(log, [
        ...(opened ? ['statechange connecting->open rs=1', 'open rs=1'] : []),
        'error rs=3',
        `statechange ${opened ? 'open' : 'connecting'}->closed rs=3`,
        `close ${code} ${JSON.stringify(REASON[code])} unclean rs=3`,
        'giveup rs=3',
      ]);
      assert.equal(readyState, 3);
      assert.equal(raw.connections.length, 1, 'no reconnect to a server that breaks the protocol');
      assert.deepEqual(peer.inbox, [], 'nothing but the close after the bad frame');
      assertNoPageErrors(errors.slice(errorsFrom));
    });
  }

  for (const { name, welcome, code } of HOSTILE_RESUMES) {
    test(`${name}: the client closes with ${code}, gives up and reports c2 unconfirmed`, async (t) => {
      const errorsFrom = errors.length;
      const raw = await startRawServer(t);
      const second = await resumable(raw);
      const logFrom = await page.evaluate(() => window.client.log.length);
      second.send(welcome);

      assert.deepEqual(await second.close(), { code, reason: REASON[code] });
      const { log, readyState } = await gaveUp(logFrom);
      assert.deepEqual(log, [
        'error rs=3',
        'statechange reconnecting->closed rs=3',
        `close ${code} ${JSON.stringify(REASON[code])} unclean rs=3`,
        'giveup rs=3',
        'drop "c2" unconfirmed',
      ]);
      assert.equal(readyState, 3);
      assert.equal(raw.connections.length, 2);
      assert.deepEqual(second.inbox, []);
      assertNoPageErrors(errors.slice(errorsFrom));
    });
  }

  test('a violation the client detects is terminal: shouldReconnect is not asked (PROTOCOL.md, "Errors")', async (t) => {
    const errorsFrom = errors.length;
    const raw = await startRawServer(t);
    const connection = raw.nextConnection();
    await page.evaluate(
      ({ url, reconnect }) => {
        window.asked = [];
        const shouldReconnect = (event) => {
          window.asked.push(event.code);
          return true;
        };
        window.startClient(url, { reconnect: { ...reconnect, shouldReconnect } });
      },
      { url: raw.url, reconnect: RESUMING.reconnect },
    );
    const peer = await connection;
    assert.match(String(await peer.next('hello')), HELLO);
    peer.send('d1,0;x');
    assert.deepEqual(await peer.close(), { code: 4500, reason: REASON[4500] });
    const { decided, asked, log } = await page.evaluate(async () => ({
      decided: await window.client.decided,
      asked: window.asked,
      log: window.client.log,
    }));
    assert.deepEqual({ decided, asked }, { decided: 'giveup', asked: [] }, `events: ${log.join(', ')}`);
    assert.equal(raw.connections.length, 1, 'no second attempt');
    await page.evaluate(() => window.client.sock.close());
    assertNoPageErrors(errors.slice(errorsFrom));
  });

  test('a resumed welcome: the client resends what the server lacks, then opens', async (t) => {
    const errorsFrom = errors.length;
    const raw = await startRawServer(t);
    const second = await resumable(raw);
    const logFrom = await page.evaluate(() => window.client.log.length);
    second.send('w1,1,resumed,7');
    await second.expect('d2,1;c2');
    second.send('d2,2;s2');
    await page.evaluate(async () => {
      await window.receivedUpTo(2);
      window.client.sock.send('c3');
    });
    await second.expect('d3,2;c3');
    const log = await page.evaluate((from) => window.client.log.slice(from), logFrom);
    assert.deepEqual(log, ['statechange reconnecting->open rs=1', 'open rs=1', 'message "s2"']);
    await page.evaluate(() => window.client.sock.close());
    assertNoPageErrors(errors.slice(errorsFrom));
  });

  test('a new welcome after the first: `drop` unconfirmed, `sessionlost`, numbering from 1', async (t) => {
    const errorsFrom = errors.length;
    const raw = await startRawServer(t);
    const second = await resumable(raw);
    const logFrom = await page.evaluate(() => window.client.log.length);
    second.send('w1,0,new,9');
    second.send('d1,0;fresh');
    await page.evaluate(async () => {
      await window.receivedUpTo(2);
      window.client.sock.send('c3');
    });
    await second.expect('d1,1;c3');
    const log = await page.evaluate((from) => window.client.log.slice(from), logFrom);
    assert.deepEqual(log, [
      'drop "c2" unconfirmed',
      'sessionlost unconfirmed=1 rs=1',
      'statechange reconnecting->open rs=1',
      'open rs=1',
      'message "fresh"',
    ]);
    await page.evaluate(() => window.client.sock.close());
    assertNoPageErrors(errors.slice(errorsFrom));
  });

  test('256 messages without an ack: the client acknowledges without waiting for ackInterval', async (t) => {
    const errorsFrom = errors.length;
    const raw = await startRawServer(t);
    const { peer } = await connectClient(raw, { ackInterval: 60_000 });
    peer.send(WELCOME);
    for (let seq = 1; seq <= 300; seq += 1) peer.send(`d${seq},0;${seq}`);
    // The ack goes out on the client's next turn, covering what arrived by then: at least 256.
    const ack = String(await peer.next('ack'));
    assert.match(ack, /^a[0-9]+$/);
    assert.ok(Number(ack.slice(1)) >= 256 && Number(ack.slice(1)) <= 300, ack);
    const received = await page.evaluate(async () => (await window.receivedUpTo(300)).map((m) => m.value));
    assert.deepEqual(received, Array.from({ length: 300 }, (_, i) => String(i + 1)));
    // The rest wait for ackInterval, or for a message of the client's, which carries their ack.
    await page.evaluate(() => window.client.sock.send('c1'));
    await peer.expect('d1,300;c1');
    await page.evaluate(() => window.client.sock.close());
    assertNoPageErrors(errors.slice(errorsFrom));
  });

  test('payloads that look like envelopes arrive intact, text and binary, ArrayBuffer and Blob', async (t) => {
    const errorsFrom = errors.length;
    const raw = await startRawServer(t);
    const { peer } = await connectClient(raw);
    await page.evaluate(() => (window.client.sock.binaryType = 'arraybuffer'));
    peer.send(WELCOME);

    // An astral character whose two UTF-16 units are characters 63 and 64 of the frame: the client
    // reads the first 64 characters for the header, so that window ends in half a character.
    const header = 'd1,0;';
    const lead = 'a;b,c;d1,2;w1,0,new,9;é€';
    const text = `${lead}${'x'.repeat(63 - header.length - lead.length)}😀 tail; ,ü`;
    assert.equal(`${header}${text}`.indexOf('😀'), 63);
    // Longer than the 17 bytes the client reads for a binary header, and envelope-like itself.
    const bytes = [0x64, 0x01, 0x00, 0x3b, 0x2c, 0x00, 0xff, ...Array(20).keys()];
    peer.send(`${header}${text}`);
    peer.send('d2,0;');
    peer.send(Buffer.from([0x64, 3, 0, ...bytes]));
    assert.deepEqual(await page.evaluate(() => window.receivedUpTo(3)), [
      { type: 'string', value: text },
      { type: 'string', value: '' },
      { type: 'ArrayBuffer', value: bytes },
    ]);

    await page.evaluate(() => (window.client.sock.binaryType = 'blob'));
    peer.send(Buffer.from([0x64, 4, 0, ...bytes]));
    peer.send(Buffer.from([0x64, 5, 0]));
    const all = await page.evaluate(() => window.receivedUpTo(5));
    assert.deepEqual(all.slice(3), [
      { type: 'Blob', value: bytes },
      { type: 'Blob', value: [] },
    ]);

    // The client acknowledges all five (perhaps in steps), and numbers its own messages with it.
    let ack;
    do ack = String(await peer.next('ack'));
    while (/^a[1-4]$/.test(ack));
    assert.equal(ack, 'a5');
    // A duplicate is acknowledged again and not delivered.
    peer.send('d5,0;');
    await peer.expect('a5');
    await page.evaluate(() => {
      window.client.sock.send('x;y,😀');
      window.client.sock.send(new Uint8Array([0x64, 0, 1]));
    });
    await peer.expect('d1,5;x;y,😀');
    await peer.expect(Buffer.from([0x64, 2, 5, 0x64, 0, 1]));
    const unacked = () =>
      page.evaluate(() => {
        const { stats, bufferedAmount } = window.client.sock;
        return { unacked: stats.unacked, unackedBytes: stats.unackedBytes, bufferedAmount };
      });
    // 'x;y,😀' is 8 bytes of UTF-8, the binary payload 3.
    assert.deepEqual(await unacked(), { unacked: 2, unackedBytes: 11, bufferedAmount: 11 });
    // The server acknowledges both; the ping behind the ack is answered once the ack was taken.
    peer.send('a2');
    peer.send('p');
    await peer.expect('q');
    assert.deepEqual(await unacked(), { unacked: 0, unackedBytes: 0, bufferedAmount: 0 });

    const { log, readyState, received } = await page.evaluate(() => ({
      log: window.client.log,
      readyState: window.client.sock.readyState,
      received: window.client.received.length,
    }));
    assert.equal(readyState, 1);
    assert.equal(received, 5);
    assert.deepEqual(log.filter((line) => !line.startsWith('message ')), ['statechange connecting->open rs=1', 'open rs=1']);
    await page.evaluate(() => window.client.sock.close());
    assertNoPageErrors(errors.slice(errorsFrom));
  });
});
