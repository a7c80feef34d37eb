import { performance } from 'node:perf_hooks';
import { CachedRecord, RecordIndex, TypeBucket } from './cached-record.js';
import { defaultDispose } from './default-dispose.js';
import { ConnCacheCallbackError } from './errors.js';
import { isDead } from './is-dead.js';
import type { ConnCacheOptions } from './options.js';
import type {
  CallbackOperation,
  Clock,
  ConnCacheStats,
  ConnRecord,
  DropReason,
} from './types.js';
import { checkCapacity, checkFunction, checkType, describe } from './validate.js';

type Entry<Conn, Type extends string, Key> = CachedRecord<Conn, Type, Key>;
/** A list eviction works on: all records, or those of one type. */
type EvictionList<Conn, Type extends string, Key> = RecordIndex<Conn, Type, Key> | TypeBucket<Conn, Type, Key>;

/** What `#enter()` returns inside an operation that is already running. */
const NESTED = -1;

const BUILTIN_REASONS = ['total capacity', 'type capacity', 'age', 'type', 'ping', 'drop'] as const;

/**
 * A bounded cache of open connections, keyed by a type (such as `"http"` or
 * `"unix"`) and a key (such as a peer id or `"host:port"`). The TypeScript
 * successor of Perl's LWP::ConnCache: deposit idle connections, withdraw them
 * for reuse, and let the cache drop (and dispose of) the oldest ones when a
 * capacity is exceeded, when they get too old, or when they die.
 *
 * Every operation is O(1) or O(entries dropped or returned), except
 * `drop(checker)` and `prune()`, which call a callback per entry; see the
 * README for the table.
 *
 * @example
 * const cache = new ConnCache<net.Socket, 'unix' | 'tcp'>({ totalCapacity: 16 });
 * cache.deposit('unix', 'peer-a', socket);
 * const reused = cache.withdraw('unix', 'peer-a'); // socket, or undefined
 * cache.drop(60_000); // dispose of connections idle for a minute or more
 */
export class ConnCache<Conn, Type extends string = string, Key = string> {
  readonly #dispose: ConnCacheOptions<Conn, Type, Key>['dispose'];
  readonly #clock: Clock | undefined;
  readonly #isEvictable: ConnCacheOptions<Conn, Type, Key>['isEvictable'];
  readonly #onError: ConnCacheOptions<Conn, Type, Key>['onError'];

  #total: number | null;
  /**
   * Per-type limits; a type without a limit has no entry. The bucket of a
   * type with cached records holds a copy (see `TypeBucket.limit`).
   */
  readonly #capacities = new Map<Type, number>();

  /** The records, in their lists; the records are the list nodes. */
  readonly #index = new RecordIndex<Conn, Type, Key>();

  /** Latest clock reading, so `depositedAt` never decreases along the LRU list. */
  #lastNow = -Infinity;

  #deposits = 0;
  #hits = 0;
  #misses = 0;
  #dropCount = 0;
  /** Drops by reason, built-in reasons first; a mutable cell each, so counting takes one lookup. */
  readonly #drops = new Map<string, { count: number }>(BUILTIN_REASONS.map((reason) => [reason, { count: 0 }]));

  /** True while a public operation runs; nested (re-entrant) calls join it. */
  #inOperation = false;
  /** Callback errors of the running operation, when there is no `onError`. */
  #collected: unknown[] = [];

  constructor(options: ConnCacheOptions<Conn, Type, Key> = {}) {
    if (options === null || typeof options !== 'object') {
      throw new TypeError(`options must be an object; received ${describe(options)}`);
    }
    this.#total =
      options.totalCapacity === undefined ? 1 : checkCapacity(options.totalCapacity, 'totalCapacity');

    const capacities: unknown = options.capacities;
    if (capacities !== undefined) {
      if (capacities === null || typeof capacities !== 'object') {
        throw new TypeError(`capacities must be an object; received ${describe(capacities)}`);
      }
      for (const [type, n] of Object.entries(capacities)) {
        const cap = n === undefined ? null : checkCapacity(n, `capacities[${JSON.stringify(type)}]`);
        if (cap !== null) this.#capacities.set(type as Type, cap);
      }
    }

    checkFunction(options.dispose, 'dispose');
    checkFunction(options.isEvictable, 'isEvictable');
    checkFunction(options.onError, 'onError');
    const clock: unknown = options.clock;
    if (
      clock !== undefined &&
      (clock === null ||
        typeof clock !== 'object' ||
        typeof (clock as Partial<Clock>).now !== 'function')
    ) {
      throw new TypeError(`clock must be an object with a now() method; received ${describe(clock)}`);
    }

    this.#dispose = options.dispose;
    this.#clock = options.clock;
    this.#isEvictable = options.isEvictable;
    this.#onError = options.onError;
  }

