import { ConnCache } from '../src/index.js';

describe('oldest()', () => {
  test('yields records least recently used first, of one type or all', () => {
    let now = 0;
    const cache = new ConnCache<string, 'a' | 'b'>({ totalCapacity: null, clock: { now: () => now } });
    const one = cache.deposit('a', 'k1', 'one');
    now = 1;
    cache.deposit('b', 'k2', 'two');
    now = 2;
    cache.deposit('a', 'k3', 'three');
    now = 3;
    cache.touch(one);
    expect([...cache.oldest()].map((r) => r.conn)).toEqual(['two', 'three', 'one']);
    expect([...cache.oldest('a')].map((r) => r.conn)).toEqual(['three', 'one']);
    expect([...cache.oldest('b')].map((r) => r.conn)).toEqual(['two']);
  });

  test('is lazy (a generator over the live list, not a snapshot like records())', () => {
    const cache = new ConnCache<number>({ totalCapacity: null });
    for (let i = 0; i < 1_000; i++) cache.deposit('t', `k${i}`, i);
    const iterator = cache.oldest();
    expect(Object.prototype.toString.call(iterator)).toBe('[object Generator]');
    expect(Object.prototype.toString.call(cache.records())).toBe('[object Array Iterator]');
    expect([iterator.next().value?.conn, iterator.next().value?.conn]).toEqual([0, 1]);
  });
});
