/**
 * A node of a {@link LinkedList}. The owner keeps the node next to its value
 * so removal and move-to-tail need no search.
 * @internal
 */
export class ListNode<V> {
  prev: ListNode<V> | null = null;
  next: ListNode<V> | null = null;
  /** The list this node is linked into, or `null` once unlinked. */
  list: LinkedList<V> | null = null;

  constructor(readonly value: V) {}
}

/**
 * Doubly linked list with O(1) push, remove and move-to-tail given the node.
 * A `Map`/`Set` is not used as a queue because iterating one from the front
 * walks over the slots of deleted entries until the table is compacted, so
 * "take the oldest" would not be O(1).
 * @internal
 */
export class LinkedList<V> {
  head: ListNode<V> | null = null;
  tail: ListNode<V> | null = null;
  size = 0;

  push(node: ListNode<V>): void {
    node.list = this;
    node.prev = this.tail;
    node.next = null;
    if (this.tail === null) this.head = node;
    else this.tail.next = node;
    this.tail = node;
    this.size++;
  }

  remove(node: ListNode<V>): void {
    if (node.list !== this) return;
    if (node.prev === null) this.head = node.next;
    else node.prev.next = node.next;
    if (node.next === null) this.tail = node.prev;
    else node.next.prev = node.prev;
    node.prev = null;
    node.next = null;
    node.list = null;
    this.size--;
  }

  moveToTail(node: ListNode<V>): void {
    if (node.list !== this || node === this.tail) return;
    this.remove(node);
    this.push(node);
  }

  /** The values, head to tail, copied so callers may change the list while they use them. */
  toArray(): V[] {
    const values = new Array<V>(this.size);
    let i = 0;
    for (let node = this.head; node !== null; node = node.next) values[i++] = node.value;
    return values;
  }
}
