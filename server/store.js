// The session store of the AckedServer (API.md §6): where a session's state lives, so that it can
// outlive a connection, a process and, with a shared store, follow its client to another node.
//
// The adapter keeps a working copy of each session it holds a connection of; the store is the
// record that counts. It writes a message to the store before it sends it; it records a client
// message (its seq, and the message itself in the session's inbox) before it hands the message to
// the application, acknowledges only what the store recorded, and clears the inbox entry once the
// application had it. A node that dies (or loses the store) between recording and handing over
// leaves the message in the inbox, and the node that claims the session next hands it over: the
// client will not send it again, since the store has its seq. Before it does, it asks the nodes
// that recorded those messages (and the session's last holder) to finish handing over what they
// recorded (notice `flush`, answered with `flushed`), or finds that they are gone (their lease in
// the store ran out: `alive`). It takes a session over with one atomic `claim`. Every write names the
// connection (its owner token) it comes from; a store refuses writes from a connection that is not
// the session's owner any more, so that two connections of one session cannot both advance it, even
// on two nodes that do not know of each other yet.
//
// `MemorySessionStore` is the embedded default: one process, today's behaviour. `RedisSessionStore`
// (server/redis.js) implements the same interface on Redis for a cluster of nodes.

/**
 * A message sent and not yet acknowledged, as a store keeps it.
 * @typedef {{ seq: number, payload: string | Buffer }} StoredMessage
 */

/**
 * A client message recorded and not known to have reached an application, as a store keeps it:
 * `owner` is the owner token of the connection that recorded it.
 * @typedef {StoredMessage & { owner: string }} InboxMessage
 */

/**
 * What a hello found, from `claim`. On `resumed`, `new` and `fresh` the connection now owns the
 * session; `previous` is the owner token of the connection that held it until now, if that one is
 * still connected (or null); `holder` the owner token of the last connection that held it,
 * connected or not (or null).
 * @typedef {{ verdict: 'not-yours' | 'ack-too-low' | 'ack-unsent' }
 *   | { verdict: 'resumed' | 'new' | 'fresh', epoch: number, received: number, lastSeq: number,
 *       window: StoredMessage[], inbox: InboxMessage[], previous: string | null, holder: string | null }} Claim
 */

/**
 * What `append` did: the message's seq and the session's owner (the node that must send it), or
 * `overflow` (the session is over its bounds; nothing was written; `owner` the connection to close),
 * or null (no such session).
 * @typedef {{ seq: number, owner: string, connected: boolean }
 *   | { overflow: { messages: number, bytes: number }, owner: string } | null} Appended
 */

/**
 * What a store tells a node: `taken` (another connection took the session: close `owner`'s
 * connection with 4409), `wake` (messages were appended elsewhere: send them), `ended` (the session
 * was discarded elsewhere: close with `code`), `flush` (the connection `owner` took the session and
 * found client messages in its inbox: finish handing over to the application what this node
 * recorded of it, then answer), `flushed` (that answer, to the node of `owner`).
 * @typedef {{ kind: 'taken' | 'wake' | 'ended' | 'flush' | 'flushed', sid: string, owner: string, code?: number }} Notice
 */

/**
 * The interface. Every method may reject (the store is unreachable): the adapter then closes the
 * session's connection with 1013 and the client resumes when the store is back.
 * @typedef {object} SessionStore
 * @property {(node: { notice(notice: Notice): void }) => Promise<string>} register
 *   joins a node: resolves with its id, the prefix of its owner tokens; notices for it go to `node`;
 *   the node holds a lease in the store from then until `close` (or until it can no longer renew it)
 * @property {(nodeId: string) => Promise<boolean>} alive
 *   whether node `nodeId` still holds its lease: false once it left or died (a store that expires
 *   keys: once its lease ran out)
 * @property {() => boolean} available whether the store can take a hello now
 * @property {(hello: { sid: string, keyHash: string, epoch: number, ack: number },
 *   claim: { owner: string, newEpoch: number, ttl: number }) => Promise<Claim>} claim
 *   the hello's verdict (PROTOCOL.md, "Handshake"), taking the session for `owner` when it resumes,
 *   starts or restarts it; changes nothing on a refusal
 * @property {(sid: string, payload: string | Buffer,
 *   bounds: { maxMessages: number, maxBytes: number, ttl: number }) => Promise<Appended>} append
 *   numbers a message (the session's next seq) and keeps it until acknowledged
 * @property {(sid: string, owner: string, seq: number, ttl: number, payload: string | Buffer) => Promise<boolean>} received
 *   records client message `seq` as received, into the inbox (with `owner`); false (and nothing
 *   written) when `owner` is not the owner
 * @property {(sid: string, seq: number) => Promise<void>} delivered
 *   the application had the client messages up to `seq`: out of the inbox
 * @property {(sid: string) => Promise<InboxMessage[]>} inbox the inbox now, in order
 * @property {(sid: string, owner: string, ack: number, ttl: number) => Promise<boolean>} release
 *   drops the messages up to `ack`; false (and nothing written) when `owner` is not the owner
 * @property {(sid: string, fromSeq: number) => Promise<StoredMessage[]>} range
 *   the kept messages from `fromSeq` on, in order
 * @property {(sid: string, owner: string, ttl: number) => Promise<void>} detach
 *   `owner`'s connection is gone: the session waits `ttl` ms for its client
 * @property {(sids: string[], ttl: number) => Promise<void>} refresh
 *   sessions with a live connection here: their ttl starts again (a store that expires keys)
 * @property {(sid: string, owner?: string) => Promise<boolean>} discard
 *   forgets the session (only while `owner` owns it, when given); whether it did
 * @property {(owner: string, notice: Notice) => Promise<void>} notify
 *   tells the node of owner token `owner`
 * @property {() => Promise<void>} close leaves the store (the node's notices stop)
 */

