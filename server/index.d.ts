// Types of resilient-websocket/server (server/index.js): the Node `ws` adapter of acknowledged
// delivery. The protocol itself is PROTOCOL.md. Needs @types/node and, for the `ws` types it
// takes and holds, @types/ws.
import { EventEmitter } from 'node:events';
import type { WebSocket, WebSocketServer } from 'ws';

/** The protocol version this adapter speaks (the `1` of `h1,…` and `w1,…`). */
export declare const PROTOCOL_VERSION: 1;

/** The close codes of PROTOCOL.md, "Errors". */
export declare const CloseCode: Readonly<{
  /** A frame larger than `maxMessageBytes`. */
  TOO_BIG: 1009;
  /** `maxSessions` reached with every session's client connected: come back later. */
  TOO_MANY_SESSIONS: 1013;
  /** The session store could not be reached (a hello refused, or a connection whose store write failed): come back later. */
  STORE_UNAVAILABLE: 1013;
  /** No hello within `helloTimeout` of the connection. */
  NO_HELLO: 4408;
  /** The session was taken over by a newer connection of the same client. */
  TAKEN_OVER: 4409;
  /** The session exceeded `maxQueueMessages` or `maxQueueBytes` and was discarded. */
  OVERFLOW: 4413;
  /** Not a frame of the protocol, or a frame at the wrong moment (data before the hello, a second hello). */
  MALFORMED: 4500;
  /** A sequence number that skips ahead (a gap), is 0, or is above 2^53−1. */
  SEQ_OUT_OF_RANGE: 4501;
  /** An ack for a message that was never sent. */
  ACK_UNSENT: 4502;
  /** The session id belongs to another client (wrong key). */
  NOT_YOURS: 4503;
  /** A hello of a protocol version other than {@link PROTOCOL_VERSION}. */
  VERSION: 4505;
}>;

/** One of the {@link CloseCode} values. */
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** The codes a client that broke the protocol is closed with (the `violation` event). */
export type ViolationCode = Exclude<CloseCode, 1013 | 4409 | 4413>;

export interface AckedServerOptions {
  /** How long a session whose connection is gone is kept for the client to resume it, in ms. Default 120,000. */
  sessionTtl?: number;
  /** The most messages a session keeps sent and not yet acknowledged. Default 10,000. */
  maxQueueMessages?: number;
  /** The most bytes of payload a session keeps sent and not yet acknowledged. Default 16 MiB. */
  maxQueueBytes?: number;
  /** How long a new connection may take to send its hello, in ms (then 4408). Default 10,000. */
  helloTimeout?: number;
  /** The longest a received message waits for its ack, in ms. Default 100. */
  ackInterval?: number;
  /** The largest frame a client may send, envelope included, in bytes (then 1009). Default 1 MiB. */
  maxMessageBytes?: number;
  /**
   * The most sessions kept at once. A hello that would start one more evicts the session whose
   * client has been away longest; when every session has its client connected, the new client is
   * closed with 1013 (try again later). Either way, `limit` tells. Default 10,000.
   */
  maxSessions?: number;
  /**
   * Where the sessions live (API.md §6): a {@link MemorySessionStore} of this process unless given;
   * a `RedisSessionStore` (`resilient-websocket/server/redis`) shared by every node of a cluster.
   */
  store?: SessionStore;
}

/** A message sent and not yet acknowledged, as a store keeps it. */
export interface StoredMessage {
  seq: number;
  payload: string | Buffer;
}

/** A client message recorded and not known to have reached an application, with the owner token of the connection that recorded it. */
export interface InboxMessage extends StoredMessage {
  owner: string;
}

/** What a hello found (see server/store.js). */
export type Claim =
  | { verdict: 'not-yours' | 'ack-too-low' | 'ack-unsent' }
  | {
      verdict: 'resumed' | 'new' | 'fresh';
      epoch: number;
      received: number;
      lastSeq: number;
      window: StoredMessage[];
      /** Client messages recorded and not known to have reached an application. */
      inbox: InboxMessage[];
      /** The owner token of the connection that held the session until now, if still connected. */
      previous: string | null;
      /** The owner token of the last connection that held the session, connected or not. */
      holder: string | null;
    };

