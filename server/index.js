// resilient-websocket/server: the server side of acknowledged delivery (PROTOCOL.md) for Node's `ws`.
//
//   import { WebSocketServer } from 'ws';
//   import { AckedServer } from 'resilient-websocket/server';
//
//   const server = new AckedServer(new WebSocketServer({ port: 8080 }));
//   server.on('session', (session) => {
//     session.on('message', (data, isBinary) => session.send(`echo: ${data}`));
//   });
//
// The application sees plain messages and a per-session `send()`; envelopes, sequence numbers, acks,
// resends and resumption stay in here. A session outlives its connections: `send()` while the client
// is away queues, and the queue goes out when it comes back.
import { EventEmitter } from 'node:events';
import { createHash, randomBytes } from 'node:crypto';
import { MemorySessionStore, nodeOf } from './store.js';

export { MemorySessionStore } from './store.js';

/** The protocol version this adapter speaks. */
export const PROTOCOL_VERSION = 1;

/** The close codes of PROTOCOL.md, "Errors". */
export const CloseCode = Object.freeze({
  TOO_BIG: 1009,
  TOO_MANY_SESSIONS: 1013,
  STORE_UNAVAILABLE: 1013,
  NO_HELLO: 4408,
  TAKEN_OVER: 4409,
  OVERFLOW: 4413,
  MALFORMED: 4500,
  SEQ_OUT_OF_RANGE: 4501,
  ACK_UNSENT: 4502,
  NOT_YOURS: 4503,
  VERSION: 4505,
});

const REASONS = {
  [CloseCode.TOO_BIG]: 'message too big',
  [CloseCode.TOO_MANY_SESSIONS]: 'too many sessions',
  [CloseCode.NO_HELLO]: 'no hello',
  [CloseCode.TAKEN_OVER]: 'session taken over',
  [CloseCode.OVERFLOW]: 'session overflow',
  [CloseCode.MALFORMED]: 'malformed frame',
  [CloseCode.SEQ_OUT_OF_RANGE]: 'sequence out of range',
  [CloseCode.ACK_UNSENT]: 'ack for a message never sent',
  [CloseCode.NOT_YOURS]: 'session belongs to another client',
  [CloseCode.VERSION]: 'unsupported protocol version',
};

/** The reason of a 1013 that a store failure (not `maxSessions`) caused. */
const STORE_UNAVAILABLE_REASON = 'session store unavailable';

const MAX_SEQ = Number.MAX_SAFE_INTEGER;
/**
 * A node that claimed a session with client messages in its inbox asks the nodes that recorded them
 * to finish handing them over (`flush`), and waits this long for the answer before it looks again
 * whether they are alive (their lease) and asks again. No outcome rests on it: an answer, or a lease
 * gone, ends the wait.
 */
const FLUSH_ANSWER_MS = 1000;
/**
 * The most times it asks a node that stays alive without answering (its subscription down, say):
 * then the connection is closed with 1013, and the client's next hello tries again.
 */
const FLUSH_ROUNDS = 10;
/** After this many messages received without an ack, the ack goes out at once. */
const ACK_EVERY = 256;
const OPEN = 1; // WebSocket.OPEN, without importing ws: the application brings its own.
const TOKEN = /^[A-Za-z0-9_-]{1,64}$/;
const NUMBER = /^(0|[1-9][0-9]{0,15})$/;

/** A protocol violation, carried to the connection handler that closes with its code. */
class Violation extends Error {
  /** @param {number} code */
  constructor(code) {
    super(REASONS[code]);
    this.code = code;
  }
}

/** @param {string} text */
function parseNumber(text) {
  if (!NUMBER.test(text)) {
    throw new Violation(/^[0-9]{17,}$/.test(text) ? CloseCode.SEQ_OUT_OF_RANGE : CloseCode.MALFORMED);
  }
  const value = Number(text);
  if (value > MAX_SEQ) throw new Violation(CloseCode.SEQ_OUT_OF_RANGE);
  return value;
}

/**
 * An unsigned LEB128 number of at most 8 bytes, minimally encoded.
 * @param {Buffer} bytes @param {number} at
 * @returns {[number, number]} the value and the offset after it
 */
function readVarint(bytes, at) {
  let value = 0;
  for (let i = 0; i < 8; i += 1) {
    if (at + i >= bytes.length) throw new Violation(CloseCode.MALFORMED);
    const byte = bytes[at + i];
    value += (byte & 0x7f) * 2 ** (7 * i);
    if ((byte & 0x80) === 0) {
      if (byte === 0 && i > 0) throw new Violation(CloseCode.MALFORMED);
      if (value > MAX_SEQ) throw new Violation(CloseCode.SEQ_OUT_OF_RANGE);
      return [value, at + i + 1];
    }
  }
  throw new Violation(CloseCode.SEQ_OUT_OF_RANGE);
}

/** @param {number} value */
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
 * A frame as sent: a string for text, a Buffer for binary.
 * @param {number} seq @param {number} ack @param {string | Buffer} payload
 */
function dataFrame(seq, ack, payload) {
  if (typeof payload === 'string') return `d${seq},${ack};${payload}`;
  return Buffer.concat([Buffer.from([0x64, ...varint(seq), ...varint(ack)]), payload]);
}

