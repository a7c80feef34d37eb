import type { ConnRecord } from './types.js';

type Rec<Conn, Type extends string, Key> = CachedRecord<Conn, Type, Key>;

/**
 * Everything one cache holds: all its records in least-recently-used order
 * (oldest at `head`), and a bucket per type that has any.
 * @internal
 */
export class RecordIndex<Conn, Type extends string, Key> {
  head: Rec<Conn, Type, Key> | null = null;
  tail: Rec<Conn, Type, Key> | null = null;
  size = 0;
  /** Only types with at least one cached record, so `getTypes()` is a key list. */
  readonly buckets = new Map<Type, TypeBucket<Conn, Type, Key>>();
  /**
   * The two buckets found last, newest first. Most caches hold one or two
   * types (the clients: `'outbound'` and `'inbound'`), so this usually saves
   * the `Map` lookup by type that every operation starts with.
   */
  #recent: TypeBucket<Conn, Type, Key> | undefined = undefined;
  #older: TypeBucket<Conn, Type, Key> | undefined = undefined;

  /** The bucket of `type`, if it has cached records. */
  bucket(type: Type): TypeBucket<Conn, Type, Key> | undefined {
    const recent = this.#recent;
    if (recent !== undefined && recent.type === type) return recent;
    const older = this.#older;
    if (older !== undefined && older.type === type) {
      this.#older = recent;
      this.#recent = older;
      return older;
    }
    const bucket = this.buckets.get(type);
    if (bucket !== undefined) {
      this.#older = recent;
      this.#recent = bucket;
    }
    return bucket;
  }

  addBucket(bucket: TypeBucket<Conn, Type, Key>): void {
    this.buckets.set(bucket.type, bucket);
    this.#older = this.#recent;
    this.#recent = bucket;
  }

  deleteBucket(bucket: TypeBucket<Conn, Type, Key>): void {
    this.buckets.delete(bucket.type);
    if (this.#recent === bucket) {
      this.#recent = this.#older;
      this.#older = undefined;
    } else if (this.#older === bucket) {
      this.#older = undefined;
    }
  }
}

/**
 * The records of one type, in the same order as the index, and where to find
 * the oldest of each key.
 * @internal
 */
export class TypeBucket<Conn, Type extends string, Key> {
  head: Rec<Conn, Type, Key> | null = null;
  tail: Rec<Conn, Type, Key> | null = null;
  size = 0;
  /**
   * A key's record, or its {@link KeyChain} once a second record of the
   * same type and key was deposited. One connection per key is the common
   * case: it costs no list object at all.
   */
  readonly keys = new Map<Key, Rec<Conn, Type, Key> | KeyChain<Conn, Type, Key>>();

  /**
   * @param index The index it belongs to; records reach their cache
   *   through their bucket, which saves a field per record.
   * @param type The type of its records.
   * @param limit The type's capacity, `Infinity` for none: a copy of the
   *   cache's setting so `deposit()` can tell without a `Map` lookup that no
   *   eviction is due. The cache updates it when the capacity changes.
   */
  constructor(
    readonly index: RecordIndex<Conn, Type, Key>,
    readonly type: Type,
    public limit: number,
  ) {}
}

/**
 * The records of one type and key once there have been two at the same
 * time. Kept while any is left (so a key that keeps two connections does not
 * allocate one per deposit), dropped with the last one.
 */
class KeyChain<Conn, Type extends string, Key> {
  size = 2;
  constructor(
    public head: Rec<Conn, Type, Key>,
    public tail: Rec<Conn, Type, Key>,
  ) {}
}

/**
 * A record's place in its {@link KeyChain}. A separate object, made only for
 * keys with a chain, so that a record alone under its key spends one field
 * (`null`) on its key list instead of three.
 */
class KeyLink<Conn, Type extends string, Key> {
  constructor(
    readonly chain: KeyChain<Conn, Type, Key>,
    public prev: Rec<Conn, Type, Key> | null,
    public next: Rec<Conn, Type, Key> | null,
  ) {}
}

/**
 * A cached connection: the {@link ConnRecord} users hold, and at the same
 * time the node of the three intrusive doubly linked lists the cache keeps
 * it in (all records, its type's, its type and key's), all in the same order
 * (deposit or touch time). One object per cached connection, and `touch()`
 * or `dropRecord()` find its place without a lookup.
 *
 * The links are `#private` so that a record shows, enumerates, compares and
 * serializes as the plain `{ conn, type, key, depositedAt }` it is
 * documented to be. The list operations are static methods of this class
 * because only its own code can reach those fields.
 * @internal
 */
