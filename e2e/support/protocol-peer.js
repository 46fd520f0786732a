// A raw client of the acknowledged-delivery protocol (PROTOCOL.md) on Node's `ws`, frame by frame:
// for the tests of the session stores and the cluster benchmark, which need to see every frame and
// to play clients the browser would not (two connections of one session, a client that stays away).
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
    ws.on('error', () => {});
  }

  /** @param {string | Buffer} frame */
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

  /** How the connection was closed (by either side). */
  close(ms = 3000) {
    return within(this.closed, 'close', ms);
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