/**
 * Parses a client frame. Returns one of
 *   { kind: 'hello', version, sid, key, epoch, ack } | { kind: 'data', seq, ack, payload, isBinary }
 *   | { kind: 'ack', ack } | { kind: 'ping' } | { kind: 'pong' }
 * and throws a Violation for anything else.
 * @param {Buffer} data @param {boolean} isBinary
 */
export function parseClientFrame(data, isBinary) {
  if (isBinary) {
    if (data.length === 0 || data[0] !== 0x64) throw new Violation(CloseCode.MALFORMED);
    const [seq, afterSeq] = readVarint(data, 1);
    const [ack, at] = readVarint(data, afterSeq);
    if (seq === 0) throw new Violation(CloseCode.SEQ_OUT_OF_RANGE);
    return { kind: 'data', seq, ack, payload: data.subarray(at), isBinary: true };
  }
  const text = data.toString();
  switch (text[0]) {
    case 'd': {
      const semicolon = text.indexOf(';');
      const comma = text.indexOf(',');
      if (semicolon < 0 || comma < 0 || comma > semicolon || semicolon > 40) throw new Violation(CloseCode.MALFORMED);
      const seq = parseNumber(text.slice(1, comma));
      const ack = parseNumber(text.slice(comma + 1, semicolon));
      if (seq === 0) throw new Violation(CloseCode.SEQ_OUT_OF_RANGE);
      return { kind: 'data', seq, ack, payload: text.slice(semicolon + 1), isBinary: false };
    }
    case 'a':
      return { kind: 'ack', ack: parseNumber(text.slice(1)) };
    case 'h': {
      const fields = text.slice(1).split(',');
      if (fields.length !== 5) throw new Violation(CloseCode.MALFORMED);
      const version = parseNumber(fields[0]);
      if (version !== PROTOCOL_VERSION) throw new Violation(CloseCode.VERSION);
      const [, sid, key] = fields;
      if (!TOKEN.test(sid) || !TOKEN.test(key)) throw new Violation(CloseCode.MALFORMED);
      return { kind: 'hello', version, sid, key, epoch: parseNumber(fields[3]), ack: parseNumber(fields[4]) };
    }
    default:
      if (text === 'p') return { kind: 'ping' };
      if (text === 'q') return { kind: 'pong' };
      throw new Violation(CloseCode.MALFORMED);
  }
}

/** A random epoch in 1..2^53−1. */
function newEpoch() {
  const bytes = randomBytes(7);
  const value = (bytes.readUIntBE(0, 6) * 2 ** 5 + (bytes[6] & 0x1f)) % MAX_SEQ;
  return value + 1;
}

/** @param {string | Buffer} payload */
function byteLength(payload) {
  return typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
}

/** @param {unknown} data @returns {string | Buffer} */
function toPayload(data) {
  if (typeof data === 'string' || Buffer.isBuffer(data)) return data;
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  throw new TypeError('session.send() takes a string, a Buffer, an ArrayBuffer or a typed array');
}


/** The key as a store keeps it: hashed, so that a store's reader cannot take sessions over. */
function hashKey(key) {
  return createHash('sha256').update(key).digest('base64url');
}

/**
 * A store write issued now and awaited later: its outcome as a value, so that a rejection is
 * never unhandled while it waits its turn.
 * @template T @param {Promise<T>} promise @returns {Promise<{ value: T } | { error: unknown }>}
 */
function settle(promise) {
  return promise.then((value) => ({ value }), (error) => ({ error }));
}

/**
 * One client's session: two numbered streams that outlive connections.
 *
 * The node that holds the session's connection keeps a working copy of its state here; the
 * server's store keeps the record. Everything that touches the connection runs in one queue per
 * session, in the order the frames arrived and the messages were sent: a frame's effects (the
 * application's `send()`s in its `message` listener included) are through before the next frame
 * is looked at.
 *
 * Events: `message` (data: string | Buffer, isBinary: boolean, delivery: { id, epoch, seq,
 * redelivered }), `connect` ({ resumed }), `disconnect`, `end` (reason: 'expired' | 'overflow' |
 * 'closed' | 'evicted' | 'moved').
 */
export class Session extends EventEmitter {
  /** @param {AckedServer} server @param {string} id */
  constructor(server, id) {
    super();
    this.server = server;
    /** The session id the client chose. */
    this.id = id;
    this.epoch = 0;
    /** Highest client seq the store recorded: what the acks and the welcome say. */
    this.received = 0;
    /** Highest client seq accepted from the connection (recorded or being recorded). */
    this.accepted = 0;
    /** Highest client seq this node gave its application (of this incarnation). */
    this.delivered = 0;
    /** Highest seq of a message to the client this node knows of. */
    this.lastSeq = 0;
    /** @type {{ seq: number, payload: string | Buffer, bytes: number }[]} sent and not acknowledged */
    this.window = [];
    this.windowBytes = 0;
    /** `send()`s whose store write is still out. */
    this.pendingMessages = 0;
    this.pendingBytes = 0;
    this.ackSent = 0;
    /** @type {NodeJS.Timeout | null} */
    this.ackTimer = null;
    /** @type {NodeJS.Timeout | null} */
    this.expiry = null;
    /** @type {import('ws').WebSocket | null} the connection that holds the session now */
    this.socket = null;
    /** The owner token of that connection (or of the last one), as the store knows it. */
    this.owner = '';
    /** When the last connection went (`performance.now()`): the longest away is evicted first. */
    this.detachedAt = 0;
    this.ended = false;
    /** Set once the session is bound to end (an overflow): it takes no more messages. */
    this.ending = false;
    /** @type {Promise<void>} the tail of the session's queue */
    this.tail = Promise.resolve();
    /** @type {(() => Promise<void>)[] | null} sends made in a `message` listener, run before the next frame */
    this.delivering = null;
    /** The owner token of the latest connection whose attach is queued or done. */
    this.claiming = '';
  }

