// @ts-check
/**
 * `share` (API.md §7): the instances of one share group (the same URL, protocols and `share` key
 * in one browser profile) use one connection, held by one elected tab. The share entries install
 * it (`useShare`, js/share.js); the default and acked entries do not carry it (the wasm export
 * and this file cost 10 KB gzipped).
 *
 * Each instance keeps its own driver, and so the whole drop-in surface (readyState, events, queue,
 * `drop` events, bufferedAmount), but that driver's `WebSocket` is a {@link VirtualSocket}: open
 * while the group's connection is, it hands what is sent to the group and dispatches what the
 * group receives. Its {@link ShareLink} is the instance's member of the group: the sans-IO machine
 * of `src/machine/group.rs` (through the wasm export `GroupMember`), which this file connects to
 * the browser: the group's Web Lock (`navigator.locks`), its `BroadcastChannel`, a timer, and,
 * while the member holds the lock, the group's one real connection, a second driver with the
 * user's options (heartbeat, backoff, the `WebSocket` constructor). The machine's header says what
 * the election guarantees and why (terms, lease, settle, takeover).
 *
 * With `delivery: 'acked'` the group shares one session (the machine's header, "Acknowledged
 * delivery"): the holder's connection continues it (`adoptSession`), posts each message's number
 * before its frame is written (the driver's `numbered` hook) and the server's acks (`released`),
 * and a message is confirmed to its tab once the server has it. The instance's own driver stays
 * plain: it talks to its virtual socket, not to the server.
 */

import {
  ATTRIBUTE_EXTENSIONS,
  ATTRIBUTE_PROTOCOL,
  EFFECT_CONNECT,
  EFFECT_DELIVER,
  EFFECT_DISCONNECT,
  EFFECT_NONE,
  EFFECT_POST,
  EFFECT_RELEASE_LOCK,
  EFFECT_REQUEST_LOCK,
  EFFECT_ROLE,
  EFFECT_WRITE,
  EFFECT_WRITTEN,
  KIND_CLOSE,
  KIND_DROP,
  KIND_GIVEUP,
  KIND_HEARTBEAT,
  KIND_HOOKERROR,
  KIND_MESSAGE,
  KIND_OPEN,
  DELIVERY_ACKED,
  DELIVERY_PLAIN,
  EFFECT_SESSION_LOST,
  EFFECT_UNCONFIRMED,
  HOOK_NUMBERED,
  HOOK_RELEASED,
  OPTION_CONNECT_TIMEOUT,
  OPTION_DELIVERY,
  OPTION_FIRST_DELAY,
  OPTION_HEARTBEAT,
  OPTION_MAX_DELAY,
  OPTION_MIN_DELAY,
  OPTION_START_CLOSED,
  OPTION_TIMEOUT,
  POST_BEAT,
  POST_INBOUND,
  POST_SEND,
  ROLE_NAMES,
  HOOK_WEB_SOCKET,
} from './abi.js';
import { DropEvent, HeartbeatEvent, SessionLostEvent, ShareRoleEvent, useShare } from './class.js';
import { payloadSize, snapshot, utf8Length } from './payload.js';
import { ShareTimer } from './share-timer.js';

/** The longest takeover API.md §7 allows; less with a shorter `heartbeat.timeout`. */
const MAX_TAKEOVER_MS = 2000;
/**
 * The local driver's connect timeout: never, in effect (a virtual socket waits for the group's
 * connection, whose own driver times its attempts out). Below 2^31 ms, which timers overflow.
 */
const NO_CONNECT_TIMEOUT_MS = 2_000_000_000;
/** The numbers of a post (src/web/group.rs). */
const POST_LEN = 6;
/** The close a virtual socket reports when the group's connection went away without one. */
const ABNORMAL = { code: 1006, reason: '', wasClean: false };
/** PROTOCOL.md: the server's close of a hello that acknowledges less than an earlier one did. */
const SEQ_OUT_OF_RANGE = 4501;

