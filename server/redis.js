// resilient-websocket/server/redis: the session store of the AckedServer on Redis (API.md §6), for
// several nodes sharing their sessions, on the `redis` npm package (node-redis).
//
//   import { createClient } from 'redis';
//   import { AckedServer } from 'resilient-websocket/server';
//   import { RedisSessionStore } from 'resilient-websocket/server/redis';
//
//   const client = await createClient({ url: 'redis://127.0.0.1:6379' }).connect();
//   const server = new AckedServer(wss, { store: new RedisSessionStore({ client }) });
//
// Per session, three keys (hash-tagged with the session id, so that all fall in one slot):
//   <prefix>{<sid>}    a hash: k (the key's hash), e (the epoch), r (the highest client seq
//                      recorded), l (the last seq numbered to the client), b (the unacknowledged
//                      bytes), o (the owner token of the connection that holds it), c (1 while connected)
//   <prefix>{<sid>}:q  a stream of the unacknowledged messages to the client, entry id `<seq>-0`,
//                      fields t (s: text, b: binary) and p (the payload)
//   <prefix>{<sid>}:i  the inbox: client messages recorded and not yet known to have reached the
//                      application (the same fields, and o: the owner token that recorded it),
//                      cleared as the application has them
// They expire `sessionTtl` after the last write; the node holding a connection refreshes them.
// Every change is one Lua script (atomic: the owner check and the write it guards cannot be split
// by another node's claim). Notices between nodes go on a pub/sub channel per node. Per node, a
// lease:
//   <prefix>lease:<node>  set with a PX expiry of `leaseTtl` when the node registers, renewed every
//                      fifth of it, deleted when the store closes: a node whose lease is gone is
//                      gone (killed, or cut off from Redis), and will not hand anything over any more
import { randomBytes } from 'node:crypto';
import { RESP_TYPES } from 'redis';
import { nodeOf } from './store.js';

/** Replies with Buffers: binary payloads come back as they went in. */
const AS_BUFFERS = { typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer } };

/** trim: drops the stream's entries up to `ack` (a decimal string) and their bytes from the hash; keep: the ttl of the three keys. */
const TRIM = `
local function trim(h, q, ack)
  local gone = redis.call('XRANGE', q, '-', ack .. '-0')
  if #gone == 0 then return end
  local bytes = 0
  for _, entry in ipairs(gone) do bytes = bytes + string.len(entry[2][4]) end
  redis.call('XTRIM', q, 'MINID', string.format('%d-0', tonumber(ack) + 1))
  redis.call('HINCRBY', h, 'b', -bytes)
end
local function keep(h, q, ttl)
  redis.call('PEXPIRE', h, ttl)
  redis.call('PEXPIRE', q, ttl)
  redis.call('PEXPIRE', KEYS[3], ttl)
end
`;

/**
 * KEYS h q i; ARGV keyHash epoch ack owner newEpoch ttl. PROTOCOL.md, "Handshake", step 2. Returns
 * the verdict, the state, the previous owner (if connected), the last owner, the window's length,
 * then the window's and the inbox's entries as `id, type, payload, recording owner` quadruples
 * (the window's with an empty owner).
 */
const CLAIM = `${TRIM}
local h, q = KEYS[1], KEYS[2]
local keyHash, epoch, ack, owner, newEpoch, ttl = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local rec = redis.call('HMGET', h, 'k', 'e', 'r', 'l', 'o', 'c')
local verdict = 'fresh'
local previous = ''
local holder = rec[5] or ''
if rec[1] then
  if rec[1] ~= keyHash then return {'not-yours'} end
  local received, last = tonumber(rec[3]), tonumber(rec[4])
  local first = redis.call('XRANGE', q, '-', '+', 'COUNT', 1)
  local oldest = last + 1
  if #first > 0 then oldest = tonumber(string.match(first[1][1], '^(%d+)')) end
  if rec[2] == epoch then
    if tonumber(ack) + 1 < oldest then return {'ack-too-low'} end
    if tonumber(ack) > last then return {'ack-unsent'} end
    trim(h, q, ack)
    verdict = 'resumed'
  elseif received == 0 and ((#first > 0 and oldest == 1) or (#first == 0 and last == 0)) then
    verdict = 'new'
  end
  if rec[6] == '1' then previous = rec[5] end
end
local inbox = KEYS[3]
if verdict == 'fresh' then
  redis.call('DEL', h, q, inbox)
  redis.call('HSET', h, 'k', keyHash, 'e', newEpoch, 'r', 0, 'l', 0, 'b', 0)
end
redis.call('HSET', h, 'o', owner, 'c', 1)
keep(h, q, ttl)
local state = redis.call('HMGET', h, 'e', 'r', 'l')
local window = redis.call('XRANGE', q, '-', '+')
local out = {verdict, state[1], state[2], state[3], previous, holder, #window}
for _, key in ipairs({q, inbox}) do
  for _, entry in ipairs(redis.call('XRANGE', key, '-', '+')) do
    out[#out + 1] = entry[1]
    out[#out + 1] = entry[2][2]
    out[#out + 1] = entry[2][4]
    out[#out + 1] = entry[2][6] or ''
  end
end
return out
`;