  /** Whether a client connection holds the session now. */
  get connected() {
    return this.socket !== null;
  }

  /** Messages sent and not yet acknowledged by the client (those still being stored included). */
  get unacked() {
    return this.window.length + this.pendingMessages;
  }

  /**
   * Sends a message to the client: now if it is connected, else when it comes back. The message is
   * in the store before it goes out. Returns false when the session has ended, or when the message
   * would exceed the session's bounds (then the `overflow` event fires and the session is discarded).
   * @param {string | Buffer | ArrayBuffer | ArrayBufferView} data
   */
  send(data) {
    if (this.ended || this.ending) return false;
    const payload = toPayload(data);
    const bytes = byteLength(payload);
    const { maxQueueMessages, maxQueueBytes, sessionTtl } = this.server.options;
    if (this.unacked + 1 > maxQueueMessages || this.windowBytes + this.pendingBytes + bytes > maxQueueBytes) {
      this.#overflow({ messages: this.unacked, bytes: this.windowBytes + this.pendingBytes });
      return false;
    }
    this.pendingMessages += 1;
    this.pendingBytes += bytes;
    // Issued now, so that the store numbers the messages in the order they were sent.
    const write = settle(this.server.store.append(this.id, payload, { maxMessages: maxQueueMessages, maxBytes: maxQueueBytes, ttl: sessionTtl }));
    this.#enqueue(async () => {
      const outcome = await write;
      this.pendingMessages -= 1;
      this.pendingBytes -= bytes;
      if (this.ended) return;
      if ('error' in outcome) {
        this.server.emit('storeerror', outcome.error, this);
        this.#storeFailed(this.socket);
        return;
      }
      const appended = outcome.value;
      if (appended === null) {
        // Gone from the store (its ttl ran out there, or the store lost it): the client's next
        // hello starts a new incarnation, and the client reports the loss (`sessionlost`).
        this.#end('expired', 1011, 'session gone from the store', { keep: true });
      } else if ('overflow' in appended) {
        this.#overflow(appended.overflow);
      } else {
        await this.#admit(appended.seq, payload);
      }
    }, true);
    return true;
  }

  /** Ends the session for good: its connection is closed with `code` and its state dropped. */
  close(code = 1000, reason = '') {
    this.#end('closed', code, reason);
  }

  /** Ends a session whose client is away, to make room for a new one (`maxSessions`). */
  evict() {
    this.#end('evicted');
  }

  /**
   * Runs `task` after everything queued before it. With `nested`, a task queued by a `message`
   * listener runs right after that message's own task, before the next frame.
   * @param {() => Promise<void> | void} task
   */
  #enqueue(task, nested = false) {
    if (nested && this.delivering) {
      this.delivering.push(async () => task());
      return;
    }
    // A task that throws is a bug of the adapter: thrown where nothing can swallow it.
    this.tail = this.tail.then(task).catch((error) => process.nextTick(() => {
      throw error;
    }));
  }

  /** Queues the handling of one frame of `ws` (after its hello). */
  frame(ws, frame, fail) {
    if (frame.kind === 'ping' && this.socket === ws) {
      // Answered at once once the welcome is out: liveness is not held up behind an inbox handover
      // that waits for another node, and a pong has no order to keep with the data.
      if (ws.readyState === OPEN) ws.send('q');
      return;
    }
    this.#enqueue(async () => {
      if (this.socket !== ws || this.ended) return;
      try {
        switch (frame.kind) {
          case 'data':
            this.#release(ws, frame.ack);
            await this.#receive(ws, frame.seq, frame.payload, frame.isBinary);
            break;
          case 'ack':
            this.#release(ws, frame.ack);
            break;
          case 'ping':
            ws.send('q');
            break;
          case 'pong':
            break;
          default:
            throw new Violation(CloseCode.MALFORMED);
        }
      } catch (error) {
        fail(error);
      }
    });
  }

  /** Queues `task` (a violation's close) after the frames before it. */
  later(task) {
    this.#enqueue(task);
  }

  #overflow(info) {
    const { maxQueueMessages, maxQueueBytes } = this.server.options;
    this.ending = true;
    this.server.emit('overflow', this, { ...info, limitMessages: maxQueueMessages, limitBytes: maxQueueBytes });
    // After the messages already on their way: they were sent before the one that did not fit.
    this.#enqueue(() => this.#end('overflow', CloseCode.OVERFLOW), true);
  }

  /** A message the store numbered `seq`: into the window, and out if the client is here. */
  async #admit(seq, payload) {
    if (seq <= this.lastSeq) return; // a claim or a fill brought it already
    if (seq > this.lastSeq + 1) await this.fill();
    if (seq <= this.lastSeq) return;
    this.#push(seq, payload);
  }

  #push(seq, payload) {
    const bytes = byteLength(payload);
    this.window.push({ seq, payload, bytes });
    this.windowBytes += bytes;
    this.lastSeq = seq;
    if (this.socket) this.#transmit(this.socket, seq, payload);
  }

  /** Takes from the store the messages appended after `lastSeq` (by another node, say), and sends them. */
  async fill() {
    let entries;
    try {
      entries = await this.server.store.range(this.id, this.lastSeq + 1);
    } catch (error) {
      this.server.emit('storeerror', error, this);
      this.#storeFailed(this.socket);
      return;
    }
    if (this.ended) return;
    for (const { seq, payload } of entries) {
      if (seq === this.lastSeq + 1) this.#push(seq, payload);
    }
  }

  /** Queues a fill: another node appended to this session. */
  wake() {
    this.#enqueue(() => this.fill());
  }

  #transmit(ws, seq, payload) {
    if (ws.readyState !== OPEN) return;
    this.ackSent = this.received;
    this.#clearAck();
    ws.send(dataFrame(seq, this.received, payload));
  }

  #clearAck() {
    if (this.ackTimer) clearTimeout(this.ackTimer);
    this.ackTimer = null;
  }

  #sendAck() {
    this.#clearAck();
    if (this.socket?.readyState !== OPEN) return;
    this.ackSent = this.received;
    this.socket.send(`a${this.received}`);
  }

  /** Releases every message up to `ack`, here and in the store. */
  #release(ws, ack) {
    if (ack > this.lastSeq) throw new Violation(CloseCode.ACK_UNSENT);
    let drop = 0;
    while (drop < this.window.length && this.window[drop].seq <= ack) {
      this.windowBytes -= this.window[drop].bytes;
      drop += 1;
    }
    if (drop === 0) return;
    this.window.splice(0, drop);
    const { owner } = this;
    this.server.store.release(this.id, owner, ack, this.server.options.sessionTtl).then(
      (owned) => {
        if (!owned) this.#enqueue(() => this.moved(owner));
      },
      (error) => {
        this.server.emit('storeerror', error, this);
        this.#enqueue(() => this.#storeFailed(ws));
      },
    );
  }

  /** A data frame from the client: recorded in the store, then given to the application. */
  async #receive(ws, seq, payload, isBinary) {
    if (seq > this.accepted + 1) throw new Violation(CloseCode.SEQ_OUT_OF_RANGE);
    if (seq <= this.accepted) {
      // A duplicate: acknowledged again (the client evidently missed the ack), not delivered.
      this.#scheduleAck();
      return;
    }
    this.accepted = seq;
    // Held from before the store records it until the inbox is cleared: a node that claims the
    // session meanwhile asks this one to finish (`flush`) before it looks at the inbox.
    await this.server.hold(this.id, this.#record(ws, seq, payload, isBinary));
  }

  /** Records client message `seq` in the store, then gives it to the application. */
  async #record(ws, seq, payload, isBinary) {
    const { owner } = this;
    let owned;
    try {
      owned = await this.server.store.received(this.id, owner, seq, this.server.options.sessionTtl, payload);
    } catch (error) {
      this.server.emit('storeerror', error, this);
      this.#storeFailed(ws);
      return;
    }
    if (!owned) {
      this.moved(owner);
      return;
    }
    // Recorded: the message is the application's now, even if the connection went meanwhile
    // (the client will not send it again).
    if (this.socket === ws) {
      this.received = seq;
      this.#scheduleAck();
    }
    await this.#deliver(seq, payload, isBinary, false);
  }

  /**
   * Gives a recorded client message to the application, then clears it from the store's inbox;
   * the `send()`s of the `message` listener go out before the next frame is looked at.
   * `redelivered`: handed over from the inbox, recorded by another connection whose node may have
   * given it to its application already (PROTOCOL.md, "Sessions in a store").
   */
  async #deliver(seq, payload, isBinary, redelivered) {
    this.delivered = Math.max(this.delivered, seq);
    const nested = [];
    this.delivering = nested;
    try {
      this.emit('message', payload, isBinary, { id: `${this.id}:${this.epoch}:${seq}`, epoch: this.epoch, seq, redelivered });
    } finally {
      this.delivering = null;
    }
    this.server.track(this.server.hold(this.id, this.#clearInbox(seq)));
    for (const task of nested) await task();
  }

  /** Clears the inbox up to `seq`, again while the store fails (a few times): else it is given twice. */
  async #clearInbox(seq) {
    for (let attempt = 0; attempt < 50; attempt += 1) {
      try {
        await this.server.store.delivered(this.id, seq);
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }

  #scheduleAck() {
    if (this.received - this.ackSent >= ACK_EVERY) this.#sendAck();
    else this.ackTimer ??= setTimeout(() => this.#sendAck(), this.server.options.ackInterval);
  }

  /**
   * Queues the attach of `ws` after its hello, with the state the store's claim returned: the
   * welcome, then what the client lacks.
   * @param {import('ws').WebSocket} ws @param {string} owner
   * @param {{ verdict: string, epoch: number, received: number, lastSeq: number,
   *   window: { seq: number, payload: string | Buffer }[], inbox: import('./store.js').InboxMessage[],
   *   holder: string | null }} claim
   */
  attach(ws, owner, claim) {
    // A handover of an older connection's claim, still waiting for another node, gives way to this one.
    this.claiming = owner;
    this.#enqueue(async () => {
      if (this.ended) return;
      if (ws.readyState !== OPEN) {
        // Gone while the store answered: the session waits for its client as after a disconnect.
        this.server.store.detach(this.id, owner, this.server.options.sessionTtl).catch(() => {});
        if (this.socket === null) this.#startExpiry();
        return;
      }
      if (this.expiry) clearTimeout(this.expiry);
      this.expiry = null;
      const previous = this.socket;
      this.socket = ws;
      this.owner = owner;
      if (previous && previous !== ws) previous.close(CloseCode.TAKEN_OVER, REASONS[CloseCode.TAKEN_OVER]);
      // The store's state, and what was appended since the claim read it.
      const later = this.window.filter(({ seq }) => seq > claim.lastSeq);
      if (claim.epoch !== this.epoch) this.delivered = 0;
      this.epoch = claim.epoch;
      this.received = claim.received;
      this.accepted = claim.received;
      this.window = [...claim.window.map(({ seq, payload }) => ({ seq, payload, bytes: byteLength(payload) })), ...later];
      this.windowBytes = this.window.reduce((sum, { bytes }) => sum + bytes, 0);
      this.lastSeq = Math.max(claim.lastSeq, this.lastSeq);
      const resumed = claim.verdict === 'resumed';
      ws.send(`w${PROTOCOL_VERSION},${this.received},${resumed ? 'resumed' : 'new'},${this.epoch}`);
      this.ackSent = this.received;
      for (const { seq, payload } of this.window) this.#transmit(ws, seq, payload);
      this.emit('connect', { resumed });
      // Client messages the store recorded and no application is known to have had: the client
      // will not send them again. Not those this session gave its application itself.
      const pending = claim.inbox.filter(({ seq }) => seq > this.delivered);
      if (pending.length > 0) {
        // What this node itself does with them now (another connection's work, an inbox clear):
        // waited for as such, and not the handover itself, which a later claim waits for.
        const here = [...(this.server.handing.get(this.id) ?? [])];
        await this.server.hold(this.id, this.#handOver(ws, owner, pending, claim.holder, here));
      }
    });
  }

  /**
   * Hands over the inbox that a claim found: first every node that recorded those messages, and the
   * node of the session's last holder (which may be handing them over itself), finishes what it
   * does with them or is found gone; then what is still in the inbox goes to the application,
   * flagged `redelivered`.
   * @param {import('ws').WebSocket} ws @param {string} owner
   * @param {import('./store.js').InboxMessage[]} pending @param {string | null} holder
   * @param {Promise<unknown>[]} here this node's work on the session's client messages before the handover
   */
  async #handOver(ws, owner, pending, holder, here) {
    /** The session went to another connection (here or elsewhere): that one's claim hands over. */
    const superseded = () => this.claiming !== owner || this.owner !== owner || this.ended;
    const others = new Map();
    for (const token of [...pending.map((m) => m.owner), holder]) {
      if (token && nodeOf(token) !== this.server.nodeId) others.set(nodeOf(token), token);
    }
    await Promise.all(here);
    let inbox;
    try {
      for (const token of others.values()) {
        if (!(await this.server.finished(this.id, owner, token, superseded))) {
          throw new Error(`the node of ${token} holds its lease and did not answer ${FLUSH_ROUNDS} requests to flush session ${this.id}`);
        }
        if (superseded()) return;
      }
      inbox = await this.server.store.inbox(this.id);
    } catch (error) {
      this.server.emit('storeerror', error, this);
      this.#storeFailed(ws);
      return;
    }
    if (superseded()) return;
    for (const { seq, payload } of inbox) {
      if (seq > this.delivered && seq <= this.received) await this.#deliver(seq, payload, Buffer.isBuffer(payload), true);
    }
  }

  /** The connection `ws` is gone: keep the session for `sessionTtl`. */
  detach(ws) {
    if (this.socket !== ws) return;
    this.socket = null;
    this.detachedAt = performance.now();
    this.#clearAck();
    if (this.ended) return;
    this.server.track(this.server.store.detach(this.id, this.owner, this.server.options.sessionTtl));
    this.emit('disconnect');
    this.#startExpiry();
  }

  #startExpiry() {
    this.expiry = setTimeout(() => {
      this.server.emit('expired', this, { unacked: this.unacked });
      this.#end('expired');
    }, this.server.options.sessionTtl);
    this.expiry.unref?.();
  }

  /**
   * Another connection took the session (on another node, or this node learnt it late): the
   * connection of `owner` is closed with 4409 and this node lets go of the session.
   */
  moved(owner) {
    if (this.ended || this.owner !== owner) return;
    this.#end('moved', CloseCode.TAKEN_OVER, REASONS[CloseCode.TAKEN_OVER], { keep: true });
  }

  /**
   * The store failed under the connection `ws`: it is closed with 1013, and the client's next
   * hello (here or elsewhere) starts from what the store has.
   */
  #storeFailed(ws) {
    if (!ws || this.socket !== ws) return;
    if (ws.readyState === OPEN) ws.close(CloseCode.STORE_UNAVAILABLE, STORE_UNAVAILABLE_REASON);
    this.detach(ws);
  }

  /**
   * @param {'expired' | 'overflow' | 'closed' | 'evicted' | 'moved'} reason
   * @param {number} [code] @param {string} [closeReason]
   * @param {{ keep?: boolean }} [options] keep: leave the store's record alone (another node has it,
   *   or it is gone already)
   */
  #end(reason, code, closeReason = REASONS[code] ?? '', { keep = false } = {}) {
    if (this.ended) return;
    this.ended = true;
    /** How it ended, for a connection still to be refused (closed in the `session` listener). */
    this.endedWith = { code: code ?? 1000, reason: closeReason };
    if (this.expiry) clearTimeout(this.expiry);
    this.#clearAck();
    if (this.server.sessions.get(this.id) === this) this.server.sessions.delete(this.id);
    if (!keep) this.server.store.discard(this.id, this.owner || undefined).catch(() => {});
    const ws = this.socket;
    this.socket = null;
    if (ws && code !== undefined && ws.readyState === OPEN) ws.close(code, closeReason);
    this.emit('end', reason);
  }

  /** Lets go of the session on this node, leaving it to the store: the `close()` of the server. */
  leave(code, reason) {
    const ws = this.socket;
    if (ws) this.server.track(this.server.store.detach(this.id, this.owner, this.server.options.sessionTtl));
    this.#end('closed', code, reason, { keep: true });
  }
}