/** What `append` did: the seq and the owner that must send it, an overflow, or null (no such session). */
export type Appended =
  | { seq: number; owner: string; connected: boolean }
  | { overflow: { messages: number; bytes: number }; owner: string }
  | null;

/**
 * What a store tells a node: about a session it holds (`taken`, `wake`, `ended`), or the handover of
 * a session's inbox (`flush`: finish what you do with its client messages; `flushed`: done).
 */
export interface StoreNotice {
  kind: 'taken' | 'wake' | 'ended' | 'flush' | 'flushed';
  sid: string;
  /** The owner token of the connection concerned. */
  owner: string;
  code?: number;
}

/**
 * The session store interface (server/store.js documents each method). Every write names the
 * connection it comes from (its owner token); writes from a connection that no longer owns the
 * session are refused, so that one session never advances on two connections.
 */
export interface SessionStore {
  register(node: { notice(notice: StoreNotice): void }): Promise<string>;
  available(): boolean;
  alive(nodeId: string): Promise<boolean>;
  claim(
    hello: { sid: string; keyHash: string; epoch: number; ack: number },
    claim: { owner: string; newEpoch: number; ttl: number },
  ): Promise<Claim>;
  append(sid: string, payload: string | Buffer, bounds: { maxMessages: number; maxBytes: number; ttl: number }): Promise<Appended>;
  received(sid: string, owner: string, seq: number, ttl: number, payload: string | Buffer): Promise<boolean>;
  delivered(sid: string, seq: number): Promise<void>;
  inbox(sid: string): Promise<InboxMessage[]>;
  release(sid: string, owner: string, ack: number, ttl: number): Promise<boolean>;
  range(sid: string, fromSeq: number): Promise<StoredMessage[]>;
  detach(sid: string, owner: string, ttl: number): Promise<void>;
  refresh(sids: string[], ttl: number): Promise<void>;
  discard(sid: string, owner?: string): Promise<boolean>;
  notify(owner: string, notice: StoreNotice): Promise<void>;
  close(): Promise<void>;
}

/** The embedded default store: this process's memory (several adapters of one process may share one). */
export declare class MemorySessionStore {
  constructor();
}
/** Its methods are those of {@link SessionStore} (declaration merging: one list for every store). */
export interface MemorySessionStore extends SessionStore {}

/** What a client sent, as {@link parseClientFrame} reads it. */
export type ClientFrame =
  | { kind: 'hello'; version: number; sid: string; key: string; epoch: number; ack: number }
  | { kind: 'data'; seq: number; ack: number; payload: string; isBinary: false }
  | { kind: 'data'; seq: number; ack: number; payload: Buffer; isBinary: true }
  | { kind: 'ack'; ack: number }
  | { kind: 'ping' }
  | { kind: 'pong' };

/**
 * Parses one client frame (a text frame's bytes with `isBinary` false). Throws an `Error` whose
 * `code` is the {@link ViolationCode} to close with when the frame is not one of the protocol's.
 */
export declare function parseClientFrame(data: Buffer, isBinary: boolean): ClientFrame;

/**
 * Why a session ended here: its ttl ran out, it exceeded its bounds, `session.close()` (or
 * `server.close()`, which leaves it in the store), it made room for a new session (`maxSessions`),
 * or its client resumed it on another node (`moved`: it goes on there).
 */
export type SessionEndReason = 'expired' | 'overflow' | 'closed' | 'evicted' | 'moved';

/**
 * Which delivery of which client message a `message` event is (PROTOCOL.md, "Sessions in a store").
 * A message is handed to the application once, but when its node died (or lost the store) after
 * its application had it and before the store knew: then the node that takes the session next hands
 * it over again, flagged `redelivered`, with the same `id`. An application that must apply each
 * message once keeps the ids it applied with the effect (one transaction) and skips a `redelivered`
 * one it has.
 */
