/**
 * The floor a connection cache is compared with: a plain `Map` doing the same
 * key work and nothing else (no types, no LRU order, no counters, no
 * callbacks guarded against throwing).
 *
 * - Without a capacity, `withdraw` is `get` + `delete` and `deposit` is `set`.
 * - With a capacity, `deposit` also appends the key to a FIFO and evicts the
 *   oldest key once over capacity. The FIFO is an array ring buffer: a
 *   `Map`/`Set` used as a queue (`keys().next()`) is not O(1), since its
 *   iterator walks over the slots of deleted entries until the table is
 *   rehashed. Withdrawing is not supported together with a capacity (the
 *   benchmark never mixes them), which keeps the ring free of stale keys.
 */
export class MapBaseline<Conn> {
  readonly #map = new Map<string, Conn>();
  readonly #capacity: number | null;
  readonly #dispose: (conn: Conn) => void;
  /** Keys in deposit order, `#count` of them from `#head`, wrapping around. */
  readonly #ring: string[];
  #head = 0;
  #count = 0;

  constructor(capacity: number | null, dispose: (conn: Conn) => void) {
    this.#capacity = capacity;
    this.#dispose = dispose;
    // One slot more than the capacity: the deposit goes in before the eviction.
    this.#ring = new Array<string>(capacity === null ? 0 : capacity + 1).fill('');
  }

  get size(): number {
    return this.#map.size;
  }

  withdraw(key: string): Conn | undefined {
    if (this.#capacity !== null) throw new Error('MapBaseline: withdraw() is not supported with a capacity');
    const conn = this.#map.get(key);
    if (conn !== undefined) this.#map.delete(key);
    return conn;
  }

  deposit(key: string, conn: Conn): void {
    this.#map.set(key, conn);
    const capacity = this.#capacity;
    if (capacity === null) return;
    const ring = this.#ring;
    let tail = this.#head + this.#count;
    if (tail >= ring.length) tail -= ring.length;
    ring[tail] = key;
    this.#count++;
    while (this.#count > capacity) {
      const oldest = ring[this.#head] as string;
      this.#head = this.#head + 1 === ring.length ? 0 : this.#head + 1;
      this.#count--;
      const evicted = this.#map.get(oldest);
      this.#map.delete(oldest);
      if (evicted !== undefined) this.#dispose(evicted);
    }
  }
}