export class CachedRecord<Conn, Type extends string, Key> implements ConnRecord<Conn, Type, Key> {
  // `declare`: created by the constructor's assignments, not first as
  // `undefined` by a field definition. V8 then stores `depositedAt` as a
  // double in place, where `undefined` first would make every `touch()`
  // allocate a new number.
  declare conn: Conn;
  declare type: Type;
  declare key: Key;
  declare depositedAt: number;

  // Fields cost 8 bytes each per cached connection (Node builds V8 without
  // pointer compression): keep them few.
  /** Its type's bucket (and through it, its cache) while cached; `null` once withdrawn or dropped. */
  #bucket: TypeBucket<Conn, Type, Key> | null = null;
  #prev: Rec<Conn, Type, Key> | null = null;
  #next: Rec<Conn, Type, Key> | null = null;
  #typePrev: Rec<Conn, Type, Key> | null = null;
  #typeNext: Rec<Conn, Type, Key> | null = null;
  /** Its place in its key's chain, if its key has one. */
  #keyLink: KeyLink<Conn, Type, Key> | null = null;

  constructor(conn: Conn, type: Type, key: Key, depositedAt: number) {
    this.conn = conn;
    this.type = type;
    this.key = key;
    this.depositedAt = depositedAt;
  }

  /**
   * Whether `value` is a record cached in `index`. Anything else (a record
   * withdrawn, dropped or of another cache, a look-alike object, a
   * primitive) is not.
   */
  static isIn<C, T extends string, K>(value: unknown, index: RecordIndex<C, T, K>): value is Rec<C, T, K> {
    // Checked with `in` first: reading a private field of an object without it throws.
    return (
      typeof value === 'object' && value !== null && #bucket in value && value.#bucket?.index === (index as object)
    );
  }

  static isCached<C, T extends string, K>(record: Rec<C, T, K>): boolean {
    return record.#bucket !== null;
  }

  /** The oldest record of that type and key, as `withdraw()` takes it. */
  static firstOfKey<C, T extends string, K>(
    index: RecordIndex<C, T, K>,
    type: T,
    key: K,
  ): Rec<C, T, K> | undefined {
    const found = index.bucket(type)?.keys.get(key);
    return found instanceof KeyChain ? found.head : found;
  }

  /** The next newer record in `index` order. */
  static next<C, T extends string, K>(record: Rec<C, T, K>): Rec<C, T, K> | null {
    return record.#next;
  }

  /** The next newer record in `list`, which must be the index or the record's bucket. */
  static after<C, T extends string, K>(
    record: Rec<C, T, K>,
    list: RecordIndex<C, T, K> | TypeBucket<C, T, K>,
  ): Rec<C, T, K> | null {
    return list instanceof TypeBucket ? record.#typeNext : record.#next;
  }

  /** Whether `record` is still in `list` (the index or a bucket). */
  static isInList<C, T extends string, K>(
    record: Rec<C, T, K>,
    list: RecordIndex<C, T, K> | TypeBucket<C, T, K>,
  ): boolean {
    return list instanceof TypeBucket ? record.#bucket === list : record.#bucket?.index === list;
  }

