// A raw end of the acknowledged-delivery protocol (PROTOCOL.md) on Node's `ws`, frame by frame:
// for the hostile-peer tests, the tests of the session stores and the cluster benchmark, which need
// to see every frame and to play peers the browser would not (malformed frames, two connections of
// one session, a client that stays away).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { WebSocket } from 'ws';

/** Rejects with `what` if `promise` does not settle within `ms`. */
export function within(promise, what, ms = 3000) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * One end of a raw WebSocket (a `ws` client, or a connection a raw server accepted), speaking the
 * protocol frame by frame: text frames are read as strings, binary ones as Buffers.
 */
export class Peer {
  /** @param {string} url */
  static async connect(url) {
    const peer = new Peer(new WebSocket(url));
    await within(once(peer.ws, 'open'), `open of ${url}`);
    return peer;
  }

  /** @param {WebSocket} ws */
  constructor(ws) {
    this.ws = ws;
    /** @type {(string | Buffer)[]} frames received and not yet taken */
    this.inbox = [];
    /** @type {(() => void) | null} */
    this.wake = null;
    /** @type {Promise<{ code: number, reason: string }>} */
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    });
    ws.on('message', (data, isBinary) => {
      this.inbox.push(isBinary ? Buffer.from(/** @type {Buffer} */ (data)) : data.toString());
      this.wake?.();
    });
    // A peer that misbehaves on purpose may see its socket fail; the close event tells the story.
    ws.on('error', () => {});
  }

  /** @param {string | Buffer} frame a string goes as a text frame, a Buffer as a binary one */
  send(frame) {
    this.ws.send(frame);
  }

  /** The next frame received. */
  async next(what = 'frame', ms = 3000) {
    if (this.inbox.length === 0) {
      await within(new Promise((resolve) => (this.wake = resolve)), what, ms).finally(() => (this.wake = null));
    }
    return /** @type {string | Buffer} */ (this.inbox.shift());
  }

  /** The next frame that is not a standalone ack (`a<n>`): acks may come at any moment. */
  async nextData(what = 'data frame', ms = 3000) {
    for (;;) {
      const frame = await this.next(what, ms);
      if (!(typeof frame === 'string' && /^a\d+$/.test(frame))) return frame;
    }
  }

  /** The next frame, which must be `expected`. */
  async expect(expected) {
    const what = typeof expected === 'string' ? JSON.stringify(expected) : `binary ${expected.toString('hex')}`;
    assert.deepEqual(await this.next(what), expected);
  }

  /** How the connection was closed (by either side). */
  close(ms = 3000) {
    return within(this.closed, 'close', ms);
  }

  /** What comes first: the close (`{ code, reason }`) or a frame (`{ frame }`). */
  closeOrFrame() {
    return within(Promise.race([this.closed, this.next('frame').then((frame) => ({ frame }))]), 'close or frame');
  }

  /** A hello; resolves with the welcome's fields `{ ack, resumed, epoch }`. */
  async hello(sid, key, epoch = 0, ack = 0, ms = 3000) {
    this.send(`h1,${sid},${key},${epoch},${ack}`);
    const welcome = String(await this.next('welcome', ms));
    const match = /^w1,(\d+),(resumed|new),(\d+)$/.exec(welcome);
    if (!match) throw new Error(`not a welcome: ${welcome}`);
    return { ack: Number(match[1]), resumed: match[2] === 'resumed', epoch: Number(match[3]) };
  }
}