/**
 * The adapter: attach it to a `ws` WebSocketServer (or hand it sockets with `accept()`).
 *
 * Events: `session` (session) for every session this node starts holding: a new one, a new
 * incarnation after the old one was lost, or one whose client comes from another node; `overflow`
 * (session, info) when a session exceeded its bounds; `expired` (session, info) when a
 * disconnected session was forgotten; `violation` ({ code, reason, session }) when a client broke
 * the protocol and was closed; `limit` ({ limit, evicted }) when `maxSessions` was reached;
 * `storeerror` (error, session | null) when the store failed a write (the connection was closed
 * with 1013).
 */
export class AckedServer extends EventEmitter {
  /**
   * @param {import('ws').WebSocketServer | null} wss
   * @param {{ sessionTtl?: number, maxQueueMessages?: number, maxQueueBytes?: number,
   *   helloTimeout?: number, ackInterval?: number, maxMessageBytes?: number, maxSessions?: number,
   *   store?: import('./store.js').SessionStore }} [options]
   */
  constructor(wss, options = {}) {
    super();
    const { store = new MemorySessionStore(), ...limits } = options;
    this.options = {
      sessionTtl: 120_000,
      maxQueueMessages: 10_000,
      maxQueueBytes: 16 * 1024 * 1024,
      helloTimeout: 10_000,
      ackInterval: 100,
      maxMessageBytes: 1024 * 1024,
      maxSessions: 10_000,
      ...limits,
    };
    for (const [name, value] of Object.entries(this.options)) {
      if (!(typeof value === 'number' && value > 0)) throw new TypeError(`AckedServer: ${name} must be a number > 0`);
    }
    /** The session store (API.md §6): in memory unless one is given. */
    this.store = store;
    /** @type {Map<string, Session>} the sessions this node holds */
    this.sessions = new Map();
    /** Connections that have not sent their hello yet. */
    this.greeting = new Set();
    this.closed = false;
    this.connections = 0;
    /** @type {Set<Promise<unknown>>} store writes no one waits for, until they are through (see close()) */
    this.writes = new Set();
    /**
     * @type {Map<string, Set<Promise<unknown>>>} per session id: the client messages this node is
     * recording, giving to its application or clearing from the inbox (see hold())
     */
    this.handing = new Map();
    /** @type {Map<string, () => void>} per owner token of a connection here: the `flushed` it waits for */
    this.flushWaits = new Map();
    /** This node's id in the store, once registered. */
    this.nodeId = '';
    this.ready = store.register(this).then((id) => {
      this.nodeId = id;
    });
    this.ready.catch((error) => this.emit('storeerror', error, null));
    // A store that expires keys keeps the connected sessions' keys alive.
    this.refresher = setInterval(() => {
      const connected = [...this.sessions.values()].filter((s) => s.connected).map((s) => s.id);
      if (connected.length > 0) this.store.refresh(connected, this.options.sessionTtl).catch(() => {});
    }, Math.max(10, this.options.sessionTtl / 3));
    this.refresher.unref();
    if (wss) wss.on('connection', (ws) => this.accept(ws));
  }