  /** The records of `list`, oldest first, copied so callers may change the cache while they use them. */
  /** The records of a list, read lazily (the list must not change meanwhile). */
  static *walk<C, T extends string, K>(
    list: RecordIndex<C, T, K> | TypeBucket<C, T, K> | undefined,
  ): Generator<Rec<C, T, K>, void, undefined> {
    if (list instanceof TypeBucket) {
      for (let r = list.head; r !== null; r = r.#typeNext) yield r;
    } else if (list !== undefined) {
      for (let r = list.head; r !== null; r = r.#next) yield r;
    }
  }

  static listed<C, T extends string, K>(
    list: RecordIndex<C, T, K> | TypeBucket<C, T, K> | undefined,
  ): Rec<C, T, K>[] {
    const records: Rec<C, T, K>[] = [];
    if (list instanceof TypeBucket) {
      for (let r = list.head; r !== null; r = r.#typeNext) records.push(r);
    } else if (list !== undefined) {
      for (let r = list.head; r !== null; r = r.#next) records.push(r);
    }
    return records;
  }

  /**
   * Appends a new record to the index, to `bucket` (its type's, already in
   * `index.buckets`) and to its key's list.
   */
  static link<C, T extends string, K>(
    record: Rec<C, T, K>,
    index: RecordIndex<C, T, K>,
    bucket: TypeBucket<C, T, K>,
  ): void {
    record.#bucket = bucket;
    const last = index.tail;
    record.#prev = last;
    if (last === null) index.head = record;
    else last.#next = record;
    index.tail = record;
    index.size++;

    const lastOfType = bucket.tail;
    record.#typePrev = lastOfType;
    if (lastOfType === null) bucket.head = record;
    else lastOfType.#typeNext = record;
    bucket.tail = record;
    bucket.size++;

    const key = record.key;
    const found = bucket.keys.get(key);
    if (found === undefined) {
      bucket.keys.set(key, record);
    } else if (found instanceof KeyChain) {
      const lastOfKey = found.tail;
      (lastOfKey.#keyLink as KeyLink<C, T, K>).next = record;
      record.#keyLink = new KeyLink(found, lastOfKey, null);
      found.tail = record;
      found.size++;
    } else {
      const chain = new KeyChain(found, record);
      found.#keyLink = new KeyLink(chain, null, record);
      record.#keyLink = new KeyLink(chain, found, null);
      bucket.keys.set(key, chain);
    }
  }

  /**
   * Removes a record from its index, bucket and key list, and forgets the
   * bucket once it is empty. Does nothing if it is not cached.
   */
  static unlink<C, T extends string, K>(record: Rec<C, T, K>): void {
    const bucket = record.#bucket;
    if (bucket === null) return;
    const index = bucket.index;
    record.#bucket = null;

    const prev = record.#prev;
    const next = record.#next;
    if (prev === null) index.head = next;
    else prev.#next = next;
    if (next === null) index.tail = prev;
    else next.#prev = prev;
    record.#prev = null;
    record.#next = null;
    index.size--;

    const prevOfType = record.#typePrev;
    const nextOfType = record.#typeNext;
    if (prevOfType === null) bucket.head = nextOfType;
    else prevOfType.#typeNext = nextOfType;
    if (nextOfType === null) bucket.tail = prevOfType;
    else nextOfType.#typePrev = prevOfType;
    record.#typePrev = null;
    record.#typeNext = null;
    bucket.size--;

    const link = record.#keyLink;
    if (link === null || link.chain.size === 1) {
      bucket.keys.delete(record.key);
    } else {
      // At least one other record stays, so head and tail never become null.
      const { chain, prev: prevOfKey, next: nextOfKey } = link;
      if (prevOfKey === null) chain.head = nextOfKey as Rec<C, T, K>;
      else (prevOfKey.#keyLink as KeyLink<C, T, K>).next = nextOfKey;
      if (nextOfKey === null) chain.tail = prevOfKey as Rec<C, T, K>;
      else (nextOfKey.#keyLink as KeyLink<C, T, K>).prev = prevOfKey;
      chain.size--;
    }
    record.#keyLink = null;

    if (bucket.size === 0) index.deleteBucket(bucket);
  }

  /**
   * Makes a cached record the newest of its three lists (for `touch()`).
   * Each list is left alone when the record already ends it, the usual case
   * when one connection carries a burst of messages.
   */
  static moveToTail<C, T extends string, K>(record: Rec<C, T, K>): void {
    const bucket = record.#bucket;
    if (bucket === null) return;
    const index = bucket.index;

    const last = index.tail;
    if (last !== record && last !== null) {
      const prev = record.#prev;
      // Not the tail, so it has a next.
      const next = record.#next as Rec<C, T, K>;
      if (prev === null) index.head = next;
      else prev.#next = next;
      next.#prev = prev;
      last.#next = record;
      record.#prev = last;
      record.#next = null;
      index.tail = record;
    }

    const lastOfType = bucket.tail;
    if (lastOfType !== record && lastOfType !== null) {
      const prev = record.#typePrev;
      const next = record.#typeNext as Rec<C, T, K>;
      if (prev === null) bucket.head = next;
      else prev.#typeNext = next;
      next.#typePrev = prev;
      lastOfType.#typeNext = record;
      record.#typePrev = lastOfType;
      record.#typeNext = null;
      bucket.tail = record;
    }

    const link = record.#keyLink;
    if (link !== null && link.chain.tail !== record) {
      const { chain, prev } = link;
      const next = link.next as Rec<C, T, K>;
      if (prev === null) chain.head = next;
      else (prev.#keyLink as KeyLink<C, T, K>).next = next;
      (next.#keyLink as KeyLink<C, T, K>).prev = prev;
      const lastOfKey = chain.tail;
      (lastOfKey.#keyLink as KeyLink<C, T, K>).next = record;
      link.prev = lastOfKey;
      link.next = null;
      chain.tail = record;
    }
  }
}

// Records used to be plain object literals, and are documented as
// `{ conn, type, key, depositedAt }`: keep them looking like that to
// `console.log` (no class-name prefix) and to `constructor` checks.
Object.defineProperty(CachedRecord.prototype, 'constructor', {
  value: Object,
  writable: true,
  enumerable: false,
  configurable: true,
});