/** KEYS h q i; ARGV type payload maxMessages maxBytes ttl. */
const APPEND = `${TRIM}
local h, q = KEYS[1], KEYS[2]
if redis.call('EXISTS', h) == 0 then return {0} end
local messages = redis.call('XLEN', q)
local bytes = tonumber(redis.call('HGET', h, 'b'))
local owner = redis.call('HGET', h, 'o') or ''
local size = string.len(ARGV[2])
if messages + 1 > tonumber(ARGV[3]) or bytes + size > tonumber(ARGV[4]) then return {-1, messages, bytes, owner} end
local seq = redis.call('HINCRBY', h, 'l', 1)
redis.call('XADD', q, string.format('%d-0', seq), 't', ARGV[1], 'p', ARGV[2])
redis.call('HINCRBY', h, 'b', size)
keep(h, q, ARGV[5])
return {seq, owner, redis.call('HGET', h, 'c')}
`;

/** KEYS h q i; ARGV owner seq ttl type payload. */
const RECEIVED = `${TRIM}
local h, q, i = KEYS[1], KEYS[2], KEYS[3]
if redis.call('HGET', h, 'o') ~= ARGV[1] then return 0 end
if tonumber(ARGV[2]) > tonumber(redis.call('HGET', h, 'r')) then
  redis.call('HSET', h, 'r', ARGV[2])
  redis.call('XADD', i, ARGV[2] .. '-0', 't', ARGV[4], 'p', ARGV[5], 'o', ARGV[1])
end
keep(h, q, ARGV[3])
return 1
`;

/** KEYS h q i; ARGV owner ack ttl. */
const RELEASE = `${TRIM}
local h, q = KEYS[1], KEYS[2]
if redis.call('HGET', h, 'o') ~= ARGV[1] then return 0 end
trim(h, q, ARGV[2])
keep(h, q, ARGV[3])
return 1
`;

/** KEYS h q i; ARGV owner ttl. */
const DETACH = `${TRIM}
local h, q = KEYS[1], KEYS[2]
if redis.call('HGET', h, 'o') ~= ARGV[1] then return 0 end
redis.call('HSET', h, 'c', 0)
keep(h, q, ARGV[2])
return 1
`;

/** KEYS h q i; ARGV owner ('' for any). */
const DISCARD = `
local h, q = KEYS[1], KEYS[2]
if redis.call('EXISTS', h) == 0 then return 0 end
if ARGV[1] ~= '' and redis.call('HGET', h, 'o') ~= ARGV[1] then return 0 end
redis.call('DEL', h, q, KEYS[3])
return 1
`;

/** A store write while the connection to Redis is down: refused at once, never queued. */
export class StoreUnavailableError extends Error {
  constructor() {
    super('RedisSessionStore: Redis is not reachable');
    this.name = 'StoreUnavailableError';
  }
}

/** @param {Buffer | string | number} value */
const text = (value) => (Buffer.isBuffer(value) ? value.toString() : String(value));

/** Stream entries `[id, type, payload, owner, …]` from `from` to `to`, as stored messages (with their owner, `withOwner`). */
function messages(flat, from, to, withOwner) {
  const out = [];
  for (let i = from; i + 3 < to; i += 4) {
    const id = text(flat[i]);
    const payload = text(flat[i + 1]) === 'b' ? Buffer.from(flat[i + 2]) : text(flat[i + 2]);
    const seq = Number(id.slice(0, id.indexOf('-')));
    out.push(withOwner ? { seq, payload, owner: text(flat[i + 3]) } : { seq, payload });
  }
  return out;
}

