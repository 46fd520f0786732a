// Types of resilient-websocket/server/redis (server/redis.js): the session store of the AckedServer
// on Redis, for a cluster of nodes. Needs the `redis` package (node-redis, v5 or later).
import type { RedisClientType } from 'redis';
import type { SessionStore } from './index.js';

/** A store write while the connection to Redis is down: refused at once, never queued. */
export declare class StoreUnavailableError extends Error {
  constructor();
}

export interface RedisSessionStoreOptions {
  /** A connected node-redis client; the store makes a duplicate of it for its pub/sub subscription. */
  client: RedisClientType<any, any, any, any, any>;
  /** The prefix of every key and channel. Default `rws:`. */
  prefix?: string;
  /**
   * How long a node's lease in Redis outlives its last renewal, in ms (renewed every fifth of it;
   * at least 50). A node whose lease ran out is taken for gone: what it recorded and had not handed
   * to its application is handed over elsewhere. Default 5,000.
   */
  leaseTtl?: number;
}

/**
 * Sessions in Redis (API.md §6): per session a hash (key hash, epoch, highest client seq recorded,
 * last seq, owner), a stream of the unacknowledged messages and an inbox of client messages
 * recorded and not yet given to an application, all expiring `sessionTtl` after
 * the last write; atomic updates in Lua; notices between nodes on a pub/sub channel per node; a
 * lease key per node, renewed while it lives.
 */
export declare class RedisSessionStore {
  /** Throws a TypeError when `client` is not a node-redis client, or `leaseTtl` is not a number >= 50. */
  constructor(options: RedisSessionStoreOptions);
  readonly client: RedisClientType<any, any, any, any, any>;
  readonly prefix: string;
  readonly leaseTtl: number;
  /** Whether both connections to Redis (commands and subscription) are up. */
  available(): boolean;
  /** Ends the store's subscription and its nodes' leases; the client given stays the application's to close. */
  close(): Promise<void>;
  /** The bytes Redis uses for session `sid` (MEMORY USAGE of its three keys). */
  memoryUsage(sid: string): Promise<number>;
}
/** The rest of its methods are those of {@link SessionStore} (declaration merging). */
export interface RedisSessionStore extends SessionStore {}
