import { performance } from 'node:perf_hooks';
import { defaultDispose } from './default-dispose.js';
import { ConnCacheCallbackError } from './errors.js';
import { isDead } from './is-dead.js';
import { LinkedList, ListNode } from './linked-list.js';
import type { ConnCacheOptions } from './options.js';
import type {
  CallbackOperation,
  Clock,
  ConnCacheStats,
  ConnRecord,
  DropReason,
} from './types.js';
import { checkCapacity, checkFunction, checkType, describe } from './validate.js';

type Mutable<T> = { -readonly [P in keyof T]: T[P] };

/**
 * One cached record and its place in the three lists it belongs to: the
 * global LRU list, its type's list and its (type, key) list. All three are
 * kept in the same order (deposit or touch time), so the head of each is the
 * oldest record of that list.
 */
class Entry<Conn, Type extends string, Key> {
  readonly lru: ListNode<Entry<Conn, Type, Key>> = new ListNode(this);
  readonly byType: ListNode<Entry<Conn, Type, Key>> = new ListNode(this);
  readonly byKey: ListNode<Entry<Conn, Type, Key>> = new ListNode(this);

  constructor(readonly record: Mutable<ConnRecord<Conn, Type, Key>>) {}

  get cached(): boolean {
    return this.lru.list !== null;
  }
}