/** @typedef {import('./class.js').WebSocketPayload} WebSocketPayload */
/** @typedef {{ data: WebSocketPayload, size: number }} Outgoing a member's message and its size in bytes */
/**
 * What the holder adds to its beats: its connection's protocol and extensions, how it last closed,
 * whether its driver gave up, and (acked) the group's session's id and key.
 * @typedef {{ protocol: string, extensions: string, close: typeof ABNORMAL | null, gaveUp: boolean,
 *   session: { sid: string, key: string } | null }} BeatInfo
 */
/** @typedef {{ owner: number, seq: number, wire: number }} Tracked a message handed to the holder's acked connection */
/** @typedef {{ p: number[], data?: unknown, size?: number, info?: BeatInfo }} Post what the channel carries */

/**
 * The payload as the browser will send it (anything but a string or binary data as a string, as
 * the native `send()`), kept as sent: the group may send it later, after the caller changed it.
 * @param {unknown} data
 * @returns {Outgoing}
 */
function outgoing(data) {
  const size = payloadSize(data);
  if (size === undefined) {
    const text = `${data}`;
    return { data: text, size: utf8Length(text) };
  }
  return { data: /** @type {WebSocketPayload} */ (snapshot(data)), size };
}

/** 16 random bytes as 22 URL-safe base64 characters: a session's id or key (PROTOCOL.md, "Model"). */
function randomToken() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * The group's name, for its lock and its channel: the URL, the protocols and the key, and the
 * delivery (plain and acked instances cannot share a connection).
 * @param {string} url
 * @param {string[]} protocols
 * @param {string} key
 * @param {boolean} acked
 */
function groupName(url, protocols, key, acked) {
  const name = `resilient-websocket share ${JSON.stringify([url, protocols, key])}`;
  return acked ? `${name} acked` : name;
}

/**
 * A `WebSocket` as the instance's own driver sees it, with the group's connection behind it. Its
 * events are dispatched in microtasks: never while the driver's call that caused them runs.
 */
class VirtualSocket {
  readyState = 0;
  protocol = '';
  extensions = '';
  binaryType = 'blob';
  /** @type {((event: Event) => void) | null} */
  onopen = null;
  /** @type {((event: MessageEvent) => void) | null} */
  onmessage = null;
  /** @type {((event: Event) => void) | null} */
  onerror = null;
  /** @type {((event: CloseEvent) => void) | null} */
  onclose = null;
  /** @type {ShareLink} */
  #link;

  /**
   * @param {ShareLink} link
   * @param {string} url
   */
  constructor(link, url) {
    this.#link = link;
    this.url = url;
  }

  /** What the group has not yet confirmed sending of this tab's messages. */
  get bufferedAmount() {
    return this.#link.bufferedAmount;
  }

  /** @param {unknown} data */
  send(data) {
    if (this.readyState === 0) throw new DOMException("Failed to execute 'send' on 'WebSocket': Still in CONNECTING state.", 'InvalidStateError');
    // As natively, what is sent on a closing or closed socket goes nowhere.
    if (this.readyState === 1) this.#link.send(outgoing(data));
  }

  /**
   * Closes this view only: the group's connection stays for the other instances.
   * @param {number} [code]
   * @param {string} [reason]
   */
  close(code, reason) {
    if (this.readyState >= 2) return;
    this.readyState = 2;
    this.#link.detach(this);
    queueMicrotask(() => this.closed({ code: code ?? 1005, reason: reason ?? '', wasClean: true }));
  }

  /**
   * The group's connection is open (called in a microtask).
   * @param {BeatInfo | null} info
   */
  opened(info) {
    if (this.readyState !== 0) return;
    this.readyState = 1;
    this.protocol = info?.protocol ?? '';
    this.extensions = info?.extensions ?? '';
    this.onopen?.(new Event('open'));
  }

  /**
   * A message of the group's connection (called in a microtask).
   * @param {unknown} data
   */
  received(data) {
    if (this.readyState !== 1) return;
    const converted = this.binaryType === 'blob' && data instanceof ArrayBuffer ? new Blob([data]) : data;
    this.onmessage?.(new MessageEvent('message', { data: converted }));
  }