  /**
   * Takes over one client connection (from a WebSocketServer's `connection` event).
   * @param {import('ws').WebSocket} ws
   */
  accept(ws) {
    if (this.closed) {
      ws.close(1001, 'server shutting down');
      return;
    }
    /** @type {{ session: Session | null, failed: boolean, greeted: boolean, early: object[] }} */
    const connection = { session: null, failed: false, greeted: false, early: [], fail: (violation) => fail(violation) };
    this.greeting.add(ws);
    const hello = setTimeout(() => fail(new Violation(CloseCode.NO_HELLO)), this.options.helloTimeout);
    const fail = (violation) => {
      if (!(violation instanceof Violation)) throw violation;
      if (connection.failed) return;
      connection.failed = true;
      const { session } = connection;
      this.emit('violation', { code: violation.code, reason: violation.message, session });
      const close = () => {
        if (ws.readyState === OPEN) ws.close(violation.code, violation.message);
        session?.detach(ws);
      };
      if (session) session.later(close);
      else close();
    };
    ws.on('message', (data, isBinary) => {
      if (ws.readyState !== OPEN || connection.failed) return;
      try {
        // Buffers as ws delivers them by default; the other binaryTypes converted without copying.
        const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
        if (bytes.length > this.options.maxMessageBytes) throw new Violation(CloseCode.TOO_BIG);
        const frame = parseClientFrame(bytes, isBinary);
        if (connection.session) {
          connection.session.frame(ws, frame, fail);
        } else if (connection.greeted) {
          // The store has not answered the hello yet: the frame waits for the session.
          connection.early.push(frame);
        } else {
          if (frame.kind !== 'hello') throw new Violation(CloseCode.MALFORMED);
          clearTimeout(hello);
          this.greeting.delete(ws);
          connection.greeted = true;
          this.#greet(ws, frame, connection).catch((error) => {
            if (error instanceof Violation) fail(error);
            else process.nextTick(() => {
              throw error;
            });
          });
        }
      } catch (error) {
        fail(error);
      }
    });
    ws.on('close', () => {
      clearTimeout(hello);
      this.greeting.delete(ws);
      connection.session?.detach(ws);
    });
    ws.on('error', () => {});
  }

  /** The hello: resume, take over, start afresh, or refuse (see PROTOCOL.md, "Handshake"). */
  async #greet(ws, { sid, key, epoch, ack }, connection) {
    if (!this.store.available()) {
      ws.close(CloseCode.STORE_UNAVAILABLE, STORE_UNAVAILABLE_REASON);
      return;
    }
    let claim;
    let owner;
    try {
      await this.ready;
      this.connections += 1;
      owner = `${this.nodeId}/${this.connections}`;
      claim = await this.store.claim(
        { sid, keyHash: hashKey(key), epoch, ack },
        { owner, newEpoch: newEpoch(), ttl: this.options.sessionTtl },
      );
    } catch (error) {
      this.emit('storeerror', error, null);
      if (ws.readyState === OPEN) ws.close(CloseCode.STORE_UNAVAILABLE, STORE_UNAVAILABLE_REASON);
      return;
    }
    switch (claim.verdict) {
      case 'not-yours':
        // Refused before anything changed: the rightful owner's connection is left alone.
        throw new Violation(CloseCode.NOT_YOURS);
      case 'ack-too-low':
        throw new Violation(CloseCode.SEQ_OUT_OF_RANGE);
      case 'ack-unsent':
        throw new Violation(CloseCode.ACK_UNSENT);
      default:
        break;
    }
    if (this.closed) {
      this.store.detach(sid, owner, this.options.sessionTtl).catch(() => {});
      ws.close(1001, 'server shutting down');
      return;
    }
    let session = this.sessions.get(sid);
    if (session && claim.verdict === 'fresh') {
      // Cannot happen with a conforming client; the store started over rather than guess.
      session.close(CloseCode.MALFORMED, 'session state mismatch');
      session = undefined;
    }
    if (!session) {
      if (!this.#makeRoom()) {
        if (claim.verdict === 'fresh') await this.store.discard(sid, owner).catch(() => {});
        else await this.store.detach(sid, owner, this.options.sessionTtl).catch(() => {});
        ws.close(CloseCode.TOO_MANY_SESSIONS, REASONS[CloseCode.TOO_MANY_SESSIONS]);
        return;
      }
      session = new Session(this, sid);
      session.owner = owner;
      session.epoch = claim.epoch;
      this.sessions.set(sid, session);
      this.emit('session', session);
      if (session.ended) {
        // The application refused the session in its listener: so is the connection.
        ws.close(session.endedWith.code, session.endedWith.reason);
        return;
      }
    }
    if (claim.previous && claim.previous !== owner && nodeOf(claim.previous) !== this.nodeId) {
      this.store.notify(claim.previous, { kind: 'taken', sid, owner: claim.previous }).catch(() => {});
    }
    connection.session = session;
    session.attach(ws, owner, claim);
    for (const frame of connection.early.splice(0)) session.frame(ws, frame, connection.fail);
  }

  /**
   * Sends `data` to session `sessionId` wherever its client is connected (this node or another
   * that shares the store), or keeps it in the store until the client comes back. Messages from one
   * node arrive in the order it sent them. Resolves with false when the store has no such session
   * or the message would exceed its bounds (the session is then discarded, as with `send()`).
   * @param {string} sessionId @param {string | Buffer | ArrayBuffer | ArrayBufferView} data
   * @returns {Promise<boolean>}
   */
  async sendTo(sessionId, data) {
    const local = this.sessions.get(sessionId);
    if (local && !local.ended) return local.send(data);
    const payload = toPayload(data);
    const { maxQueueMessages, maxQueueBytes, sessionTtl } = this.options;
    await this.ready;
    const appended = await this.store.append(sessionId, payload, { maxMessages: maxQueueMessages, maxBytes: maxQueueBytes, ttl: sessionTtl });
    if (appended === null) return false;
    if ('overflow' in appended) {
      // As a send() beyond the bounds on the node that holds the session: it is discarded, and
      // that node closes its connection with 4413.
      await this.store.discard(sessionId);
      if (appended.owner) await this.store.notify(appended.owner, { kind: 'ended', sid: sessionId, owner: appended.owner, code: CloseCode.OVERFLOW });
      return false;
    }
    if (appended.connected) {
      if (nodeOf(appended.owner) === this.nodeId) this.sessions.get(sessionId)?.wake();
      else await this.store.notify(appended.owner, { kind: 'wake', sid: sessionId, owner: appended.owner });
    }
    return true;
  }

  /**
   * Keeps a store write that no one waits for (clearing the inbox, a detach) until it is through,
   * so that close() can wait for it; its failure only means the store keeps a little more.
   * @param {Promise<unknown>} write
   */
  track(write) {
    const settled = write.catch(() => {}).finally(() => this.writes.delete(settled));
    this.writes.add(settled);
  }

  /**
   * Keeps `work` (on client messages of session `sid`: recording, handing over, clearing the inbox)
   * among what a `flush` of that session waits for, until it settles. Returns `work`.
   * @template T @param {string} sid @param {Promise<T>} work @returns {Promise<T>}
   */
  hold(sid, work) {
    const held = this.handing.get(sid) ?? new Set();
    this.handing.set(sid, held);
    const settled = work.catch(() => {}).finally(() => {
      held.delete(settled);
      if (held.size === 0 && this.handing.get(sid) === held) this.handing.delete(sid);
    });
    held.add(settled);
    return work;
  }

  /** Resolves once this node holds no work on session `sid`'s client messages (see hold()). */
  async flushed(sid) {
    for (let held = this.handing.get(sid); held?.size; held = this.handing.get(sid)) await Promise.all([...held]);
  }

  /**
   * Waits until the node of owner token `other` (another node) is done with session `sid`'s client
   * messages: once it answers a `flush` (sent for the connection `asker`), or once its lease is gone.
   * Resolves false when that node stayed alive without answering FLUSH_ROUNDS requests; true
   * otherwise, and as soon as `cancelled()` (the asker lost the session).
   * @param {string} sid @param {string} asker @param {string} other @param {() => boolean} cancelled
   */
  async finished(sid, asker, other, cancelled) {
    for (let round = 0; round < FLUSH_ROUNDS && !cancelled(); round += 1) {
      if (!(await this.store.alive(nodeOf(other)))) return true;
      let timer;
      const answered = await new Promise((resolve) => {
        this.flushWaits.set(asker, () => resolve(true));
        timer = setTimeout(resolve, FLUSH_ANSWER_MS, false);
        this.store.notify(other, { kind: 'flush', sid, owner: asker }).catch(() => {});
      });
      clearTimeout(timer);
      this.flushWaits.delete(asker);
      if (answered) return true;
    }
    return cancelled();
  }

  /**
   * A notice from the store (see store.js, `Notice`): about a session this node holds, or a `flush`
   * of one it may have recorded client messages of, or the answer to this node's.
   * @param {import('./store.js').Notice} notice
   */
  notice({ kind, sid, owner, code }) {
    if (kind === 'flush') {
      this.flushed(sid).then(() => this.store.notify(owner, { kind: 'flushed', sid, owner })).catch(() => {});
      return;
    }
    if (kind === 'flushed') {
      this.flushWaits.get(owner)?.();
      return;
    }
    const session = this.sessions.get(sid);
    if (!session) return;
    if (kind === 'taken') session.moved(owner);
    else if (kind === 'wake') session.wake();
    else if (kind === 'ended' && session.owner === owner) session.close(code ?? CloseCode.OVERFLOW, REASONS[code] ?? '');
  }

  /**
   * Whether a new session may start: below `maxSessions`, or once the session whose client has been
   * away longest is evicted (every hello with an unknown id starts a session, so without a bound a
   * client could fill the memory). When every session has its client connected, the new client is
   * refused with 1013 and comes back later. Either way, `limit` tells.
   */
  #makeRoom() {
    const limit = this.options.maxSessions;
    if (this.sessions.size < limit) return true;
    let evicted = null;
    for (const session of this.sessions.values()) {
      if (session.socket === null && (evicted === null || session.detachedAt < evicted.detachedAt)) evicted = session;
    }
    this.emit('limit', { limit, evicted });
    evicted?.evict();
    return evicted !== null;
  }

  /**
   * Stops accepting and lets go of every session: every connection is closed with 1001. The
   * sessions stay in the store, for this process's next start or another node to resume. Resolves
   * once the sessions' queues are through: a message the store recorded has been given to the
   * application (wait for it before a process exits).
   * @returns {Promise<void>}
   */
  close() {
    this.closed = true;
    clearInterval(this.refresher);
    for (const ws of this.greeting) ws.close(1001, 'server shutting down');
    this.greeting.clear();
    const sessions = [...this.sessions.values()];
    for (const session of sessions) session.leave(1001, 'server shutting down');
    return Promise.all(sessions.map((session) => session.tail)).then(() => Promise.all([...this.writes])).then(() => {});
  }
}
