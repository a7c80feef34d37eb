// Complexity without timing: on a large cache, count which records an
// operation looks at (through counting getters on the records, and through
// the isEvictable/dispose calls) and check it is only the ones it must.
import { ConnCache } from '../src/index.js';
import type { ConnRecord } from '../src/index.js';
import { FakeClock } from './helpers.js';

/** Large enough that a scan would show; the drop(ageMs) case uses 100,000. */
const N = 20_000;
type R = ConnRecord<number, string>;

/**
 * Replaces a record's fields by getters (and a setter for touch()) that note
 * the record in `visited` whenever the cache reads one of them.
 */
function instrument(record: R, visited: Set<R>): void {
  for (const field of ['conn', 'type', 'key', 'depositedAt'] as const) {
    let value: unknown = record[field];
    Object.defineProperty(record, field, {
      configurable: true,
      enumerable: true,
      get: () => {
        visited.add(record);
        return value;
      },
      set: (v: unknown) => {
        visited.add(record);
        value = v;
      },
    });
  }
}

function bigCache(options: { isEvictable?: (r: R) => boolean; old?: number; n?: number } = {}) {
  const n = options.n ?? N;
  const clock = new FakeClock();
  const disposed: number[] = [];
  const evictableCalls: number[] = [];
  const cache = new ConnCache<number, string>({
    totalCapacity: n,
    clock,
    dispose: (conn) => void disposed.push(conn),
    ...(options.isEvictable === undefined
      ? {}
      : {
          isEvictable: (r: R) => {
            evictableCalls.push(r.conn);
            return options.isEvictable!(r);
          },
        }),
  });
  const visited = new Set<R>();
  const records: R[] = [];
  for (let i = 0; i < n; i++) {
    if (i === (options.old ?? 0)) clock.advance(1000);
    const record = cache.deposit(i % 1000 === 7 ? 'rare' : 'common', `key${i % 500}`, i);
    instrument(record, visited);
    records.push(record);
  }
  visited.clear();
  return { cache, clock, disposed, evictableCalls, visited, records };
}

test('drop(ageMs) on 100,000 entries with 10 old ones disposes 10 and looks only at those and the first young one', () => {
  const { cache, clock, disposed, visited, records } = bigCache({ old: 10, n: 100_000 });
  const readsBefore = clock.reads;
  expect(cache.drop(500)).toBe(10);
  expect(disposed).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  expect(clock.reads - readsBefore).toBe(1);
  expect(new Set(visited)).toEqual(new Set(records.slice(0, 11)));
  expect(cache.size).toBe(100_000 - 10);
  // nothing old left: one look at the oldest record and done
  visited.clear();
  expect(cache.drop(500)).toBe(0);
  expect([...visited]).toEqual([records[10]]);
});

test('eviction calls isEvictable only for the records it skips and the one it evicts', () => {
  const { cache, disposed, evictableCalls, visited } = bigCache({ isEvictable: (r) => r.conn >= 5 });
  cache.deposit('common', 'new', N);
  expect(evictableCalls).toEqual([0, 1, 2, 3, 4, 5]);
  expect(disposed).toEqual([5]);
  expect([...visited].map((r) => r.conn).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5]);
  expect(cache.size).toBe(N);
});

test('eviction without isEvictable looks only at the evicted record', () => {
  const { cache, disposed, visited, records } = bigCache();
  cache.deposit('common', 'new', N);
  cache.deposit('common', 'new', N + 1);
  expect(disposed).toEqual([0, 1]);
  expect([...visited]).toEqual([records[0], records[1]]);
});

test('lowering the total capacity visits only the evicted records', () => {
  const { cache, disposed, visited, records } = bigCache();
  cache.totalCapacity(N - 3);
  expect(disposed).toEqual([0, 1, 2]);
  expect([...visited]).toEqual(records.slice(0, 3));
});

test('drop(type) visits only records of that type', () => {
  const { cache, disposed, visited, records } = bigCache();
  const rare = records.filter((r) => r.conn % 1000 === 7);
  visited.clear(); // the filter above read every record
  expect(cache.drop('rare')).toBe(rare.length);
  expect(disposed).toHaveLength(rare.length);
  expect(new Set(visited)).toEqual(new Set(rare));
});

test('a per-type capacity evicts within that type, visiting only what it evicts', () => {
  const { cache, disposed, visited, records } = bigCache();
  cache.capacity('rare', 18);
  expect(disposed).toEqual([7, 1007]);
  expect([...visited]).toEqual([records[7], records[1007]]);
});

test('deposit, withdraw, find, touch and dropRecord visit no record but their own', () => {
  const { cache, clock, visited, records } = bigCache();
  cache.totalCapacity(null);
  expect(visited.size).toBe(0);
  const mine = cache.deposit('common', 'key3', -1);
  expect(visited.size).toBe(0);
  expect(cache.find('common', 'key3')).toBe(records[3]);
  expect(cache.withdraw('common', 'key3')).toBe(3);
  clock.advance(1);
  cache.touch(records[4]!);
  expect(cache.dropRecord(records[5]!)).toBe(true);
  expect(new Set(visited)).toEqual(new Set([records[3], records[4], records[5]]));
  expect(cache.find('common', 'key3')).toBe(records[503]);
  expect(mine.depositedAt).toBe(1000);
});
