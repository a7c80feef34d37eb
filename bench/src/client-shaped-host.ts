import type { ConnCache, ConnRecord } from '@ipcm/conncache';
import type { ConnectionEntry, ConnectionHost } from '@ipcm/connection-role';

/** What the client's role host reads of a connection (`PeerConnection`'s `flushed`; its last activity is the record's `depositedAt`). */
export interface ShapedConn {
  /** Nothing left to write: only such connections count as idle. */
  flushed: boolean;
}

export type ShapedDirection = 'outbound' | 'inbound';
type Cache = ConnCache<ShapedConn, ShapedDirection, string>;

const DIRECTIONS = ['outbound', 'inbound'] as const;

/**
 * The connection-role host of an @ipcm client, rebuilt over a plain
 * ConnCache: a copy of `createRoleHost` in
 * packages/client-core/src/role-host.ts as of commit 7ce9951 (which walks
 * the cache's lazy `oldest()`; before it, `records()` copied every record
 * first and the sweep was O(connections)), not exported by client-core, with
 * the monotonic clock taken as the epoch (offset 0). Same table view (peer
 * id -> the more recently active of its connections), same ordered view
 * (the cache's records, least recently used first, skipping busy ones and
 * the older of a peer's two connections), same `closeConnection` (drop the
 * peer's records). It lets the benchmark sweep 10,000 and 100,000
 * connections of the client's shape without opening that many sockets.
 * Keep it in step with role-host.ts.
 */
class ShapedTable implements ReadonlyMap<string, ConnectionEntry> {
  readonly #cache: Cache;
  readonly #now: () => number;

  constructor(cache: Cache, now: () => number) {
    this.#cache = cache;
    this.#now = now;
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

  entryTime(record: ConnRecord<ShapedConn, ShapedDirection, string>): number {
    return record.conn.flushed ? record.depositedAt : this.#now();
  }

  *byIdleness(): Generator<readonly [string, ConnectionEntry]> {
    for (const record of this.#cache.oldest()) {
      if (!record.conn.flushed) continue;
      const other = this.#cache.find(record.type === 'outbound' ? 'inbound' : 'outbound', record.key);
      if (other !== undefined && other.depositedAt >= record.depositedAt) continue;
      yield [record.key, { lastActive: record.depositedAt }];
    }
  }
}

/** A role host of the client's shape over `cache`; see {@link ShapedTable}. */
export function clientShapedHost(cache: Cache, now: () => number): ConnectionHost<string> {
  const table = new ShapedTable(cache, now);
  return {
    connectionTable: () => table,
    closeConnection: (peerId) => {
      for (const direction of DIRECTIONS) {
        const record = cache.find(direction, peerId);
        if (record !== undefined) cache.dropRecord(record, 'drop');
      }
    },
    connectionsByIdleness: () => table.byIdleness(),
    now,
  };
}
