import type { ConnCache, ConnRecord } from '@ipcm/conncache';
import type { ConnectionEntry, ConnectionHost } from '@ipcm/connection-role';
import type { Direction } from './peer-connection.js';

/** What the role host reads of a cached connection. */
export interface RoleHostConnection {
  /** Nothing left to write: only such connections can be idle. */
  readonly flushed: boolean;
}

type Cache<C extends RoleHostConnection> = ConnCache<C, Direction, string>;
type CacheRecord<C extends RoleHostConnection> = ConnRecord<C, Direction, string>;

const DIRECTIONS = ['outbound', 'inbound'] as const;

/** What the role host needs from the client besides the cache. */
export interface RoleHostContext {
  /** The current time in epoch milliseconds. */
  now(): number;
  /** Converts a time of the client's monotonic clock to epoch milliseconds. */
  toEpoch(monotonic: number): number;
}

/**
 * The client's cache seen as the connection table the role expects: peer id
 * to `{ lastActive }`. A view, not a copy: every read goes to the cache, so
 * there is one source of truth and lookups stay O(1).
 *
 * A connection's last activity is its record's `depositedAt`: every byte
 * sent or received touches the record, on the client's clock. A peer may
 * have two connections (one each way); its entry is the more recently
 * active. A connection with bytes still to write counts as active
 * now, so idle reaping never closes it (R28).
 */
class ConnectionTable<C extends RoleHostConnection> implements ReadonlyMap<string, ConnectionEntry> {
  readonly #cache: Cache<C>;
  readonly #context: RoleHostContext;

  constructor(cache: Cache<C>, context: RoleHostContext) {
    this.#cache = cache;
    this.#context = context;
  }

  get size(): number {
    let size = 0;
    for (const _ of this.keys()) size++;
    return size;
  }

  get(peerId: string): ConnectionEntry | undefined {
    let latest: number | undefined;
    for (const direction of DIRECTIONS) {
      const record = this.#cache.find(direction, peerId);
      if (record === undefined) continue;
      const lastActive = this.entryTime(record);
      if (latest === undefined || lastActive > latest) latest = lastActive;
    }
    return latest === undefined ? undefined : { lastActive: latest };
  }

  has(peerId: string): boolean {
    return this.#cache.find('outbound', peerId) !== undefined || this.#cache.find('inbound', peerId) !== undefined;
  }

  *entries(): MapIterator<[string, ConnectionEntry]> {
    for (const peerId of this.keys()) yield [peerId, this.get(peerId) as ConnectionEntry];
  }

  *keys(): MapIterator<string> {
    for (const record of this.#cache.records()) {
      // List a peer with two connections once, at its outbound record.
      if (record.type === 'inbound' && this.#cache.find('outbound', record.key) !== undefined) continue;
      yield record.key;
    }
  }

  *values(): MapIterator<ConnectionEntry> {
    for (const [, entry] of this.entries()) yield entry;
  }

  forEach(callback: (value: ConnectionEntry, key: string, map: ReadonlyMap<string, ConnectionEntry>) => void): void {
    for (const [key, value] of this.entries()) callback(value, key, this);
  }

  [Symbol.iterator](): MapIterator<[string, ConnectionEntry]> {
    return this.entries();
  }

  /** Epoch ms of a record's last activity; "now" while it has bytes to write. */
  entryTime(record: CacheRecord<C>): number {
    return record.conn.flushed ? this.#context.toEpoch(record.depositedAt) : this.#context.now();
  }

  /**
   * Peers in ascending order of last activity. The cache lists records least
   * recently used first and every byte sent or received touches its record,
   * so this is the cache's own order; a peer with two connections is listed
   * at its newer one, and busy connections are left out (they are not idle).
   */
  *byIdleness(): Generator<readonly [string, ConnectionEntry]> {
    // Lazy: the role stops at the first peer that is not idle and closes
    // only after the walk, so this costs O(number closed) (not a snapshot).
    for (const record of this.#cache.oldest()) {
      if (!record.conn.flushed) continue;
      const other = this.#cache.find(record.type === 'outbound' ? 'inbound' : 'outbound', record.key);
      if (other !== undefined && other.depositedAt >= record.depositedAt) continue;
      yield [record.key, { lastActive: this.#context.toEpoch(record.depositedAt) }];
    }
  }
}

/**
 * Builds the `@ipcm/connection-role` host over a client's connection cache
 * (connections by direction and peer id, every use touching the record).
 * The engine uses it; it is exported for clients of your own built on a
 * ConnCache the same way.
 */
export function createRoleHost<C extends RoleHostConnection>(cache: Cache<C>, context: RoleHostContext): ConnectionHost<string> {
  const table = new ConnectionTable(cache, context);
  return {
    connectionTable: () => table,
    closeConnection: (peerId, reason) => {
      for (const direction of DIRECTIONS) {
        const record = cache.find(direction, peerId);
        if (record !== undefined) cache.dropRecord(record, reason);
      }
    },
    connectionsByIdleness: () => table.byIdleness(),
    now: () => context.now(),
  };
}