  // ---- capacities --------------------------------------------------------

  /**
   * Gets the total capacity, or sets it and returns the previous value. After
   * setting, `enforceLimits()` drops connections until the new limit holds:
   * `0` drops everything, `null` means no limit.
   *
   * @example
   * cache.totalCapacity(); // 1
   * cache.totalCapacity(10); // returns 1
   */
  totalCapacity(): number | null;
  totalCapacity(n: number | null): number | null;
  totalCapacity(...args: [] | [n: number | null]): number | null {
    const previous = this.#total;
    if (args.length === 0) return previous;
    this.#total = checkCapacity(args[0], 'totalCapacity');
    this.#guard(() => this.enforceLimits());
    return previous;
  }

  /**
   * Gets the limit for one type (`null`: none of its own), or sets it and
   * returns the previous value. After setting, `enforceLimits(type)` drops
   * that type's oldest connections until the limit holds.
   *
   * @example
   * cache.capacity('http', 4); // returns null
   * cache.capacity('http'); // 4
   */
  capacity(type: Type): number | null;
  capacity(type: Type, n: number | null): number | null;
  capacity(type: Type, ...args: [] | [n: number | null]): number | null {
    checkType(type);
    const previous = this.#capacities.get(type) ?? null;
    if (args.length === 0) return previous;
    const cap = checkCapacity(args[0], `capacity(${JSON.stringify(type)})`);
    if (cap === null) this.#capacities.delete(type);
    else this.#capacities.set(type, cap);
    const bucket = this.#index.bucket(type);
    if (bucket !== undefined) bucket.limit = cap ?? Infinity;
    this.#guard(() => this.enforceLimits(type));
    return previous;
  }

  // ---- deposit and withdraw ---------------------------------------------

