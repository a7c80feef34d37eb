import type { CallbackErrorInfo, Clock, ConnRecord, DropReason } from './types.js';

/** Options of {@link ConnCache}. Every field is optional. */
export interface ConnCacheOptions<Conn, Type extends string = string, Key = string> {
  /**
   * How many connections the cache holds in all. `null` means no limit;
   * `0` means every deposited connection is dropped at once.
   * Must be `null` or a non-negative safe integer.
   * @default 1
   */
  totalCapacity?: number | null;

  /**
   * Limits per type, for example `{ http: 4, ftp: 1 }`. A type that is
   * missing or `null` has no limit of its own (the total still applies).
   * @default {} (no per-type limits)
   */
  capacities?: Partial<Record<Type, number | null>>;

  /**
   * Releases a dropped connection. Called exactly once per dropped record,
   * after `dropping()`, never for a withdrawn connection. A returned promise
   * is not awaited; if it rejects and `onError` is set, `onError` gets the
   * rejection.
   * @default calls `conn.destroy()`, else `conn.end()`, else `conn.close()`,
   * whichever the connection has first; does nothing for other values
   */
  dispose?: (conn: Conn, reason: DropReason, record: ConnRecord<Conn, Type, Key>) => void;

  /**
   * Source of `depositedAt` and of "now" in `drop(ageMs)`. Must be monotonic;
   * should it ever go back, the cache keeps using the latest time it saw.
   * @default `performance` from `node:perf_hooks`, looked up at each call
   */
  clock?: Clock;

  /**
   * Whether capacity eviction may pick this record. Eviction takes the oldest
   * evictable record; if none is evictable it takes the oldest anyway, so the
   * capacities always hold. Each record skipped costs one call.
   * @default () => true
   */
  isEvictable?: (record: ConnRecord<Conn, Type, Key>) => boolean;

  /**
   * Receives each error thrown by a user callback (checker, `ping()`,
   * `isEvictable`, `dropping()`, `dispose`) as it happens; the operation goes
   * on. Without it, the errors are collected and thrown together as one
   * `ConnCacheCallbackError` once the operation has finished.
   * @default undefined (collect and throw)
   */
  onError?: (error: unknown, info: CallbackErrorInfo<Conn, Type, Key>) => void;
}