/** XRANGE's entries (`[id, [t, type, p, payload, o?, owner?]]`) flattened as `messages` reads them. */
const flatten = (entries) => entries.flatMap(([id, fields]) => [id, fields[1], fields[3], fields[5] ?? '']);

/**
 * The session store on Redis (see server/store.js for the interface).
 * @implements {import('./store.js').SessionStore}
 */
export class RedisSessionStore {
  /**
   * @param {{ client: import('redis').RedisClientType<any, any, any, any, any>, prefix?: string, leaseTtl?: number }} options
   *   `client`: a connected node-redis client (the store makes a duplicate of it for its
   *   subscription); `prefix`: of every key and channel, default `rws:`; `leaseTtl`: how long a
   *   node's lease outlives its last renewal, in ms, default 5,000 (renewed every fifth of it: a
   *   node whose event loop stalls longer than four fifths of it is taken for dead)
   */
  constructor({ client, prefix = 'rws:', leaseTtl = 5000 }) {
    if (!client || typeof client.sendCommand !== 'function') {
      throw new TypeError('RedisSessionStore: `client` must be a client of the `redis` package');
    }
    if (!(typeof leaseTtl === 'number' && leaseTtl >= 50)) throw new TypeError('RedisSessionStore: `leaseTtl` must be a number >= 50');
    this.client = client;
    this.prefix = prefix;
    this.leaseTtl = leaseTtl;
    /** @type {import('redis').RedisClientType<any, any, any, any, any> | null} */
    this.subscriber = null;
    /** The ids of the nodes registered here, whose leases this store renews. */
    this.nodes = new Set();
    /** @type {NodeJS.Timeout | null} */
    this.renewer = null;
  }