  /**
   * Adds a connection as the newest entry, then calls `enforceLimits(type)`,
   * which may drop other connections, or this one if a capacity is 0.
   * Several connections may share a type and key. Depositing the same object
   * twice makes two records (and two disposals if both are dropped).
   *
   * @returns The record; it stays valid for `touch()`/`dropRecord()` while cached.
   * @example
   * const record = cache.deposit('unix', 'peer-a', socket);
   */
  deposit(type: Type, key: Key, conn: Conn): ConnRecord<Conn, Type, Key> {
    checkType(type);
    const record = new CachedRecord(conn, type, key, this.#now());
    const index = this.#index;
    let bucket = index.bucket(type);
    if (bucket === undefined) {
      bucket = new TypeBucket(index, type, this.#capacities.get(type) ?? Infinity);
      index.addBucket(bucket);
    }
    CachedRecord.link(record, index, bucket);
    this.#deposits++;
    // enforceLimits(type) looks at this type's limit and the total only, and
    // does nothing while neither is exceeded: skip the call, unless a
    // subclass (or the user) replaced it and may want to act anyway.
    const total = this.#total;
    if (
      bucket.size > bucket.limit ||
      (total !== null && index.size > total) ||
      this.enforceLimits !== ConnCache.prototype.enforceLimits
    ) {
      // An operation around the overridable call, so that what an override
      // does (drop(), dropRecord()...) joins it, callback errors included.
      const operation = this.#enter();
      try {
        this.enforceLimits(type);
      } catch (error) {
        this.#abort(operation, error);
      }
      this.#leave(operation);
    }
    return record;
  }

  /**
   * Removes and returns the oldest connection deposited under `type` and
   * `key` (least recently deposited or touched), or `undefined` (a miss). A
   * withdrawn connection is the caller's again: the cache never disposes of it.
   *
   * @example
   * const socket = cache.withdraw('unix', 'peer-a') ?? net.connect(path);
   */
  withdraw(type: Type, key: Key): Conn | undefined {
    const record = CachedRecord.firstOfKey(this.#index, type, key);
    if (record === undefined) {
      this.#misses++;
      return undefined;
    }
    CachedRecord.unlink(record);
    this.#hits++;
    return record.conn;
  }

  /**
   * The record `withdraw()` would take, left in place. Counts neither a hit
   * nor a miss.
   */
  find(type: Type, key: Key): ConnRecord<Conn, Type, Key> | undefined {
    return CachedRecord.firstOfKey(this.#index, type, key);
  }

  /**
   * Marks a cached record as used now: `depositedAt` becomes the clock's
   * time and the record becomes the newest, so eviction and `drop(ageMs)`
   * reach it last and `withdraw()` prefers older ones. Does nothing if the
   * record is no longer cached.
   */
  touch(record: ConnRecord<Conn, Type, Key>): void {
    if (!CachedRecord.isIn(record, this.#index)) return;
    record.depositedAt = this.#now();
    CachedRecord.moveToTail(record);
  }

  // ---- dropping ----------------------------------------------------------

  /**
   * Drops one record: removes it, calls `dropping(record, reason)`, then
   * disposes of the connection.
   *
   * @returns `false` if the record was not cached (withdrawn, dropped, or
   * from another cache).
   */
  dropRecord(record: ConnRecord<Conn, Type, Key>, reason: DropReason = 'drop'): boolean {
    checkType(reason, 'reason');
    if (!CachedRecord.isIn(record, this.#index)) return false;
    const operation = this.#enter();
    try {
      this.#drop(record, reason);
    } catch (error) {
      this.#abort(operation, error);
    }
    this.#leave(operation);
    return true;
  }

  /**
   * Drops connections by some criterion and returns how many were dropped.
   * Each one goes through `dropping()` and `dispose`.
   *
   * - `drop()`: all of them (reason `'drop'`).
   * - `drop(ageMs)`: those untouched for `ageMs` or more, that is with
   *   `depositedAt <= now - ageMs` (reason `'age'`).
   * - `drop(type)`: those of that type (reason `'type'`).
   * - `drop(checker)`: those for which `checker(conn, type, key, depositedAt)`
   *   returns a truthy value, oldest first (reason `'drop'`). A checker that
   *   throws keeps its entry; see `onError`.
   *
   * `reason` replaces the default reason.
   *
   * @example
   * cache.drop(30_000); // idle for 30 s or more
   * cache.drop('tcp', 'network change');
   * cache.drop((conn, type, key) => key.startsWith('old-'));
   */
  drop(): number;
  drop(all: undefined | null, reason?: DropReason): number;
  drop(ageMs: number, reason?: DropReason): number;
  drop(type: Type, reason?: DropReason): number;
  drop(
    checker: (conn: Conn, type: Type, key: Key, depositedAt: number) => boolean,
    reason?: DropReason,
  ): number;
  drop(
    selector?: number | Type | ((conn: Conn, type: Type, key: Key, depositedAt: number) => boolean) | null,
    reason?: DropReason,
  ): number {
    if (reason !== undefined) checkType(reason, 'reason');
    if (selector === undefined || selector === null) {
      return this.#guard(() => this.#dropAll(CachedRecord.listed(this.#index), reason ?? 'drop'));
    }
    switch (typeof selector) {
      case 'number': {
        if (!(selector >= 0)) {
          throw new RangeError(
            `drop(ageMs): ageMs must be a non-negative number; received ${describe(selector)}`,
          );
        }
        return this.#guard(() => this.#dropOlderThan(selector, reason ?? 'age'));
      }
      case 'string': {
        const bucket = this.#index.bucket(selector);
        if (bucket === undefined) return 0;
        return this.#guard(() => this.#dropAll(CachedRecord.listed(bucket), reason ?? 'type'));
      }
      case 'function':
        return this.#guard(() => this.#dropChecked(selector, reason ?? 'drop'));
      default:
        throw new TypeError(
          `drop() takes nothing, an age in ms, a type or a checker function; received ${describe(selector)}`,
        );
    }
  }

  /**
   * Drops the connections that are dead (reason `'ping'`) and returns how
   * many: those with a `ping()` method that returns a falsy value, as in
   * LWP::ConnCache, and `net.Socket`-like objects that are `destroyed` or no
   * longer `writable` (the peer closed them). Other values count as alive.
   * `ping()` must be synchronous (a returned promise counts as alive). A
   * `ping()` that throws keeps its entry; see `onError`.
   */
  prune(): number {
    return this.#guard(() => {
      let dropped = 0;
      for (const entry of CachedRecord.listed(this.#index)) {
        if (!CachedRecord.isCached(entry)) continue;
        let dead: boolean;
        try {
          dead = isDead(entry.conn);
        } catch (error) {
          this.#report(error, 'ping', entry);
          continue;
        }
        if (dead && CachedRecord.isCached(entry)) {
          this.#drop(entry, 'ping');
          dropped++;
        }
      }
      return dropped;
    });
  }

  // ---- inspection --------------------------------------------------------

  /** The types that have at least one cached connection. */
  getTypes(): Type[] {
    return [...this.#index.buckets.keys()];
  }

  /**
   * The cached connections, of one type or of all, oldest first. Its
   * `length` is the count (what LWP::ConnCache returns in scalar context).
   */
  getConnections(type?: Type): Conn[] {
    return CachedRecord.listed(this.#list(type)).map((record) => record.conn);
  }

  /**
   * The cached records, of one type or of all, oldest (least recently
   * deposited or touched) first. The list is taken when called, so the cache
   * may be changed while iterating.
   */
  records(type?: Type): IterableIterator<ConnRecord<Conn, Type, Key>> {
    const records: ConnRecord<Conn, Type, Key>[] = CachedRecord.listed(this.#list(type));
    return records.values();
  }

  /**
   * The cached records (of `type`, or all), least recently used first, read
   * lazily: each record taken costs O(1), so a walk that stops at the first
   * record still in use costs only what it read, whatever the cache's size.
   * Unlike {@link records}, this is not a snapshot: do not deposit, touch,
   * withdraw or drop while iterating; collect what you need, then act.
   *
   * @example
   * ```ts
   * const stale = [];
   * for (const record of cache.oldest()) {
   *   if (record.depositedAt > cutoff) break;
   *   stale.push(record);
   * }
   * for (const record of stale) cache.dropRecord(record, 'idle');
   * ```
   */
  oldest(type?: Type): IterableIterator<ConnRecord<Conn, Type, Key>> {
    return CachedRecord.walk(this.#list(type));
  }

  /** How many connections are cached. */
  get size(): number {
    return this.#index.size;
  }

  /** A snapshot of the counters. */
  stats(): ConnCacheStats<Type> {
    const sizeByType: Partial<Record<Type, number>> = {};
    for (const [type, bucket] of this.#index.buckets) sizeByType[type] = bucket.size;
    return {
      deposits: this.#deposits,
      hits: this.#hits,
      misses: this.#misses,
      drops: Object.fromEntries(Array.from(this.#drops, ([reason, { count }]) => [reason, count])),
      size: this.#index.size,
      sizeByType,
    };
  }

  // ---- for subclasses ----------------------------------------------------

  /**
   * Drops connections until the capacities hold: first the per-type limit
   * of `type` (or of every type with a limit when `type` is omitted), then
   * the total. Each eviction takes the oldest record (least recently
   * deposited or touched) for which `isEvictable` returns true; when none
   * does, it takes the oldest anyway, so the capacities always hold when this
   * returns.
   *
   * Called after `deposit()` (with its type) and after a capacity changes.
   * Override it for another policy; call `super.enforceLimits(type)` to keep
   * the capacities, or drop records yourself with `dropRecord()`.
   *
   * @example
   * // Before evicting by capacity, drop anything idle for 5 minutes.
   * class AgeFirst extends ConnCache<net.Socket> {
   *   override enforceLimits(type?: string): void {
   *     this.drop(300_000);
   *     super.enforceLimits(type);
   *   }
   * }
   */
  enforceLimits(type?: Type): void {
    const operation = this.#enter();
    try {
      if (type === undefined) {
        for (const t of [...this.#capacities.keys()]) this.#evict(t, 'type capacity');
      } else {
        this.#evict(type, 'type capacity');
      }
      this.#evict(undefined, 'total capacity');
    } catch (error) {
      this.#abort(operation, error);
    }
    this.#leave(operation);
  }

  /**
   * Called for every dropped record, after it left the cache and before
   * `dispose`. Does nothing; override it to log or count. An error it throws
   * is reported like a `dispose` error, and the connection is still disposed.
   */
  dropping(record: ConnRecord<Conn, Type, Key>, reason: DropReason): void {
    void record;
    void reason;
  }

  // ---- internals ---------------------------------------------------------

  #now(): number {
    const t = (this.#clock ?? performance).now();
    // Ages and drop(ageMs)'s early stop rely on depositedAt never decreasing
    // along the LRU list, even if a clock goes back.
    if (t > this.#lastNow) this.#lastNow = t;
    return this.#lastNow;
  }

  #list(type: Type | undefined): EvictionList<Conn, Type, Key> | undefined {
    return type === undefined ? this.#index : this.#index.bucket(type);
  }

  /**
   * Removes the record first, so hooks that call back into the cache see it
   * gone, then runs `dropping()` and `dispose` exactly once each.
   */
  #drop(record: Entry<Conn, Type, Key>, reason: DropReason): void {
    CachedRecord.unlink(record);
    this.#dropCount++;
    const counter = this.#drops.get(reason);
    if (counter === undefined) this.#drops.set(reason, { count: 1 });
    else counter.count++;
    try {
      try {
        this.dropping(record, reason);
      } catch (error) {
        this.#report(error, 'dispose', record);
      }
    } finally {
      this.#disposeOf(record, reason);
    }
  }

  #disposeOf(record: ConnRecord<Conn, Type, Key>, reason: DropReason): void {
    let result: unknown;
    try {
      result =
        this.#dispose === undefined
          ? defaultDispose(record.conn)
          : this.#dispose(record.conn, reason, record);
    } catch (error) {
      this.#report(error, 'dispose', record);
      return;
    }
    const onError = this.#onError;
    if (onError !== undefined && isThenable(result)) {
      result.then(undefined, (error: unknown) => onError(error, { operation: 'dispose', record }));
    }
  }

  #dropAll(entries: readonly Entry<Conn, Type, Key>[], reason: DropReason): number {
    let dropped = 0;
    for (const entry of entries) {
      if (!CachedRecord.isCached(entry)) continue;
      this.#drop(entry, reason);
      dropped++;
    }
    return dropped;
  }

  #dropOlderThan(ageMs: number, reason: DropReason): number {
    const cutoff = this.#now() - ageMs;
    // depositedAt grows along the LRU list, so the old ones are a prefix.
    // Collect it before dropping: hooks may change the list.
    const old: Entry<Conn, Type, Key>[] = [];
    for (let entry = this.#index.head; entry !== null; entry = CachedRecord.next(entry)) {
      if (!(entry.depositedAt <= cutoff)) break;
      old.push(entry);
    }
    let dropped = 0;
    for (const entry of old) {
      // A hook may have touched it meanwhile.
      if (!CachedRecord.isCached(entry) || !(entry.depositedAt <= cutoff)) continue;
      this.#drop(entry, reason);
      dropped++;
    }
    return dropped;
  }

  #dropChecked(
    checker: (conn: Conn, type: Type, key: Key, depositedAt: number) => boolean,
    reason: DropReason,
  ): number {
    let dropped = 0;
    for (const entry of CachedRecord.listed(this.#index)) {
      if (!CachedRecord.isCached(entry)) continue;
      const { conn, type, key, depositedAt } = entry;
      let hit: unknown;
      try {
        hit = checker(conn, type, key, depositedAt);
      } catch (error) {
        this.#report(error, 'check', entry);
        continue;
      }
      if (hit && CachedRecord.isCached(entry)) {
        this.#drop(entry, reason);
        dropped++;
      }
    }
    return dropped;
  }

  /**
   * The list that is over its limit: that of `type`, or all records when
   * `type` is undefined; `null` if it is within its limit.
   */
  #over(type: Type | undefined): EvictionList<Conn, Type, Key> | null {
    const index = this.#index;
    if (type === undefined) {
      const total = this.#total;
      return total !== null && index.size > total ? index : null;
    }
    // The bucket's copy of the type's capacity: no lookup in #capacities.
    const bucket = index.bucket(type);
    return bucket !== undefined && bucket.size > bucket.limit ? bucket : null;
  }

  /**
   * Drops from the list of `type` (all records when undefined) until it
   * holds at most its limit: first the oldest evictable records, then, if
   * that was not enough, the oldest ones. List and limit are looked up again
   * after every callback, since a hook may have changed the cache or the
   * limits.
   */
  #evict(type: Type | undefined, reason: DropReason): void {
    let list = this.#over(type);
    if (list === null) return;

    if (this.#isEvictable !== undefined) {
      let entry = list.head;
      while (entry !== null) {
        const next = CachedRecord.after(entry, list);
        if (this.#evictable(entry) && CachedRecord.isCached(entry)) this.#drop(entry, reason);
        list = this.#over(type);
        if (list === null) return;
        // A callback may have removed `next`; start again from the oldest.
        entry = next === null || CachedRecord.isInList(next, list) ? next : list.head;
      }
    }

    // `list` is current: no callback ran since it was read.
    for (; list !== null; list = this.#over(type)) {
      const oldest = list.head;
      if (oldest === null) return;
      this.#drop(oldest, reason);
    }
  }

  #evictable(entry: Entry<Conn, Type, Key>): boolean {
    try {
      return this.#isEvictable === undefined || Boolean(this.#isEvictable(entry));
    } catch (error) {
      this.#report(error, 'check', entry);
      return false;
    }
  }

  #report(error: unknown, operation: CallbackOperation, record: ConnRecord<Conn, Type, Key>): void {
    if (this.#onError !== undefined) this.#onError(error, { operation, record });
    else this.#collected.push(error);
  }

  /**
   * Runs a public operation. Callback errors collected meanwhile (no
   * `onError`) are thrown together once it is over, so a failing callback
   * never stops a walk halfway. Re-entrant calls from hooks join the
   * outermost operation.
   */
  #guard<R>(body: () => R): R {
    if (this.#inOperation) return body();
    this.#inOperation = true;
    const droppedBefore = this.#dropCount;
    let result: R;
    try {
      result = body();
    } catch (error) {
      const collected = this.#takeCollected();
      if (collected.length === 0) throw error;
      throw new ConnCacheCallbackError([...collected, error], this.#dropCount - droppedBefore);
    } finally {
      this.#inOperation = false;
    }
    const collected = this.#takeCollected();
    if (collected.length > 0) {
      throw new ConnCacheCallbackError(collected, this.#dropCount - droppedBefore);
    }
    return result;
  }

  /**
   * `#guard()` without the closure, for the paths that run per deposit or
   * per eviction: `const op = this.#enter(); try { ... } catch (error) {
   * this.#abort(op, error); } this.#leave(op);`. Returns the drop count
   * when it starts an operation, {@link NESTED} inside one.
   */
  #enter(): number {
    if (this.#inOperation) return NESTED;
    this.#inOperation = true;
    return this.#dropCount;
  }

  /** Ends what `#enter()` started; throws the callback errors collected meanwhile. */
  #leave(droppedBefore: number): void {
    if (droppedBefore === NESTED) return;
    this.#inOperation = false;
    if (this.#collected.length > 0) {
      throw new ConnCacheCallbackError(this.#takeCollected(), this.#dropCount - droppedBefore);
    }
  }

  /** Ends what `#enter()` started when its body threw `error`. */
  #abort(droppedBefore: number, error: unknown): never {
    if (droppedBefore === NESTED) throw error;
    this.#inOperation = false;
    const collected = this.#takeCollected();
    if (collected.length === 0) throw error;
    throw new ConnCacheCallbackError([...collected, error], this.#dropCount - droppedBefore);
  }

  #takeCollected(): unknown[] {
    const collected = this.#collected;
    if (collected.length > 0) this.#collected = [];
    return collected;
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
