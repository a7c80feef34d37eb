// Records are the cache's list nodes (one object per cached connection):
// they must still look and behave like the plain documented
// { conn, type, key, depositedAt }, and the deposit fast path must not change
// what subclasses see.
import { inspect } from 'node:util';
import { ConnCache, ConnCacheCallbackError } from '../src/index.js';
import type { ConnRecord } from '../src/index.js';
import { FakeConn, expectConsistent, fakeCache, names } from './helpers.js';
import type { Kind } from './helpers.js';

describe('a record looks like a plain object', () => {
  const { cache } = fakeCache({ totalCapacity: null });
  const conn = new FakeConn('a');
  const record = cache.deposit('http', 'k', conn);
  cache.deposit('http', 'k', new FakeConn('b')); // gives the key a list of its own
  const plain = { conn, type: 'http', key: 'k', depositedAt: 0 };

  test('to console.log / util.inspect', () => {
    expect(inspect(record)).toBe(inspect(plain));
    expect(inspect(record, { showHidden: true })).toBe(inspect(plain, { showHidden: true }));
  });

  test('to Object.keys, JSON, spreading and constructor checks', () => {
    expect(Object.keys(record)).toEqual(['conn', 'type', 'key', 'depositedAt']);
    expect(Object.getOwnPropertySymbols(record)).toEqual([]);
    expect(JSON.stringify(record)).toBe(JSON.stringify(plain));
    expect({ ...record }).toStrictEqual(plain);
    expect(record).toStrictEqual(plain);
    expect(record.constructor).toBe(Object);
  });
});

describe('touch and dropRecord ignore what is not a record of this cache', () => {
  test.each([
    ['undefined', undefined],
    ['null', null],
    ['a number', 42],
    ['a string', 'http'],
    ['a function', () => {}],
  ])('%s', (_, value) => {
    const { cache, clock } = fakeCache({ totalCapacity: null });
    cache.deposit('http', 'k', new FakeConn('a'));
    const reads = clock.reads;
    expect(() => cache.touch(value as unknown as ConnRecord<FakeConn, Kind>)).not.toThrow();
    expect(cache.dropRecord(value as unknown as ConnRecord<FakeConn, Kind>)).toBe(false);
    expect(clock.reads).toBe(reads);
    expect(cache.size).toBe(1);
  });

  test('a look-alike object, even one copied from a record', () => {
    const { cache, clock } = fakeCache({ totalCapacity: null });
    const ra = cache.deposit('http', 'a', new FakeConn('a'));
    cache.deposit('http', 'b', new FakeConn('b'));
    const copy = { ...ra };
    const inherited = Object.create(Object.getPrototypeOf(ra) as object) as ConnRecord<FakeConn, Kind>;
    clock.advance(5);
    for (const fake of [copy, inherited]) {
      cache.touch(fake);
      expect(cache.dropRecord(fake)).toBe(false);
    }
    expect(copy.depositedAt).toBe(0);
    expect(names(cache.getConnections())).toEqual(['a', 'b']);
    expect(ra.conn.disposed).toEqual([]);
  });
});