  /** The lease key of node `nodeId`. */
  #lease(nodeId) {
    return `${this.prefix}lease:${nodeId}`;
  }

  /** Sets (again) the leases of the nodes registered here; a failure waits for the next renewal. */
  async #renew() {
    if (!this.client.isReady) return;
    const ttl = String(Math.ceil(this.leaseTtl));
    await Promise.all([...this.nodes].map((nodeId) => this.client.sendCommand(['SET', this.#lease(nodeId), '1', 'PX', ttl])));
  }

  /** The channel of node `nodeId`. */
  #channel(nodeId) {
    return `${this.prefix}node:${nodeId}`;
  }

  /** The session's hash, stream of messages to the client, and inbox. */
  #keys(sid) {
    const hash = `${this.prefix}{${sid}}`;
    return [hash, `${hash}:q`, `${hash}:i`];
  }

  /** Runs a script (EVAL: the script cache goes with a Redis restart, and EVALSHA's retry would reorder). */
  async #eval(script, keys, args) {
    if (!this.client.isReady) throw new StoreUnavailableError();
    return this.client.sendCommand(['EVAL', script, String(keys.length), ...keys, ...args], AS_BUFFERS);
  }

  async register(node) {
    const nodeId = randomBytes(6).toString('base64url');
    if (!this.subscriber) {
      this.subscriber = this.client.duplicate();
      this.subscriber.on('error', () => {});
      await this.subscriber.connect();
    }
    const channel = this.#channel(nodeId);
    await this.subscriber.subscribe(channel, (message) => {
      let notice;
      try {
        notice = JSON.parse(message);
      } catch {
        return;
      }
      node.notice(notice);
    });
    this.nodes.add(nodeId);
    await this.#renew();
    this.renewer ??= setInterval(() => this.#renew().catch(() => {}), this.leaseTtl / 5);
    this.renewer.unref();
    return nodeId;
  }

  available() {
    return this.client.isReady && (this.subscriber?.isReady ?? false);
  }

  async alive(nodeId) {
    if (!this.client.isReady) throw new StoreUnavailableError();
    return Number(await this.client.sendCommand(['EXISTS', this.#lease(nodeId)])) === 1;
  }

  async claim({ sid, keyHash, epoch, ack }, { owner, newEpoch, ttl }) {
    const reply = await this.#eval(CLAIM, this.#keys(sid), [keyHash, String(epoch), String(ack), owner, String(newEpoch), String(Math.ceil(ttl))]);
    const verdict = text(reply[0]);
    if (verdict === 'not-yours' || verdict === 'ack-too-low' || verdict === 'ack-unsent') return { verdict };
    return {
      verdict,
      epoch: Number(text(reply[1])),
      received: Number(text(reply[2])),
      lastSeq: Number(text(reply[3])),
      previous: text(reply[4]) || null,
      holder: text(reply[5]) || null,
      window: messages(reply, 7, 7 + 4 * Number(reply[6]), false),
      inbox: messages(reply, 7 + 4 * Number(reply[6]), reply.length, true),
    };
  }

  async append(sid, payload, { maxMessages, maxBytes, ttl }) {
    const type = typeof payload === 'string' ? 's' : 'b';
    const reply = await this.#eval(APPEND, this.#keys(sid), [type, payload, String(maxMessages), String(maxBytes), String(Math.ceil(ttl))]);
    const seq = Number(reply[0]);
    if (seq === 0) return null;
    if (seq === -1) return { overflow: { messages: Number(reply[1]), bytes: Number(reply[2]) }, owner: text(reply[3]) };
    return { seq, owner: text(reply[1]), connected: text(reply[2]) === '1' };
  }

  async received(sid, owner, seq, ttl, payload) {
    const type = typeof payload === 'string' ? 's' : 'b';
    return Number(await this.#eval(RECEIVED, this.#keys(sid), [owner, String(seq), String(Math.ceil(ttl)), type, payload])) === 1;
  }

  async inbox(sid) {
    if (!this.client.isReady) throw new StoreUnavailableError();
    const [, , inbox] = this.#keys(sid);
    const entries = await this.client.sendCommand(['XRANGE', inbox, '-', '+'], AS_BUFFERS);
    return messages(flatten(entries), 0, entries.length * 4, true);
  }

  async delivered(sid, seq) {
    if (!this.client.isReady) throw new StoreUnavailableError();
    const [, , inbox] = this.#keys(sid);
    await this.client.sendCommand(['XTRIM', inbox, 'MINID', `${seq + 1}-0`]);
  }

  async release(sid, owner, ack, ttl) {
    return Number(await this.#eval(RELEASE, this.#keys(sid), [owner, String(ack), String(Math.ceil(ttl))])) === 1;
  }

  async range(sid, fromSeq) {
    if (!this.client.isReady) throw new StoreUnavailableError();
    const [, q] = this.#keys(sid);
    const entries = await this.client.sendCommand(['XRANGE', q, `${fromSeq}-0`, '+'], AS_BUFFERS);
    return messages(flatten(entries), 0, entries.length * 4, false);
  }

  async detach(sid, owner, ttl) {
    await this.#eval(DETACH, this.#keys(sid), [owner, String(Math.ceil(ttl))]);
  }

  async refresh(sids, ttl) {
    if (!this.client.isReady) throw new StoreUnavailableError();
    const ms = String(Math.ceil(ttl));
    await Promise.all(sids.flatMap((sid) => this.#keys(sid).map((key) => this.client.sendCommand(['PEXPIRE', key, ms]))));
  }

  async discard(sid, owner) {
    return Number(await this.#eval(DISCARD, this.#keys(sid), [owner ?? ''])) === 1;
  }

  async notify(owner, notice) {
    if (!this.client.isReady) throw new StoreUnavailableError();
    await this.client.sendCommand(['PUBLISH', this.#channel(nodeOf(owner)), JSON.stringify(notice)]);
  }

  /** Ends the subscription and the nodes' leases (the client given stays the application's to close). */
  async close() {
    if (this.renewer) clearInterval(this.renewer);
    this.renewer = null;
    const leases = [...this.nodes].map((nodeId) => this.#lease(nodeId));
    this.nodes.clear();
    const subscriber = this.subscriber;
    this.subscriber = null;
    if (leases.length > 0 && this.client.isReady) await this.client.sendCommand(['DEL', ...leases]).catch(() => {});
    if (subscriber?.isOpen) await subscriber.close();
  }

  /**
   * The memory Redis uses for session `sid` (MEMORY USAGE of its keys), in bytes: for the
   * benchmark's memory per session.
   * @param {string} sid
   */
  async memoryUsage(sid) {
    let total = 0;
    for (const key of this.#keys(sid)) total += Number(await this.client.sendCommand(['MEMORY', 'USAGE', key]) ?? 0);
    return total;
  }
}