  /**
   * The view closed (called in a microtask).
   * @param {{ code: number, reason: string, wasClean: boolean }} close
   */
  closed(close) {
    if (this.readyState === 3) return;
    const failed = this.readyState === 0;
    this.readyState = 3;
    if (failed || !close.wasClean) this.onerror?.(new Event('error'));
    this.onclose?.(new CloseEvent('close', close));
  }
}

/**
 * One instance's member of its share group, and what connects the member to the browser.
 */
class ShareLink {
  /** @type {typeof import('../pkg-share/resilient_websocket.js').GroupMember} */
  #Member;
  /** @type {typeof import('../pkg-share/resilient_websocket.js').WebDriver} */
  #Driver;
  /** @type {EventTarget} the instance, for `sharerole` and the holder's `drop` events */
  #instance;
  #url;
  #protocols;
  #name;
  #bound;
  /** The user's options and hooks, for the holder's connection. */
  #config;
  #hooks;
  /** @type {InstanceType<typeof import('../pkg-share/resilient_websocket.js').GroupMember> | null} */
  #member = null;
  /** @type {BroadcastChannel | null} */
  #channel = null;
  /** Aborts the page listeners and the pending lock request of the current member. */
  /** @type {AbortController | null} */
  #joined = null;
  /** The current lock request; a grant or failure of an older one is let go. */
  #request = 0;
  /** @type {(() => void) | null} lets the held lock go */
  #release = null;
  /** @type {ShareTimer | null} the member's deadline (a worker's timer: not throttled in a hidden tab) */
  #timer = null;
  /** The deadline the timer is armed for (NaN: none). */
  #deadline = NaN;
  /** This tab's messages by their number, until the group confirms them written. */
  /** @type {Map<number, Outgoing>} */
  #outgoing = new Map();
  #bufferedAmount = 0;
  /** @type {Set<VirtualSocket>} the instance's sockets that are not closed */
  #sockets = new Set();
  /** Messages that arrived while none of the instance's sockets was open. */
  /** @type {unknown[]} */
  #early = [];
  /** @type {BeatInfo | null} what the latest holder's beat said */
  #info = null;
  #infoTerm = [0, 0];
  /** @type {InstanceType<typeof import('../pkg-share/resilient_websocket.js').WebDriver> | null} */
  #connection = null;
  /** @type {{ readyState: number } | null} the holder's connection's latest socket */
  #socket = null;
  /** The holder's connection is open (before the settle that `member.open()` waits for). */
  #connectionOpen = false;
  /** @type {BeatInfo} what this tab's beats say while it holds */
  #own = { protocol: '', extensions: '', close: null, gaveUp: false, session: null };
  /** The group shares one session (`delivery: 'acked'`). */
  #acked;
  /** Acked: the messages handed to the holder's connection, by the driver's id for them. */
  /** @type {Map<number, Tracked>} */
  #tracked = new Map();
  /** @type {Tracked | null} the message being handed over (its number may come before its id) */
  #handing = null;
  /** Acked: the highest number the server acknowledged on the holder's connection. */
  #ackedUpto = 0;
  /** @type {{ sid: string, key: string } | null} acked: the group's session, as this tab last heard of it */
  #session = null;
  /** Acked: a post of the highest acknowledged is scheduled. */
  #ackPending = false;
  /** The holder's connection has been welcomed once (acked) or opened. */
  #everOpen = false;
  /** @type {Post | null} the post being handled, for `write` and `deliver` */
  #handling = null;
  /** @type {unknown} the message the holder's connection just received */
  #inbound;
  /** The page is hidden in the back/forward cache or frozen: no member until it comes back. */
  #away = false;
  #role = /** @type {import('./class.js').ShareRole} */ ('electing');
  #out = new Float64Array(POST_LEN);