export interface Delivery {
  /** `<session id>:<epoch>:<seq>`: the same for every delivery of one client message. */
  id: string;
  /** The session's incarnation. */
  epoch: number;
  /** The client message's sequence number in that incarnation. */
  seq: number;
  /**
   * `true` when handed over from the store by a connection that did not record it: an application
   * may have had it already. `false`: this is the only delivery that goes without the flag.
   */
  redelivered: boolean;
}

/** The arguments of a `message` event: text as a string, binary as a Buffer. */
export type SessionMessage = [data: string, isBinary: false] | [data: Buffer, isBinary: true];

/** The arguments of a `message` event with the third, which delivery it is. */
export type DeliveredMessage = [data: string, isBinary: false, delivery: Delivery] | [data: Buffer, isBinary: true, delivery: Delivery];

/** What a session's `connect` event tells. */
export interface SessionConnectInfo {
  /** `true` when the client resumed this incarnation; `false` when it started it (its first welcome). */
  resumed: boolean;
}

/**
 * One client's session: two numbered message streams that outlive connections. Made by the
 * {@link AckedServer} (see its `session` event), never by the application.
 */
export declare class Session extends EventEmitter {
  private constructor(server: AckedServer, id: string, key: string);
  /** The adapter that holds the session. */
  readonly server: AckedServer;
  /** The session id the client chose. */
  readonly id: string;
  /** The incarnation of the session's state (PROTOCOL.md, "Model"), random in 1..2^53−1. */
  readonly epoch: number;
  /** The sequence number of the last client message the store recorded (what this side acknowledges). */
  readonly received: number;
  /** The sequence number of the last message sent to the client. */
  readonly lastSeq: number;
  /** Whether a client connection holds the session now. */
  readonly connected: boolean;
  /** Messages sent and not yet acknowledged by the client (those still being written to the store included). */
  readonly unacked: number;
  /** Whether the session ended (`end` fired); it then takes no more messages. */
  readonly ended: boolean;
  /** The connection that holds the session now, if any. */
  readonly socket: WebSocket | null;

  /**
   * Sends a message to the client: now if it is connected, else when it comes back. Returns false
   * when the session has ended, or when the message would exceed the session's bounds (the server
   * then fires `overflow`, closes the connection with 4413 and discards the session).
   */
  send(data: string | Buffer | ArrayBuffer | ArrayBufferView): boolean;
  /** Ends the session for good: its connection (if any) is closed with `code`, its state dropped. */
  close(code?: number, reason?: string): void;

  /** A message from the client, in order; once, or again flagged `redelivered` (see {@link Delivery}). */
  on(event: 'message', listener: (...message: DeliveredMessage) => void): this;
  /** The same, for a listener of the data and the flag only. */
  on(event: 'message', listener: (...message: SessionMessage) => void): this;
  /** A connection took the session (after its hello). */
  on(event: 'connect', listener: (info: SessionConnectInfo) => void): this;
  /** The connection that held the session is gone; the session waits `sessionTtl` for the client. */
  on(event: 'disconnect', listener: () => void): this;
  /** The session ended for good. */
  on(event: 'end', listener: (reason: SessionEndReason) => void): this;

  once(event: 'message', listener: (...message: DeliveredMessage) => void): this;
  once(event: 'message', listener: (...message: SessionMessage) => void): this;
  once(event: 'connect', listener: (info: SessionConnectInfo) => void): this;
  once(event: 'disconnect', listener: () => void): this;
  once(event: 'end', listener: (reason: SessionEndReason) => void): this;

  off(event: 'message', listener: (...message: DeliveredMessage) => void): this;
  off(event: 'message', listener: (...message: SessionMessage) => void): this;
  off(event: 'connect', listener: (info: SessionConnectInfo) => void): this;
  off(event: 'disconnect', listener: () => void): this;
  off(event: 'end', listener: (reason: SessionEndReason) => void): this;
}

/** What the `overflow` event tells: the session's queue when the send that did not fit came. */
export interface OverflowInfo {
  /** Messages sent and not yet acknowledged. */
  messages: number;
  /** Their payload bytes. */
  bytes: number;
  /** `maxQueueMessages`. */
  limitMessages: number;
  /** `maxQueueBytes`. */
  limitBytes: number;
}

