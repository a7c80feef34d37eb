/**
 * Why a connection left the cache other than by `withdraw()`. The built-in
 * reasons are listed; `drop()`, `dropRecord()` and subclasses may pass any
 * other string.
 *
 * - `'total capacity'`: evicted to keep `totalCapacity()`.
 * - `'type capacity'`: evicted to keep `capacity(type)`.
 * - `'age'`: `drop(ageMs)`.
 * - `'type'`: `drop(type)`.
 * - `'ping'`: `prune()` found it dead.
 * - `'drop'`: `drop()`, `drop(checker)` or `dropRecord(record)`.
 */
export type DropReason =
  | 'total capacity'
  | 'type capacity'
  | 'age'
  | 'type'
  | 'ping'
  | 'drop'
  | (string & {});

/**
 * One cached connection. The cache hands the same object to `dispose`,
 * `dropping()`, `isEvictable` and `onError`, and returns it from `deposit()`,
 * `find()` and `records()`; pass it back to `touch()` or `dropRecord()`.
 */
export interface ConnRecord<Conn, Type extends string = string, Key = string> {
  readonly conn: Conn;
  readonly type: Type;
  readonly key: Key;
  /** Clock milliseconds at `deposit()` or at the last `touch()`. */
  readonly depositedAt: number;
}

/**
 * A monotonic millisecond clock. `performance` from `node:perf_hooks` is one;
 * tests pass an object whose `now()` they advance by hand.
 */
export interface Clock {
  now(): number;
}

/** The step of an operation during which a user callback threw. */
export type CallbackOperation = 'check' | 'ping' | 'dispose';

/** Second argument of the `onError` option. */
export interface CallbackErrorInfo<Conn, Type extends string = string, Key = string> {
  /**
   * `'check'`: a `drop(checker)` checker or `isEvictable` threw;
   * `'ping'`: `prune()` could not tell whether the connection is alive;
   * `'dispose'`: `dropping()` or `dispose` threw.
   */
  operation: CallbackOperation;
  record: ConnRecord<Conn, Type, Key>;
}

/** A snapshot of the cache's counters, from `stats()`. */
export interface ConnCacheStats<Type extends string = string> {
  /** Calls to `deposit()`. */
  readonly deposits: number;
  /** `withdraw()` calls that returned a connection. */
  readonly hits: number;
  /** `withdraw()` calls that returned `undefined`. */
  readonly misses: number;
  /** Connections dropped, by reason. The built-in reasons are always present. */
  readonly drops: Readonly<Record<string, number>>;
  /** Connections cached now. */
  readonly size: number;
  /** Connections cached now, for each type that has any. */
  readonly sizeByType: Partial<Record<Type, number>>;
}