/** The node id in an owner token (`<node>/<connection>`). */
export function nodeOf(owner) {
  return owner.slice(0, owner.lastIndexOf('/'));
}

/**
 * The embedded default: sessions in this process's memory, as long as it lives. Several adapters
 * of one process may share one (each is a node), which is how the takeover between nodes is tested
 * without Redis.
 * @implements {SessionStore}
 */
export class MemorySessionStore {
  constructor() {
    /** @type {Map<string, { keyHash: string, epoch: number, received: number, lastSeq: number,
     *   window: (StoredMessage & { bytes: number })[], bytes: number, inbox: InboxMessage[],
     *   owner: string, connected: boolean }>} */
    this.records = new Map();
    /** @type {Map<string, { notice(notice: Notice): void }>} */
    this.nodes = new Map();
  }

  async register(node) {
    const id = `m${this.nodes.size + 1}`;
    this.nodes.set(id, node);
    return id;
  }

  available() {
    return true;
  }

  /** A node of this process lives as long as the process: its lease is its registration. */
  async alive(nodeId) {
    return this.nodes.has(nodeId);
  }

  async claim({ sid, keyHash, epoch, ack }, { owner, newEpoch }) {
    let record = this.records.get(sid);
    if (record && record.keyHash !== keyHash) return { verdict: 'not-yours' };
    let verdict = 'fresh';
    if (record && record.epoch === epoch) {
      const oldest = record.window.length > 0 ? record.window[0].seq : record.lastSeq + 1;
      if (ack + 1 < oldest) return { verdict: 'ack-too-low' };
      if (ack > record.lastSeq) return { verdict: 'ack-unsent' };
      this.#trim(record, ack);
      verdict = 'resumed';
    } else if (record && record.received === 0
      && (record.window.length > 0 ? record.window[0].seq === 1 : record.lastSeq === 0)) {
      // The client never got this incarnation's welcome: it has seen nothing of it.
      verdict = 'new';
    }
    const previous = record?.connected ? record.owner : null;
    const holder = record?.owner ?? null;
    if (verdict === 'fresh') {
      record = { keyHash, epoch: newEpoch, received: 0, lastSeq: 0, window: [], bytes: 0, inbox: [], owner, connected: true };
      this.records.set(sid, record);
    }
    record.owner = owner;
    record.connected = true;
    const window = record.window.map(({ seq, payload }) => ({ seq, payload }));
    const inbox = [...record.inbox];
    return { verdict, epoch: record.epoch, received: record.received, lastSeq: record.lastSeq, window, inbox, previous, holder };
  }

  async append(sid, payload, { maxMessages, maxBytes }) {
    const record = this.records.get(sid);
    if (!record) return null;
    const bytes = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
    if (record.window.length + 1 > maxMessages || record.bytes + bytes > maxBytes) {
      return { overflow: { messages: record.window.length, bytes: record.bytes }, owner: record.owner };
    }
    record.lastSeq += 1;
    record.window.push({ seq: record.lastSeq, payload, bytes });
    record.bytes += bytes;
    return { seq: record.lastSeq, owner: record.owner, connected: record.connected };
  }

  async received(sid, owner, seq, ttl, payload) {
    const record = this.records.get(sid);
    if (record?.owner !== owner) return false;
    if (seq > record.received) {
      record.received = seq;
      record.inbox.push({ seq, payload, owner });
    }
    return true;
  }

  async inbox(sid) {
    return [...(this.records.get(sid)?.inbox ?? [])];
  }

  async delivered(sid, seq) {
    const record = this.records.get(sid);
    if (record) record.inbox = record.inbox.filter((message) => message.seq > seq);
  }

  async release(sid, owner, ack) {
    const record = this.records.get(sid);
    if (record?.owner !== owner) return false;
    this.#trim(record, ack);
    return true;
  }

  async range(sid, fromSeq) {
    const record = this.records.get(sid);
    if (!record) return [];
    return record.window.filter(({ seq }) => seq >= fromSeq).map(({ seq, payload }) => ({ seq, payload }));
  }

  async detach(sid, owner) {
    const record = this.records.get(sid);
    if (record?.owner === owner) record.connected = false;
  }

  /** Nothing expires here by itself: the adapter's timers end the sessions it holds. */
  async refresh() {}

  async discard(sid, owner) {
    const record = this.records.get(sid);
    if (!record || (owner !== undefined && record.owner !== owner)) return false;
    this.records.delete(sid);
    return true;
  }

  async notify(owner, notice) {
    this.nodes.get(nodeOf(owner))?.notice(notice);
  }

  async close() {}

  #trim(record, ack) {
    let drop = 0;
    while (drop < record.window.length && record.window[drop].seq <= ack) {
      record.bytes -= record.window[drop].bytes;
      drop += 1;
    }
    if (drop > 0) record.window.splice(0, drop);
  }
}