/** What the `expired` event tells. */
export interface ExpiredInfo {
  /** Messages the client never acknowledged, now gone with the session. */
  unacked: number;
}

/** What the `limit` event tells: `maxSessions` was reached by a hello that would start a session. */
export interface LimitInfo {
  /** `maxSessions`. */
  limit: number;
  /** The session evicted to make room (its client was away), or null: the new client was refused with 1013. */
  evicted: Session | null;
}

/** What the `violation` event tells: a client broke the protocol and was closed with `code`. */
export interface ViolationInfo {
  code: ViolationCode;
  /** The close reason sent with the code. */
  reason: string;
  /** The session the connection held, or null (before or instead of a hello). */
  session: Session | null;
}

/**
 * The adapter: give it a `ws` WebSocketServer (or `null`, and hand it connections with
 * `accept()`); the application gets plain messages and a `send()` per session.
 */
export declare class AckedServer extends EventEmitter {
  /** Throws a TypeError when an option (other than `store`) is not a number > 0. */
  constructor(wss: WebSocketServer | null, options?: AckedServerOptions);
  /** The options in effect, defaults included (the store is {@link AckedServer.store}). */
  readonly options: Readonly<Required<Omit<AckedServerOptions, 'store'>>>;
  /** The sessions kept now, by session id. */
  readonly sessions: ReadonlyMap<string, Session>;

  /** The session store in use. */
  readonly store: SessionStore;

  /** Takes over one client connection (from a WebSocketServer's `connection` event). */
  accept(ws: WebSocket): void;
  /**
   * Sends to session `sessionId` wherever its client is connected (any node sharing the store), or
   * keeps the message in the store until the client comes back; in order per sending node. False
   * when the store has no such session or the message would exceed its bounds (then discarded).
   */
  sendTo(sessionId: string, data: string | Buffer | ArrayBuffer | ArrayBufferView): Promise<boolean>;
  /**
   * Stops accepting and lets go of every session (closed with 1001); they stay in the store.
   * Resolves once every message the store recorded has been given to the application.
   */
  close(): Promise<void>;

  /** A session this node starts holding: a new one, a new incarnation of one the store had lost (the client is told with `sessionlost`), or one whose client comes from another node. */
  on(event: 'session', listener: (session: Session) => void): this;
  /** A `send()` would have exceeded the session's bounds: the session is discarded. */
  on(event: 'overflow', listener: (session: Session, info: OverflowInfo) => void): this;
  /** A session whose client stayed away for `sessionTtl` was forgotten. */
  on(event: 'expired', listener: (session: Session, info: ExpiredInfo) => void): this;
  /** A client broke the protocol and was closed. */
  on(event: 'violation', listener: (violation: ViolationInfo) => void): this;
  /** `maxSessions` was reached: a session was evicted, or a new client refused. */
  on(event: 'limit', listener: (info: LimitInfo) => void): this;
  on(event: 'storeerror', listener: (error: unknown, session: Session | null) => void): this;

  once(event: 'session', listener: (session: Session) => void): this;
  once(event: 'overflow', listener: (session: Session, info: OverflowInfo) => void): this;
  once(event: 'expired', listener: (session: Session, info: ExpiredInfo) => void): this;
  once(event: 'violation', listener: (violation: ViolationInfo) => void): this;
  once(event: 'limit', listener: (info: LimitInfo) => void): this;
  once(event: 'storeerror', listener: (error: unknown, session: Session | null) => void): this;

  off(event: 'session', listener: (session: Session) => void): this;
  off(event: 'overflow', listener: (session: Session, info: OverflowInfo) => void): this;
  off(event: 'expired', listener: (session: Session, info: ExpiredInfo) => void): this;
  off(event: 'violation', listener: (violation: ViolationInfo) => void): this;
  off(event: 'limit', listener: (info: LimitInfo) => void): this;
  off(event: 'storeerror', listener: (error: unknown, session: Session | null) => void): this;
}