  /**
   * @param {{ Member: any, Driver: any, instance: EventTarget, url: string, protocols: string[],
   *   key: string, config: Float64Array, hooks: unknown[] }} options
   */
  constructor({ Member, Driver, instance, url, protocols, key, config, hooks }) {
    this.#Member = Member;
    this.#Driver = Driver;
    this.#instance = instance;
    this.#url = url;
    this.#protocols = protocols;
    this.#acked = config[OPTION_DELIVERY] === DELIVERY_ACKED;
    this.#name = groupName(url, protocols, key, this.#acked);
    const timeout = config[OPTION_TIMEOUT];
    this.#bound = config[OPTION_HEARTBEAT] === 1 && Number.isFinite(timeout) ? Math.min(timeout, MAX_TAKEOVER_MS) : MAX_TAKEOVER_MS;
    this.#config = config.slice();
    this.#config[OPTION_START_CLOSED] = 0;
    this.#hooks = hooks.slice();
    // The holder's connection's sockets, kept to see one that the browser is closing before its
    // close event (Firefox closes a leaving page's sockets before `pagehide`).
    const Socket = /** @type {new (...args: unknown[]) => { readyState: number }} */ (hooks[HOOK_WEB_SOCKET]);
    const link = this;
    this.#hooks[HOOK_WEB_SOCKET] = function GroupWebSocket(/** @type {unknown[]} */ ...args) {
      const socket = Reflect.construct(Socket, args);
      link.#socket = socket;
      return socket;
    };
  }

  /** `shareRole`. */
  get role() {
    return this.#role;
  }

  get bufferedAmount() {
    return this.#bufferedAmount;
  }

  /**
   * The options of the instance's own driver: no heartbeat (the holder's connection has it), and
   * a new virtual socket at once after one closes (it opens when the group's connection does);
   * its `WebSocket` is this link's.
   * @param {Float64Array} config
   * @param {unknown[]} hooks
   */
  localOptions(config, hooks) {
    config[OPTION_HEARTBEAT] = 0;
    config[OPTION_FIRST_DELAY] = 0;
    config[OPTION_MIN_DELAY] = 0;
    config[OPTION_MAX_DELAY] = 0;
    config[OPTION_CONNECT_TIMEOUT] = NO_CONNECT_TIMEOUT_MS;
    // The holder's connection speaks the protocol; the virtual socket carries payloads as they are.
    config[OPTION_DELIVERY] = DELIVERY_PLAIN;
    const link = this;
    hooks[HOOK_WEB_SOCKET] = function SharedWebSocket() {
      return link.#attach();
    };
  }

  /** The instance's driver constructs a socket: a view of the group's connection. */
  #attach() {
    const socket = new VirtualSocket(this, this.#url);
    this.#sockets.add(socket);
    if (this.#info?.gaveUp && !this.#holding()) {
      // The group's connection gave up: the instance's driver hears a failed attempt.
      queueMicrotask(() => {
        this.#sockets.delete(socket);
        socket.closed(ABNORMAL);
      });
    } else if (!this.#away) {
      this.#join();
      this.#sync();
    }
    return socket;
  }

  /**
   * The instance's driver closed its socket.
   * @param {VirtualSocket} socket
   */
  detach(socket) {
    this.#sockets.delete(socket);
  }

  /**
   * The instance ended (a terminal close, or it gave up): leave the group, and drop what the
   * group had not sent of this tab's messages, with `drop` events.
   */
  end() {
    // Acked: a message the group's session numbered may still arrive, or not.
    const member = this.#member;
    const unsent = [...this.#outgoing].map(([seq, { data }]) => ({ data, numbered: member?.isNumbered(seq) === true }));
    this.#leave();
    this.#early = [];
    this.#outgoing.clear();
    this.#bufferedAmount = 0;
    for (const { data, numbered } of unsent) this.#instance.dispatchEvent(new DropEvent(data, numbered ? 'unconfirmed' : 'closed'));
  }

  /** @param {Outgoing} message */
  send(message) {
    this.#run((member, now) => {
      this.#outgoing.set(member.send(now), message);
      this.#bufferedAmount += message.size;
    });
  }

  #holding() {
    return this.#role === 'holder';
  }

  /** Becomes a member, unless it is one already. */
  #join() {
    if (this.#member !== null) return;
    const joined = new AbortController();
    this.#joined = joined;
    const channel = new BroadcastChannel(this.#name);
    this.#channel = channel;
    channel.onmessage = (event) => this.#heard(/** @type {MessageEvent<Post>} */ (event).data);
    const signal = joined.signal;
    // Leaving as the page goes into the back/forward cache or is frozen passes the lock at once
    // (a frozen tab keeps it, and the others would wait for the takeover); coming back joins anew.
    for (const type of ['pagehide', 'freeze']) {
      globalThis.addEventListener?.(type, () => this.#goAway(), { signal });
    }
    this.#deadline = NaN;
    this.#timer = new ShareTimer(() => {
      this.#deadline = NaN;
      this.#run((member, now) => member.timer(now));
    });
    const id = crypto.getRandomValues(new Uint32Array(2));
    // 53 random bits: an integer that a double holds exactly.
    this.#member = new this.#Member((id[0] & 0x1fffff) * 2 ** 32 + id[1], this.#bound, performance.now(), this.#acked);
    this.#setRole('electing');
    // Messages a previous member did not see written go out again through this one.
    const pending = [...this.#outgoing.values()];
    this.#outgoing.clear();
    this.#bufferedAmount = 0;
    for (const message of pending) this.send(message);
    this.#run(() => {});
  }

  #goAway() {
    this.#away = true;
    this.#leave();
    const returned = new AbortController();
    const back = () => {
      returned.abort();
      this.#away = false;
      if (this.#sockets.size > 0) {
        this.#join();
        this.#sync();
      }
    };
    for (const type of ['pageshow', 'resume']) globalThis.addEventListener?.(type, back, { signal: returned.signal });
  }

  #leave() {
    if (this.#member === null) return;
    this.#run((member, now) => member.leave(now));
    this.#request += 1;
    this.#joined?.abort();
    this.#joined = null;
    this.#channel?.close();
    this.#channel = null;
    this.#timer?.dispose();
    this.#timer = null;
    const member = this.#member;
    this.#member = null;
    member.free();
    this.#info = null;
    this.#infoTerm = [0, 0];
    this.#sync();
  }

  /**
   * Calls the member, then does what it asks, then re-arms its timer and shows the group's state
   * on the instance's sockets.
   * @param {(member: InstanceType<typeof import('../pkg-share/resilient_websocket.js').GroupMember>, now: number) => void} step
   */
  #run(step) {
    const member = this.#member;
    if (member === null) return;
    const now = performance.now();
    if (this.#connectionOpen && this.#socket?.readyState !== 1) {
      // The browser is closing the socket and its close event has not come yet: what the member
      // would write now would be lost, and confirmed to its sender.
      this.#connectionOpen = false;
      member.socketClosed(now, false);
    }
    step(member, now);
    const out = this.#out;
    // An effect may end the member (`#leave` frees it): then the rest is not done.
    for (let effect = member.poll(out); effect !== EFFECT_NONE; effect = this.#member === member ? member.poll(out) : EFFECT_NONE) {
      this.#perform(effect, out);
    }
    if (this.#member !== member) return;
    const deadline = member.deadline();
    // Most steps (a message in or out) leave the deadline where it was: the worker hears of changes only.
    if (!Object.is(deadline, this.#deadline)) {
      this.#deadline = deadline;
      if (Number.isNaN(deadline)) this.#timer?.cancel();
      else this.#timer?.arm(deadline - performance.now());
    }
    this.#sync();
  }

  /**
   * @param {number} effect
   * @param {Float64Array} out
   */
  #perform(effect, out) {
    switch (effect) {
      case EFFECT_POST:
        return this.#post(Array.from(out));
      case EFFECT_REQUEST_LOCK:
        return this.#requestLock(out[0] === 1);
      case EFFECT_RELEASE_LOCK:
        this.#release?.();
        this.#release = null;
        return;
      case EFFECT_CONNECT:
        return this.#connect(out[0], out[1]);
      case EFFECT_DISCONNECT:
        return this.#disconnect();
      case EFFECT_WRITE: {
        const own = out[0] === this.#member?.id();
        const message = own ? this.#outgoing.get(out[1]) : this.#handling;
        const connection = this.#connection;
        if (!message || !connection) return;
        if (!this.#acked) {
          connection.send(message.data, message.size ?? 0);
          return;
        }
        // The `numbered` hook may run inside `sendTracked`, before its id is known.
        const tracked = { owner: out[0], seq: out[1], wire: 0 };
        this.#handing = tracked;
        try {
          const id = connection.sendTracked(message.data, message.size ?? 0);
          if (id >= 0) this.#tracked.set(id, tracked);
        } finally {
          this.#handing = null;
        }
        return;
      }
      case EFFECT_DELIVER:
        // An `inbound` post's message, or (the holder) the one its connection just received.
        return this.#deliver(this.#handling ? this.#handling.data : this.#inbound);
      case EFFECT_WRITTEN: {
        const message = this.#outgoing.get(out[0]);
        this.#outgoing.delete(out[0]);
        if (message) this.#bufferedAmount -= message.size;
        return;
      }
      case EFFECT_ROLE:
        return this.#setRole(/** @type {import('./class.js').ShareRole} */ (ROLE_NAMES[out[0]]));
      case EFFECT_UNCONFIRMED: {
        // In the session the server lost: sent, and perhaps never arrived.
        const message = this.#outgoing.get(out[0]);
        this.#outgoing.delete(out[0]);
        if (!message) return;
        this.#bufferedAmount -= message.size;
        queueMicrotask(() => this.#instance.dispatchEvent(new DropEvent(message.data, 'unconfirmed')));
        return;
      }
      case EFFECT_SESSION_LOST: {
        const unconfirmed = out[0];
        queueMicrotask(() => this.#instance.dispatchEvent(new SessionLostEvent(unconfirmed)));
        return;
      }
    }
  }

  /** @param {number[]} numbers */
  #post(numbers) {
    /** @type {Post} */
    const post = { p: numbers };
    if (numbers[0] === POST_SEND) {
      const message = this.#outgoing.get(numbers[4]);
      if (!message) return;
      post.data = message.data;
      post.size = message.size;
    } else if (numbers[0] === POST_BEAT) {
      post.info = this.#own;
    } else if (numbers[0] === POST_INBOUND) {
      post.data = this.#inbound;
    }
    try {
      this.#channel?.postMessage(post);
    } catch (error) {
      // A payload the channel cannot clone: reported, and the post lost like one in a crash.
      reportError(error);
    }
  }

  /** @param {Post} post */
  #heard(post) {
    if (!post || !Array.isArray(post.p) || post.p.length !== POST_LEN) return;
    const [kind, count, holder] = post.p;
    if (kind === POST_BEAT && post.info) {
      const [knownCount, knownHolder] = this.#infoTerm;
      if (count > knownCount || (count === knownCount && holder >= knownHolder)) {
        this.#info = post.info;
        this.#infoTerm = [count, holder];
        if (post.info.session) this.#session = post.info.session;
      }
    }
    this.#handling = post;
    try {
      this.#run((member, now) => member.post(now, new Float64Array(post.p)));
    } finally {
      this.#handling = null;
    }
  }

  /** @param {boolean} steal */
  #requestLock(steal) {
    const token = ++this.#request;
    const signal = this.#joined?.signal;
    if (!signal) return;
    /** @param {unknown} _lock */
    const granted = (_lock) => {
      if (token !== this.#request || this.#member === null) return undefined;
      return new Promise((resolve) => {
        this.#release = () => resolve(undefined);
        this.#run((member, now) => member.granted(now, Date.now()));
      });
    };
    // A steal cannot be aborted (the Web Locks API refuses a signal with `steal`); a grant that
    // comes after a newer request is let go at once by `granted`.
    const options = steal ? { steal: true } : { signal };
    navigator.locks.request(this.#name, options, granted).catch((/** @type {unknown} */ error) => {
      const aborted = error instanceof DOMException && error.name === 'AbortError';
      if (token === this.#request && !(aborted && signal.aborted)) {
        this.#release = null;
        this.#run((member, now) => member.lost(now));
      }
    });
  }

  /**
   * The member holds the lock: the group's connection, with the user's options; acked, it
   * continues the group's session at incarnation `epoch` with the server's messages received up
   * to `received` (NaN both in plain).
   * @param {number} epoch
   * @param {number} received
   */
  #connect(epoch, received) {
    this.#own = { protocol: '', extensions: '', close: null, gaveUp: false, session: null };
    this.#connectionOpen = false;
    this.#everOpen = false;
    this.#socket = null;
    this.#tracked.clear();
    this.#ackedUpto = 0;
    this.#ackPending = false;
    const Driver = this.#Driver;
    const hooks = this.#hooks.slice();
    /** @type {InstanceType<typeof import('../pkg-share/resilient_websocket.js').WebDriver> | null} */
    let connection = null;
    if (this.#acked) {
      hooks[HOOK_NUMBERED] = (/** @type {number} */ id, /** @type {number} */ wire) => {
        if (this.#connection === connection) this.#numbered(id, wire);
      };
      hooks[HOOK_RELEASED] = (/** @type {number} */ id) => {
        if (this.#connection === connection) this.#released(id);
      };
    }
    connection = new Driver(this.#url, this.#protocols, false, this.#config, hooks, {
      emit: (/** @type {number} */ kind, /** @type {any} */ a, /** @type {any} */ b, /** @type {any} */ c) => {
        // A connection the member stepped down from closes on its own: nothing of it counts.
        if (this.#connection === connection) this.#onConnection(kind, a, b, c);
      },
      // Every message through `emit`: the direct path is the instance's class's alone.
      listen: () => undefined,
    });
    this.#connection = connection;
    connection.setBinaryType('arraybuffer');
    if (this.#acked) {
      // The session the group knows, or (none known) a new one.
      const known = epoch > 0 && this.#session !== null;
      const session = known && this.#session ? this.#session : { sid: randomToken(), key: randomToken() };
      connection.adoptSession(session.sid, session.key, known ? epoch : 0, known ? received : 0);
      this.#own.session = session;
      this.#session = session;
    }
    connection.start();
  }

  /**
   * Acked: the holder's connection is about to write message `id` as the session's `wire`: the
   * group hears of it first, in a post made now (not queued behind the step that wrote it).
   * @param {number} id
   * @param {number} wire
   */
  #numbered(id, wire) {
    const tracked = this.#tracked.get(id) ?? this.#handing;
    const member = this.#member;
    if (!tracked || !member) return;
    tracked.wire = wire;
    this.#tracked.set(id, tracked);
    const out = new Float64Array(POST_LEN);
    if (member.numbered(tracked.owner, tracked.seq, wire, out)) this.#post(Array.from(out));
  }

  /**
   * Acked: the server acknowledged message `id`: the group hears of the highest acknowledged
   * once the driver's step is done.
   * @param {number} id
   */
  #released(id) {
    const tracked = this.#tracked.get(id);
    this.#tracked.delete(id);
    if (!tracked || tracked.wire <= this.#ackedUpto) return;
    this.#ackedUpto = tracked.wire;
    if (this.#ackPending) return;
    this.#ackPending = true;
    const connection = this.#connection;
    queueMicrotask(() => {
      this.#ackPending = false;
      if (this.#connection === connection) this.#run((member, now) => member.socketAcked(now, this.#ackedUpto));
    });
  }

  /** The member stepped down: its connection closes, and nothing more goes out on it. */
  #disconnect() {
    const connection = this.#connection;
    this.#connection = null;
    this.#socket = null;
    this.#connectionOpen = false;
    // Closing a closed driver is a no-op; the glue frees it once it is unreachable.
    connection?.close(1000, '');
  }

  /**
   * What the holder's connection reports.
   * @param {number} kind
   * @param {any} a
   * @param {any} b
   * @param {any} c
   */
  #onConnection(kind, a, b, c) {
    const connection = /** @type {InstanceType<typeof import('../pkg-share/resilient_websocket.js').WebDriver>} */ (this.#connection);
    switch (kind) {
      case KIND_OPEN: {
        this.#own.close = null;
        this.#own.protocol = connection.attribute(ATTRIBUTE_PROTOCOL);
        this.#own.extensions = connection.attribute(ATTRIBUTE_EXTENSIONS);
        this.#connectionOpen = true;
        this.#everOpen = true;
        // Acked: `b` is the incarnation the server welcomed it into, `c` how far it has the
        // group's messages.
        return this.#run((member, now) => member.socketOpen(now, b ?? NaN, c ?? NaN));
      }
      case KIND_MESSAGE:
        this.#inbound = a;
        // Acked: `b` is the server's number for it.
        return this.#run((member, now) => member.socketMessage(now, b ?? 0));
      case KIND_CLOSE:
        this.#own.close = { code: a, reason: b, wasClean: c };
        this.#connectionOpen = false;
        // Acked: a hello refused for acknowledging less than an earlier connection did: a new session.
        const refused = this.#acked && a === SEQ_OUT_OF_RANGE && !this.#everOpen;
        return this.#run((member, now) => member.socketClosed(now, refused));
      case KIND_GIVEUP:
        this.#own.gaveUp = true;
        return this.#sync();
      // The group's heartbeat and what its connection's queue dropped: shown in the holder's tab.
      case KIND_HEARTBEAT:
        return this.#instance.dispatchEvent(new HeartbeatEvent(a));
      case KIND_DROP:
        // Acked: the members report their own messages of a lost session.
        if (this.#acked && b === 'unconfirmed') return;
        return this.#instance.dispatchEvent(new DropEvent(a, b));
      case KIND_HOOKERROR:
        return reportError(a);
    }
  }

  /**
   * A message of the group's connection for the instance's sockets.
   * @param {unknown} data
   */
  #deliver(data) {
    let open = false;
    // Not to a socket that the end of this step closes (`#sync`: the member just stepped down).
    if (this.#groupOpen()) {
      for (const socket of this.#sockets) {
        if (socket.readyState === 1) {
          open = true;
          queueMicrotask(() => socket.received(data));
        }
      }
    }
    // Kept for the instance's next socket: one still connecting, or the one its driver makes next.
    if (!open) this.#early.push(data);
  }

  /** Whether the group's connection is open, as this member knows it. */
  #groupOpen() {
    return this.#holding() && this.#member !== null ? this.#connectionOpen : this.#member?.open() === true;
  }

  /** Shows the group's state on the instance's sockets: open while the group's connection is. */
  #sync() {
    const holding = this.#holding() && this.#member !== null;
    const open = this.#groupOpen();
    const gaveUp = holding ? this.#own.gaveUp : this.#info?.gaveUp === true;
    const info = holding ? this.#own : this.#info;
    for (const socket of this.#sockets) {
      if (socket.readyState === 0 && open) {
        const early = this.#early;
        this.#early = [];
        queueMicrotask(() => {
          socket.opened(info);
          for (const data of early) socket.received(data);
        });
      } else if ((socket.readyState === 1 && !open) || (socket.readyState === 0 && gaveUp)) {
        // Closed as the group's connection closed, or 1006 if it went away without a close (its
        // holder lost) or never opened.
        this.#sockets.delete(socket);
        socket.readyState = 2;
        const close = info?.close ?? ABNORMAL;
        queueMicrotask(() => socket.closed(close));
      }
    }
  }

  /** @param {import('./class.js').ShareRole} role */
  #setRole(role) {
    if (this.#role === role) return;
    this.#role = role;
    // Later: a listener (user code) must not run while the member's effects are being done.
    queueMicrotask(() => this.#instance.dispatchEvent(new ShareRoleEvent(role)));
  }
}

/**
 * Installs sharing for every instance, with the share build's `GroupMember` and `WebDriver`.
 * @internal Used by the share entries.
 * @param {unknown} Member the glue's `GroupMember`
 * @param {unknown} Driver the glue's `WebDriver`
 */
export function installShare(Member, Driver) {
  useShare(({ providers, config, hooks, ...options }) => {
    if (providers) throw new TypeError('share needs a fixed URL and protocols: the group is named by them (no provider functions)');
    if (typeof BroadcastChannel !== 'function' || !globalThis.navigator?.locks) {
      // Web Locks need a secure context (https, or http on localhost).
      console.warn('ResilientWebSocket: share needs Web Locks and BroadcastChannel (a secure context): this instance has a connection of its own');
      return null;
    }
    const link = new ShareLink({ Member, Driver, config, hooks, ...options });
    link.localOptions(config, hooks);
    return link;
  });
}