describe('several connections under one type and key', () => {
  test('stay in LRU order through withdraws, touches and new deposits', () => {
    const { cache, clock } = fakeCache({ totalCapacity: null });
    const rec = (name: string): ConnRecord<FakeConn, Kind> => cache.deposit('http', 'k', new FakeConn(name));
    const ra = rec('a');
    const rb = rec('b');
    const rc = rec('c');
    cache.deposit('http', 'other', new FakeConn('o'));
    clock.advance(1);
    cache.touch(ra); // head of its key goes to the tail
    expect(cache.find('http', 'k')).toBe(rb);
    cache.touch(rc); // middle of its key (c, a) goes to the tail: b, a, c
    expect(names(cache.getConnections())).toEqual(['b', 'o', 'a', 'c']);
    expect(cache.withdraw('http', 'k')?.name).toBe('b');
    expect(cache.withdraw('http', 'k')?.name).toBe('a');
    // one left, then two again
    cache.touch(rc);
    const rd = rec('d');
    expect(cache.find('http', 'k')).toBe(rc);
    cache.touch(rc);
    expect(cache.find('http', 'k')).toBe(rd);
    expectConsistent(cache);
    expect(cache.dropRecord(rd)).toBe(true);
    expect(cache.dropRecord(rc)).toBe(true);
    expect(cache.find('http', 'k')).toBeUndefined();
    expect(cache.withdraw('http', 'k')).toBeUndefined();
    const re = rec('e');
    expect(cache.find('http', 'k')).toBe(re);
    expectConsistent(cache);
  });

  test('a key that drops back to one record and grows again keeps working', () => {
    const { cache } = fakeCache({ totalCapacity: 2 });
    for (let i = 0; i < 10; i++) {
      cache.deposit('http', 'k', new FakeConn(`c${i}`));
      expect(cache.size).toBeLessThanOrEqual(2);
      expectConsistent(cache);
    }
    expect(names(cache.getConnections())).toEqual(['c8', 'c9']);
    expect(cache.withdraw('http', 'k')?.name).toBe('c8');
    expect(cache.withdraw('http', 'k')?.name).toBe('c9');
    expect(cache.getTypes()).toEqual([]);
  });
});

describe('enforceLimits overrides', () => {
  test('are called after every deposit, even when no capacity is exceeded', () => {
    const calls: (string | undefined)[] = [];
    class Watching extends ConnCache<FakeConn, Kind> {
      override enforceLimits(type?: Kind): void {
        calls.push(type);
        super.enforceLimits(type);
      }
    }
    const cache = new Watching({ totalCapacity: null, dispose: () => {} });
    cache.deposit('http', 'a', new FakeConn('a'));
    cache.deposit('ftp', 'a', new FakeConn('b'));
    expect(calls).toEqual(['http', 'ftp']);
  });

  test('also when enforceLimits is replaced on the instance', () => {
    const { cache } = fakeCache({ totalCapacity: null });
    const calls: (string | undefined)[] = [];
    cache.enforceLimits = (type) => void calls.push(type);
    cache.deposit('unix', 'a', new FakeConn('a'));
    expect(calls).toEqual(['unix']);
  });

  test('what they do runs inside the operation: callback errors are thrown once, after all of it', () => {
    const failing = new Set<string>();
    class Picky extends ConnCache<FakeConn, Kind> {
      override enforceLimits(type?: Kind): void {
        this.drop((conn) => {
          if (failing.has(conn.name)) throw new Error(`check ${conn.name} failed`);
          return false;
        });
        super.enforceLimits(type);
      }
    }
    const cache = new Picky({
      totalCapacity: 2,
      dispose: (conn, reason) => {
        conn.disposed.push(reason);
        throw new Error(`${conn.name} failed`);
      },
    });
    const [a, b, c] = ['a', 'b', 'c'].map((n) => new FakeConn(n)) as [FakeConn, FakeConn, FakeConn];
    const caught = (f: () => unknown): ConnCacheCallbackError | undefined => {
      try {
        f();
      } catch (error) {
        return error as ConnCacheCallbackError;
      }
      return undefined;
    };
    cache.deposit('http', 'a', a);
    cache.deposit('http', 'b', b);
    failing.add('a');
    // the override's checker throws, and it still gets to super.enforceLimits()
    let thrown = caught(() => cache.deposit('http', 'c', c));
    expect(thrown).toBeInstanceOf(ConnCacheCallbackError);
    expect((thrown!.errors as Error[]).map((e) => e.message)).toEqual(['check a failed', 'a failed']);
    expect(thrown!.dropped).toBe(1);
    expect(a.disposed).toEqual(['total capacity']);
    expect(names(cache.getConnections())).toEqual(['b', 'c']);
    // the same through a capacity setter
    failing.add('c');
    thrown = caught(() => cache.totalCapacity(1));
    expect((thrown!.errors as Error[]).map((e) => e.message)).toEqual(['check c failed', 'b failed']);
    expect(thrown!.dropped).toBe(1);
    expect(b.disposed).toEqual(['total capacity']);
    expect(names(cache.getConnections())).toEqual(['c']);
  });
});