interface Bucket<Conn, Type extends string, Key> {
  readonly list: LinkedList<Entry<Conn, Type, Key>>;
  readonly keys: Map<Key, LinkedList<Entry<Conn, Type, Key>>>;
}

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
  /** Per-type limits; a type without a limit has no entry. */
  readonly #capacities = new Map<Type, number>();

  readonly #lru = new LinkedList<Entry<Conn, Type, Key>>();
  /** Only types with at least one cached record, so `getTypes()` is a key list. */
  readonly #buckets = new Map<Type, Bucket<Conn, Type, Key>>();
  readonly #entries = new Map<ConnRecord<Conn, Type, Key>, Entry<Conn, Type, Key>>();

  /** Latest clock reading, so `depositedAt` never decreases along the LRU list. */
  #lastNow = -Infinity;

  #deposits = 0;
  #hits = 0;
  #misses = 0;
  #dropCount = 0;
  readonly #drops = new Map<string, number>(BUILTIN_REASONS.map((reason) => [reason, 0]));

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
    const record: Mutable<ConnRecord<Conn, Type, Key>> = {
      conn,
      type,
      key,
      depositedAt: this.#now(),
    };
    this.#link(new Entry(record));
    this.#deposits++;
    this.#guard(() => this.enforceLimits(type));
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
    const node = this.#buckets.get(type)?.keys.get(key)?.head;
    if (node === undefined || node === null) {
      this.#misses++;
      return undefined;
    }
    this.#unlink(node.value);
    this.#hits++;
    return node.value.record.conn;
  }

  /**
   * The record `withdraw()` would take, left in place. Counts neither a hit
   * nor a miss.
   */
  find(type: Type, key: Key): ConnRecord<Conn, Type, Key> | undefined {
    return this.#buckets.get(type)?.keys.get(key)?.head?.value.record;
  }

  /**
   * Marks a cached record as used now: `depositedAt` becomes the clock's
   * time and the record becomes the newest, so eviction and `drop(ageMs)`
   * reach it last and `withdraw()` prefers older ones. Does nothing if the
   * record is no longer cached.
   */
  touch(record: ConnRecord<Conn, Type, Key>): void {
    const entry = this.#entries.get(record);
    if (entry === undefined) return;
    entry.record.depositedAt = this.#now();
    this.#lru.moveToTail(entry.lru);
    entry.byType.list?.moveToTail(entry.byType);
    entry.byKey.list?.moveToTail(entry.byKey);
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
    const entry = this.#entries.get(record);
    if (entry === undefined) return false;
    this.#guard(() => this.#drop(entry, reason));
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
      return this.#guard(() => this.#dropAll(this.#lru.toArray(), reason ?? 'drop'));
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
        const bucket = this.#buckets.get(selector);
        if (bucket === undefined) return 0;
        return this.#guard(() => this.#dropAll(bucket.list.toArray(), reason ?? 'type'));
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
      for (const entry of this.#lru.toArray()) {
        if (!entry.cached) continue;
        let dead: boolean;
        try {
          dead = isDead(entry.record.conn);
        } catch (error) {
          this.#report(error, 'ping', entry.record);
          continue;
        }
        if (dead && entry.cached) {
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
    return [...this.#buckets.keys()];
  }

  /**
   * The cached connections, of one type or of all, oldest first. Its
   * `length` is the count (what LWP::ConnCache returns in scalar context).
   */
  getConnections(type?: Type): Conn[] {
    const list = type === undefined ? this.#lru : this.#buckets.get(type)?.list;
    const conns: Conn[] = [];
    for (let node = list?.head ?? null; node !== null; node = node.next) {
      conns.push(node.value.record.conn);
    }
    return conns;
  }

  /**
   * The cached records, of one type or of all, oldest (least recently
   * deposited or touched) first. The list is taken when called, so the cache
   * may be changed while iterating.
   */
  records(type?: Type): IterableIterator<ConnRecord<Conn, Type, Key>> {
    const list = type === undefined ? this.#lru : this.#buckets.get(type)?.list;
    const records: ConnRecord<Conn, Type, Key>[] = [];
    for (let node = list?.head ?? null; node !== null; node = node.next) {
      records.push(node.value.record);
    }
    return records.values();
  }

  /** How many connections are cached. */
  get size(): number {
    return this.#lru.size;
  }

  /** A snapshot of the counters. */
  stats(): ConnCacheStats<Type> {
    const sizeByType: Partial<Record<Type, number>> = {};
    for (const [type, bucket] of this.#buckets) sizeByType[type] = bucket.list.size;
    return {
      deposits: this.#deposits,
      hits: this.#hits,
      misses: this.#misses,
      drops: Object.fromEntries(this.#drops),
      size: this.#lru.size,
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
    this.#guard(() => {
      if (type === undefined) {
        for (const t of [...this.#capacities.keys()]) this.#enforceType(t);
      } else {
        this.#enforceType(type);
      }
      this.#evict(
        () => this.#lru,
        () => this.#total,
        'total capacity',
      );
    });
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

  #link(entry: Entry<Conn, Type, Key>): void {
    const { type, key } = entry.record;
    this.#lru.push(entry.lru);
    let bucket = this.#buckets.get(type);
    if (bucket === undefined) {
      bucket = { list: new LinkedList(), keys: new Map() };
      this.#buckets.set(type, bucket);
    }
    bucket.list.push(entry.byType);
    let keyList = bucket.keys.get(key);
    if (keyList === undefined) {
      keyList = new LinkedList();
      bucket.keys.set(key, keyList);
    }
    keyList.push(entry.byKey);
    this.#entries.set(entry.record, entry);
  }

  #unlink(entry: Entry<Conn, Type, Key>): void {
    const { type, key } = entry.record;
    this.#lru.remove(entry.lru);
    this.#entries.delete(entry.record);
    const bucket = this.#buckets.get(type);
    if (bucket === undefined) return;
    bucket.list.remove(entry.byType);
    const keyList = bucket.keys.get(key);
    if (keyList !== undefined) {
      keyList.remove(entry.byKey);
      if (keyList.size === 0) bucket.keys.delete(key);
    }
    if (bucket.list.size === 0) this.#buckets.delete(type);
  }

  /**
   * Removes the record first, so hooks that call back into the cache see it
   * gone, then runs `dropping()` and `dispose` exactly once each.
   */
  #drop(entry: Entry<Conn, Type, Key>, reason: DropReason): void {
    const { record } = entry;
    this.#unlink(entry);
    this.#dropCount++;
    this.#drops.set(reason, (this.#drops.get(reason) ?? 0) + 1);
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
      if (!entry.cached) continue;
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
    for (let node = this.#lru.head; node !== null; node = node.next) {
      if (!(node.value.record.depositedAt <= cutoff)) break;
      old.push(node.value);
    }
    let dropped = 0;
    for (const entry of old) {
      // A hook may have touched it meanwhile.
      if (!entry.cached || !(entry.record.depositedAt <= cutoff)) continue;
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
    for (const entry of this.#lru.toArray()) {
      if (!entry.cached) continue;
      const { conn, type, key, depositedAt } = entry.record;
      let hit: unknown;
      try {
        hit = checker(conn, type, key, depositedAt);
      } catch (error) {
        this.#report(error, 'check', entry.record);
        continue;
      }
      if (hit && entry.cached) {
        this.#drop(entry, reason);
        dropped++;
      }
    }
    return dropped;
  }

  #enforceType(type: Type): void {
    this.#evict(
      () => this.#buckets.get(type)?.list,
      () => this.#capacities.get(type) ?? null,
      'type capacity',
    );
  }

  /**
   * Drops from `list()` until it holds at most `limit()` records: first the
   * oldest evictable ones, then, if that was not enough, the oldest ones.
   * Both are read again after every callback, since a hook may have changed
   * the cache or the limits.
   */
  #evict(
    list: () => LinkedList<Entry<Conn, Type, Key>> | undefined,
    limit: () => number | null,
    reason: DropReason,
  ): void {
    const over = (): LinkedList<Entry<Conn, Type, Key>> | undefined => {
      const current = list();
      const max = limit();
      return current !== undefined && max !== null && current.size > max ? current : undefined;
    };
    let current = over();
    if (current === undefined) return;

    if (this.#isEvictable !== undefined) {
      let node = current.head;
      while (node !== null) {
        const entry = node.value;
        const next = node.next;
        if (this.#evictable(entry) && entry.cached) this.#drop(entry, reason);
        current = over();
        if (current === undefined) return;
        // A callback may have removed `next`; start again from the oldest.
        node = next === null || next.list === current ? next : current.head;
      }
    }

    for (current = over(); current !== undefined; current = over()) {
      const oldest = current.head;
      if (oldest === null) return;
      this.#drop(oldest.value, reason);
    }
  }

  #evictable(entry: Entry<Conn, Type, Key>): boolean {
    try {
      return this.#isEvictable === undefined || Boolean(this.#isEvictable(entry.record));
    } catch (error) {
      this.#report(error, 'check', entry.record);
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
