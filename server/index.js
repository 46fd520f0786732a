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
import { randomBytes } from 'node:crypto';

/** The protocol version this adapter speaks. */
export const PROTOCOL_VERSION = 1;

/** The close codes of PROTOCOL.md, "Errors". */
export const CloseCode = Object.freeze({
  TOO_BIG: 1009,
  TOO_MANY_SESSIONS: 1013,
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

const MAX_SEQ = Number.MAX_SAFE_INTEGER;
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

/**
 * One client's session: two numbered streams that outlive connections.
 *
 * Events: `message` (data: string | Buffer, isBinary: boolean), `connect` ({ resumed }),
 * `disconnect`, `end` (reason: 'expired' | 'overflow' | 'closed').
 */
export class Session extends EventEmitter {
  /** @param {AckedServer} server @param {string} id @param {string} key */
  constructor(server, id, key) {
    super();
    this.server = server;
    /** The session id the client chose. */
    this.id = id;
    this.key = key;
    this.epoch = newEpoch();
    /** Highest client seq delivered to the application. */
    this.received = 0;
    /** Last seq this side assigned. */
    this.lastSeq = 0;
    /** @type {{ seq: number, payload: string | Buffer, bytes: number }[]} sent and not acknowledged */
    this.window = [];
    this.windowBytes = 0;
    this.ackSent = 0;
    /** @type {NodeJS.Timeout | null} */
    this.ackTimer = null;
    /** @type {NodeJS.Timeout | null} */
    this.expiry = null;
    /** @type {import('ws').WebSocket | null} the connection that holds the session now */
    this.socket = null;
    /** When the last connection went (`performance.now()`): the longest away is evicted first. */
    this.detachedAt = 0;
    this.ended = false;
  }

  /** Whether a client connection holds the session now. */
  get connected() {
    return this.socket !== null;
  }

  /** Messages sent and not yet acknowledged by the client. */
  get unacked() {
    return this.window.length;
  }

  /**
   * Sends a message to the client: now if it is connected, else when it comes back. Returns false
   * when the session has ended, or when the message would exceed the session's bounds (then the
   * `overflow` event fires and the session is discarded).
   * @param {string | Buffer | ArrayBuffer | ArrayBufferView} data
   */
  send(data) {
    if (this.ended) return false;
    const payload = toPayload(data);
    const bytes = byteLength(payload);
    const { maxQueueMessages, maxQueueBytes } = this.server.options;
    if (this.window.length + 1 > maxQueueMessages || this.windowBytes + bytes > maxQueueBytes) {
      const info = { messages: this.window.length, bytes: this.windowBytes, limitMessages: maxQueueMessages, limitBytes: maxQueueBytes };
      this.server.emit('overflow', this, info);
      this.#end('overflow', CloseCode.OVERFLOW);
      return false;
    }
    this.lastSeq += 1;
    this.window.push({ seq: this.lastSeq, payload, bytes });
    this.windowBytes += bytes;
    if (this.socket) this.#transmit(this.socket, this.lastSeq, payload);
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

  /** Releases every message up to `ack`. */
  release(ack) {
    if (ack > this.lastSeq) throw new Violation(CloseCode.ACK_UNSENT);
    let drop = 0;
    while (drop < this.window.length && this.window[drop].seq <= ack) {
      this.windowBytes -= this.window[drop].bytes;
      drop += 1;
    }
    if (drop > 0) this.window.splice(0, drop);
  }

  /** A data frame from the client. */
  receive(seq, payload, isBinary) {
    if (seq > this.received + 1) throw new Violation(CloseCode.SEQ_OUT_OF_RANGE);
    const fresh = seq === this.received + 1;
    if (fresh) this.received = seq;
    if (this.received - this.ackSent >= ACK_EVERY) this.#sendAck();
    else this.ackTimer ??= setTimeout(() => this.#sendAck(), this.server.options.ackInterval);
    if (fresh) this.emit('message', payload, isBinary);
  }

  /** Attaches `ws` after its hello: the welcome, then what the client lacks. */
  attach(ws, resumed) {
    if (this.expiry) clearTimeout(this.expiry);
    this.expiry = null;
    const previous = this.socket;
    this.socket = ws;
    if (previous && previous !== ws) previous.close(CloseCode.TAKEN_OVER, REASONS[CloseCode.TAKEN_OVER]);
    ws.send(`w${PROTOCOL_VERSION},${this.received},${resumed ? 'resumed' : 'new'},${this.epoch}`);
    this.ackSent = this.received;
    for (const { seq, payload } of this.window) this.#transmit(ws, seq, payload);
    this.emit('connect', { resumed });
  }

  /** The connection `ws` is gone: keep the session for `sessionTtl`. */
  detach(ws) {
    if (this.socket !== ws) return;
    this.socket = null;
    this.detachedAt = performance.now();
    this.#clearAck();
    if (this.ended) return;
    this.emit('disconnect');
    this.expiry = setTimeout(() => {
      this.server.emit('expired', this, { unacked: this.window.length });
      this.#end('expired');
    }, this.server.options.sessionTtl);
    this.expiry.unref?.();
  }

  #end(reason, code, closeReason = REASONS[code] ?? '') {
    if (this.ended) return;
    this.ended = true;
    /** How it ended, for a connection still to be refused (closed in the `session` listener). */
    this.endedWith = { code: code ?? 1000, reason: closeReason };
    if (this.expiry) clearTimeout(this.expiry);
    this.#clearAck();
    this.server.sessions.delete(this.id);
    const ws = this.socket;
    this.socket = null;
    if (ws && code !== undefined && ws.readyState === OPEN) ws.close(code, closeReason);
    this.emit('end', reason);
  }
}

/**
 * The adapter: attach it to a `ws` WebSocketServer (or hand it sockets with `accept()`).
 *
 * Events: `session` (session) for every new session (and every new incarnation after the old one
 * was lost); `overflow` (session, info) when a session exceeded its bounds; `expired` (session,
 * info) when a disconnected session was forgotten; `violation` ({ code, reason, session }) when a
 * client broke the protocol and was closed; `limit` ({ limit, evicted }) when `maxSessions` was
 * reached.
 */
export class AckedServer extends EventEmitter {
  /**
   * @param {import('ws').WebSocketServer | null} wss
   * @param {{ sessionTtl?: number, maxQueueMessages?: number, maxQueueBytes?: number,
   *   helloTimeout?: number, ackInterval?: number, maxMessageBytes?: number, maxSessions?: number }} [options]
   */
  constructor(wss, options = {}) {
    super();
    this.options = {
      sessionTtl: 120_000,
      maxQueueMessages: 10_000,
      maxQueueBytes: 16 * 1024 * 1024,
      helloTimeout: 10_000,
      ackInterval: 100,
      maxMessageBytes: 1024 * 1024,
      maxSessions: 10_000,
      ...options,
    };
    for (const [name, value] of Object.entries(this.options)) {
      if (!(typeof value === 'number' && value > 0)) throw new TypeError(`AckedServer: ${name} must be a number > 0`);
    }
    /** @type {Map<string, Session>} */
    this.sessions = new Map();
    /** Connections that have not sent their hello yet. */
    this.greeting = new Set();
    this.closed = false;
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
    /** @type {Session | null} */
    let session = null;
    this.greeting.add(ws);
    const hello = setTimeout(() => fail(new Violation(CloseCode.NO_HELLO)), this.options.helloTimeout);
    const fail = (violation) => {
      if (!(violation instanceof Violation)) throw violation;
      this.emit('violation', { code: violation.code, reason: violation.message, session });
      if (ws.readyState === OPEN) ws.close(violation.code, violation.message);
      session?.detach(ws);
      session = null;
    };
    ws.on('message', (data, isBinary) => {
      if (ws.readyState !== OPEN) return;
      try {
        // Buffers as ws delivers them by default; the other binaryTypes converted without copying.
        const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
        if (bytes.length > this.options.maxMessageBytes) throw new Violation(CloseCode.TOO_BIG);
        const frame = parseClientFrame(bytes, isBinary);
        if (session === null) {
          if (frame.kind !== 'hello') throw new Violation(CloseCode.MALFORMED);
          clearTimeout(hello);
          this.greeting.delete(ws);
          session = this.#greet(ws, frame);
          return;
        }
        switch (frame.kind) {
          case 'data':
            session.release(frame.ack);
            session.receive(frame.seq, frame.payload, frame.isBinary);
            break;
          case 'ack':
            session.release(frame.ack);
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
    ws.on('close', () => {
      clearTimeout(hello);
      this.greeting.delete(ws);
      session?.detach(ws);
    });
    ws.on('error', () => {});
  }

  /** The hello: resume, take over, start afresh, or refuse (see PROTOCOL.md, "Handshake"). */
  #greet(ws, { sid, key, epoch, ack }) {
    let session = this.sessions.get(sid);
    if (session && session.key !== key) {
      // Thrown before anything changes: the rightful owner's connection is left alone.
      throw new Violation(CloseCode.NOT_YOURS);
    }
    if (session && session.epoch === epoch) {
      const oldest = session.window.length > 0 ? session.window[0].seq : session.lastSeq + 1;
      if (ack + 1 < oldest) throw new Violation(CloseCode.SEQ_OUT_OF_RANGE);
      session.release(ack);
      session.attach(ws, true);
      return session;
    }
    const unseen = session && session.received === 0
      && (session.window.length > 0 ? session.window[0].seq === 1 : session.lastSeq === 0);
    if (session && unseen) {
      // The client never got this incarnation's welcome: it has seen nothing of it.
      session.attach(ws, false);
      return session;
    }
    if (session) {
      // Cannot happen with a conforming client; start over rather than guess.
      session.close(CloseCode.MALFORMED, 'session state mismatch');
    }
    if (!this.#makeRoom()) {
      ws.close(CloseCode.TOO_MANY_SESSIONS, REASONS[CloseCode.TOO_MANY_SESSIONS]);
      return null;
    }
    session = new Session(this, sid, key);
    this.sessions.set(sid, session);
    this.emit('session', session);
    if (session.ended) {
      // The application refused the session in its listener: so is the connection.
      ws.close(session.endedWith.code, session.endedWith.reason);
      return null;
    }
    session.attach(ws, false);
    return session;
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

  /** Ends every session and stops accepting: every connection is closed with 1001. */
  close() {
    this.closed = true;
    for (const ws of this.greeting) ws.close(1001, 'server shutting down');
    this.greeting.clear();
    for (const session of [...this.sessions.values()]) session.close(1001, 'server shutting down');
  }
}
