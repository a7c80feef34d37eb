/**
 * The client's single inbound queue. Items are taken by a waiting async
 * iterator first, else held until someone drains them. `push` reports when
 * the queue is over its high-water mark so the owner can stop reading from
 * peers; `onLow` fires once it has fallen to half of it again.
 */
export class MessageQueue<T> {
  #items: T[] = [];
  #head = 0;
  #waiters: Array<(result: IteratorResult<T>) => void> = [];
  #closed = false;
  #high = false;
  readonly #highWaterMark: number;
  readonly #onLow: () => void;

  constructor(highWaterMark: number, onLow: () => void) {
    this.#highWaterMark = highWaterMark;
    this.#onLow = onLow;
  }

  get length(): number {
    return this.#items.length - this.#head;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** True from passing the high-water mark until falling to half of it. */
  get high(): boolean {
    return this.#high;
  }

  /** Whether an async iterator is waiting for the next item. */
  get hasWaiter(): boolean {
    return this.#waiters.length > 0;
  }

  /** Adds an item; returns true when the queue is now over its high-water mark. */
  push(item: T): boolean {
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) {
      waiter({ value: item, done: false });
      return false;
    }
    this.#items.push(item);
    if (this.length > this.#highWaterMark) this.#high = true;
    return this.#high;
  }

  /** Removes and returns everything queued, oldest first. */
  drain(): T[] {
    const out = this.#head === 0 ? this.#items : this.#items.slice(this.#head);
    this.#items = [];
    this.#head = 0;
    this.#checkLow();
    return out;
  }

  /** Removes and returns the oldest item. */
  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head] as T;
    // Drop the reference so a long-lived queue does not pin delivered items.
    (this.#items as Array<T | undefined>)[this.#head] = undefined;
    this.#head++;
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    this.#checkLow();
    return item;
  }

  /** The next item: at once if one is queued, else when one arrives or the queue closes. */
  next(): Promise<IteratorResult<T>> {
    const item = this.shift();
    if (item !== undefined) return Promise.resolve({ value: item, done: false });
    if (this.#closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Ends every waiting and future iteration once the queued items are taken. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const waiter of this.#waiters.splice(0)) waiter({ value: undefined, done: true });
  }

  #checkLow(): void {
    if (this.#high && this.length <= this.#highWaterMark / 2) {
      this.#high = false;
      this.#onLow();
    }
  }
}
