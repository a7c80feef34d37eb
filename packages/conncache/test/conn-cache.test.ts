// Behaviour beyond the LWP::ConnCache document: disposal, LRU order,
// eviction preference, records, counters, clock.
import { performance } from 'node:perf_hooks';
import { ConnCache } from '../src/index.js';
import type { ConnRecord, DropReason } from '../src/index.js';
import { FakeClock, FakeConn, expectConsistent, fakeCache, names } from './helpers.js';
import type { Kind } from './helpers.js';

describe('default dispose', () => {
  const make = (methods: string[], log: string[]): Record<string, () => void> =>
    Object.fromEntries(methods.map((m) => [m, () => void log.push(m)]));

  test.each([
    [['destroy', 'end', 'close'], 'destroy'],
    [['end', 'close'], 'end'],
    [['close'], 'close'],
  ])('with methods %j it calls %s, once', (methods, expected) => {
    const log: string[] = [];
    const cache = new ConnCache<Record<string, () => void>>({ totalCapacity: null });
    cache.deposit('t', 'k', make(methods, log));
    cache.drop();
    expect(log).toEqual([expected]);
  });

  test('calls the method on the connection (this is the connection)', () => {
    let self: unknown;
    const conn = {
      destroy(): void {
        self = this;
      },
    };
    const cache = new ConnCache<typeof conn>();
    cache.deposit('t', 'k', conn);
    cache.drop();
    expect(self).toBe(conn);
  });

  test('ignores values without such methods', () => {
    const cache = new ConnCache<unknown>({ totalCapacity: null });
    for (const value of [null, undefined, 1, 'x', { destroy: 'not a function' }, Symbol('s')]) {
      cache.deposit('t', 'k', value);
    }
    expect(cache.drop()).toBe(6);
  });
});

describe('dispose', () => {
  test('is called exactly once per dropped connection, with the reason and the record', () => {
    const calls: [FakeConn, DropReason, ConnRecord<FakeConn, Kind>][] = [];
    const clock = new FakeClock();
    const cache = new ConnCache<FakeConn, Kind>({
      totalCapacity: 3,
      capacities: { ftp: 1 },
      clock,
      dispose: (conn, reason, record) => void calls.push([conn, reason, record]),
    });
    const r = ['a', 'b', 'c', 'd', 'e', 'f'].map((n, i) =>
      cache.deposit(i === 1 || i === 4 ? 'ftp' : 'http', n, new FakeConn(n)),
    );
    // a http, b ftp, c http, d http (evicts a), e ftp (evicts b by type), f http (evicts c)
    expect(cache.withdraw('http', 'd')?.name).toBe('d');
    clock.advance(10);
    cache.drop(5);
    expect(cache.drop()).toBe(0);
    expect(calls.map(([conn, reason]) => `${conn.name}:${reason}`)).toEqual([
      'a:total capacity',
      'b:type capacity',
      'c:total capacity',
      'e:age',
      'f:age',
    ]);
    for (const [conn, , record] of calls) {
      expect(record).toBe(r.find((x) => x.conn === conn));
    }
  });

  test('dropping() runs before dispose, and the record is already gone from the cache', () => {
    const order: string[] = [];
    class Hooked extends ConnCache<FakeConn> {
      override dropping(record: ConnRecord<FakeConn>): void {
        order.push(`dropping ${record.conn.name} size=${this.size}`);
      }
    }
    const cache: Hooked = new Hooked({
      totalCapacity: null,
      dispose: (conn) => {
        order.push(`dispose ${conn.name} size=${cache.size} found=${cache.find('t', conn.name) !== undefined}`);
      },
    });
    cache.deposit('t', 'a', new FakeConn('a'));
    cache.deposit('t', 'b', new FakeConn('b'));
    cache.drop('t');
    expect(order).toEqual([
      'dropping a size=1',
      'dispose a size=1 found=false',
      'dropping b size=0',
      'dispose b size=0 found=false',
    ]);
  });

  test('a withdrawn connection is never disposed', () => {
    const { cache } = fakeCache({ totalCapacity: 2 });
    const a = new FakeConn('a');
    cache.deposit('http', 'k', a);
    expect(cache.withdraw('http', 'k')).toBe(a);
    cache.drop();
    cache.deposit('http', 'x', new FakeConn('x'));
    cache.deposit('http', 'y', new FakeConn('y'));
    cache.deposit('http', 'z', new FakeConn('z'));
    expect(a.disposed).toEqual([]);
  });

  test('a promise returned by dispose that rejects goes to onError', async () => {
    const errors: unknown[] = [];
    const cache = new ConnCache<string>({
      dispose: () => Promise.reject(new Error('async close failed')) as unknown as void,
      onError: (error, info) => void errors.push([(error as Error).message, info.operation, info.record.conn]),
    });
    cache.deposit('t', 'k', 'conn');
    cache.drop();
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(errors).toEqual([['async close failed', 'dispose', 'conn']]);
  });
});

describe('isEvictable', () => {
  test('eviction takes the oldest evictable record', () => {
    const { cache } = fakeCache({ totalCapacity: 3, isEvictable: (r) => r.conn.evictable });
    const conns = ['a', 'b', 'c', 'd'].map((n) => new FakeConn(n));
    conns[0]!.evictable = false;
    for (const c of conns) cache.deposit('http', c.name, c);
    expect(names(cache.getConnections())).toEqual(['a', 'c', 'd']);
    expect(conns[1]!.disposed).toEqual(['total capacity']);
  });

  test('when no record is evictable the oldest goes anyway, so the capacity holds', () => {
    const { cache } = fakeCache({ totalCapacity: 2, isEvictable: () => false });
    const conns = ['a', 'b', 'c', 'd'].map((n) => new FakeConn(n));
    for (const c of conns) cache.deposit('http', c.name, c);
    expect(names(cache.getConnections())).toEqual(['c', 'd']);
    expect(cache.size).toBe(2);
  });

  test('per-type eviction prefers evictable records of that type', () => {
    const { cache } = fakeCache({
      totalCapacity: null,
      capacities: { ftp: 2 },
      isEvictable: (r) => r.conn.evictable,
    });
    const [f1, h1, f2, f3] = ['f1', 'h1', 'f2', 'f3'].map((n) => new FakeConn(n)) as [
      FakeConn,
      FakeConn,
      FakeConn,
      FakeConn,
    ];
    f1.evictable = false;
    cache.deposit('ftp', 'a', f1);
    cache.deposit('http', 'a', h1);
    cache.deposit('ftp', 'b', f2);
    cache.deposit('ftp', 'c', f3);
    expect(names(cache.getConnections())).toEqual(['f1', 'h1', 'f3']);
    expect(f2.disposed).toEqual(['type capacity']);
  });

  test('lowering a capacity evicts evictable ones first, then the oldest', () => {
    const { cache } = fakeCache({ totalCapacity: null, isEvictable: (r) => r.conn.evictable });
    const conns = ['a', 'b', 'c', 'd', 'e'].map((n) => new FakeConn(n));
    conns[0]!.evictable = false;
    conns[1]!.evictable = false;
    conns[3]!.evictable = false;
    for (const c of conns) cache.deposit('http', c.name, c);
    cache.totalCapacity(2);
    // evictable c and e go first, then the oldest remaining: a
    expect(names(cache.getConnections())).toEqual(['b', 'd']);
  });
});

describe('touch and LRU order', () => {
  test('touch makes a record the newest and sets depositedAt', () => {
    const { cache, clock } = fakeCache({ totalCapacity: 3 });
    const [ra, rb] = ['a', 'b', 'c'].map((n) => cache.deposit('http', 'k', new FakeConn(n))) as [
      ConnRecord<FakeConn, Kind>,
      ConnRecord<FakeConn, Kind>,
    ];
    clock.advance(7);
    cache.touch(ra);
    expect(ra.depositedAt).toBe(7);
    expect(names(cache.getConnections())).toEqual(['b', 'c', 'a']);
    expect(cache.find('http', 'k')).toBe(rb);
    // eviction takes the least recently used
    cache.deposit('http', 'k', new FakeConn('d'));
    expect(names(cache.getConnections())).toEqual(['c', 'a', 'd']);
    // withdraw too
    expect(cache.withdraw('http', 'k')?.name).toBe('c');
    expectConsistent(cache);
  });

  test('a touched record is not old for drop(ageMs)', () => {
    const { cache, clock } = fakeCache({ totalCapacity: null });
    const ra = cache.deposit('http', 'a', new FakeConn('a'));
    cache.deposit('http', 'b', new FakeConn('b'));
    clock.advance(100);
    cache.touch(ra);
    expect(cache.drop(50)).toBe(1);
    expect(names(cache.getConnections())).toEqual(['a']);
  });

  test('touch of a record that is no longer cached does nothing', () => {
    const { cache, clock } = fakeCache({ totalCapacity: null });
    const ra = cache.deposit('http', 'a', new FakeConn('a'));
    cache.deposit('http', 'b', new FakeConn('b'));
    cache.withdraw('http', 'a');
    clock.advance(5);
    cache.touch(ra);
    expect(ra.depositedAt).toBe(0);
    expect(names(cache.getConnections())).toEqual(['b']);
    const other = new ConnCache<FakeConn, Kind>({ totalCapacity: null });
    other.touch(cache.find('http', 'b')!);
    expect(other.size).toBe(0);
    expectConsistent(cache);
  });

  test('touch keeps the per-type and per-key orders in step with the global one', () => {
    const { cache } = fakeCache({ totalCapacity: null });
    const records = ['a', 'b', 'c'].map((n) => cache.deposit('http', 'k', new FakeConn(n)));
    cache.deposit('ftp', 'k', new FakeConn('f'));
    cache.touch(records[0]!);
    cache.touch(records[1]!);
    expect(names(cache.getConnections('http'))).toEqual(['c', 'a', 'b']);
    expect(cache.withdraw('http', 'k')?.name).toBe('c');
    expect(cache.withdraw('http', 'k')?.name).toBe('a');
    expectConsistent(cache);
  });
});

describe('find', () => {
  test('returns the oldest matching record without removing it or counting', () => {
    const { cache } = fakeCache({ totalCapacity: null });
    const ra = cache.deposit('http', 'k', new FakeConn('a'));
    cache.deposit('http', 'k', new FakeConn('b'));
    expect(cache.find('http', 'k')).toBe(ra);
    expect(cache.find('http', 'nope')).toBeUndefined();
    expect(cache.find('ftp', 'k')).toBeUndefined();
    expect(cache.size).toBe(2);
    expect(cache.stats()).toMatchObject({ hits: 0, misses: 0 });
  });

  test('keys are compared by identity (SameValueZero), so objects work as keys', () => {
    const cache = new ConnCache<string, 'x', { host: string }>({ totalCapacity: null, dispose: () => {} });
    const k1 = { host: 'a' };
    cache.deposit('x', k1, 'c1');
    expect(cache.find('x', { host: 'a' })).toBeUndefined();
    expect(cache.withdraw('x', k1)).toBe('c1');
  });
});

describe('dropRecord', () => {
  test('drops one record with reason drop by default, or the given reason', () => {
    const { cache } = fakeCache({ totalCapacity: null });
    const a = new FakeConn('a');
    const b = new FakeConn('b');
    const ra = cache.deposit('http', 'k', a);
    const rb = cache.deposit('http', 'k', b);
    expect(cache.dropRecord(rb)).toBe(true);
    expect(b.disposed).toEqual(['drop']);
    expect(cache.dropRecord(ra, 'unhealthy')).toBe(true);
    expect(a.disposed).toEqual(['unhealthy']);
    expect(cache.size).toBe(0);
  });

  test('returns false, disposing nothing, for a record that is not cached', () => {
    const { cache } = fakeCache({ totalCapacity: null });
    const a = new FakeConn('a');
    const ra = cache.deposit('http', 'k', a);
    cache.withdraw('http', 'k');
    expect(cache.dropRecord(ra)).toBe(false);
    const rb = cache.deposit('http', 'k', new FakeConn('b'));
    expect(cache.dropRecord(rb)).toBe(true);
    expect(cache.dropRecord(rb)).toBe(false);
    const { cache: other } = fakeCache({ totalCapacity: null });
    const rc = other.deposit('http', 'k', new FakeConn('c'));
    expect(cache.dropRecord(rc)).toBe(false);
    expect(other.size).toBe(1);
    expect(a.disposed).toEqual([]);
  });
});

describe('records', () => {
  test('lists records oldest (least recently deposited or touched) first', () => {
    const { cache, clock } = fakeCache({ totalCapacity: null });
    const ra = cache.deposit('http', 'a', new FakeConn('a'));
    clock.advance(1);
    const rb = cache.deposit('ftp', 'b', new FakeConn('b'));
    clock.advance(1);
    const rc = cache.deposit('http', 'c', new FakeConn('c'));
    expect([...cache.records()]).toEqual([ra, rb, rc]);
    cache.touch(ra);
    expect([...cache.records()]).toEqual([rb, rc, ra]);
    expect([...cache.records('http')]).toEqual([rc, ra]);
    expect([...cache.records('unix')]).toEqual([]);
  });

  test('is a snapshot: the cache may change while iterating', () => {
    const { cache } = fakeCache({ totalCapacity: null });
    for (const n of ['a', 'b', 'c']) cache.deposit('http', n, new FakeConn(n));
    const seen: string[] = [];
    for (const record of cache.records()) {
      seen.push(record.conn.name);
      cache.touch(record); // would loop forever over a live list
      cache.deposit('http', 'new', new FakeConn('new'));
    }
    expect(seen).toEqual(['a', 'b', 'c']);
    expect(cache.size).toBe(6);
  });
});

describe('stats', () => {
  test('counts deposits, hits, misses, drops by reason and sizes', () => {
    const { cache, clock } = fakeCache({ totalCapacity: 4, capacities: { ftp: 1 } });
    expect(cache.stats()).toEqual({
      deposits: 0,
      hits: 0,
      misses: 0,
      drops: { 'total capacity': 0, 'type capacity': 0, age: 0, type: 0, ping: 0, drop: 0 },
      size: 0,
      sizeByType: {},
    });
    const dead = new FakeConn('dead');
    cache.deposit('ftp', 'a', new FakeConn('f1'));
    cache.deposit('ftp', 'a', new FakeConn('f2')); // type capacity
    cache.deposit('http', 'a', new FakeConn('h1'));
    cache.deposit('http', 'b', dead);
    cache.deposit('unix', 'a', new FakeConn('u1'));
    cache.deposit('unix', 'b', new FakeConn('u2')); // total capacity
    cache.withdraw('http', 'a'); // hit
    cache.withdraw('http', 'a'); // miss
    dead.alive = false;
    cache.prune(); // ping
    clock.advance(1);
    cache.deposit('http', 'c', new FakeConn('h2'));
    cache.drop(1); // age: u1, u2
    cache.dropRecord(cache.find('http', 'c')!, 'custom');
    expect(cache.stats()).toEqual({
      deposits: 7,
      hits: 1,
      misses: 1,
      drops: { 'total capacity': 1, 'type capacity': 1, age: 2, type: 0, ping: 1, drop: 0, custom: 1 },
      size: 0,
      sizeByType: {},
    });
    cache.deposit('ftp', 'z', new FakeConn('f3'));
    cache.deposit('http', 'z', new FakeConn('h3'));
    cache.drop('ftp');
    cache.drop((c) => c.name === 'h3');
    expect(cache.stats().drops).toMatchObject({ type: 1, drop: 1 });
  });

  test('sizeByType lists the types with cached connections', () => {
    const { cache } = fakeCache({ totalCapacity: null });
    cache.deposit('http', 'a', new FakeConn('a'));
    cache.deposit('http', 'b', new FakeConn('b'));
    cache.deposit('ftp', 'a', new FakeConn('c'));
    expect(cache.stats().sizeByType).toEqual({ http: 2, ftp: 1 });
    expect(cache.size).toBe(3);
  });
});

describe('clock', () => {
  test('depositedAt comes from options.clock', () => {
    const clock = new FakeClock();
    clock.t = 1234.5;
    const cache = new ConnCache<string>({ clock, dispose: () => {} });
    expect(cache.deposit('t', 'k', 'c').depositedAt).toBe(1234.5);
  });

  test('the default clock is performance.now(), read at call time', () => {
    const cache = new ConnCache<string>({ dispose: () => {} });
    const before = performance.now();
    const record = cache.deposit('t', 'k', 'c');
    const after = performance.now();
    expect(record.depositedAt).toBeGreaterThanOrEqual(before);
    expect(record.depositedAt).toBeLessThanOrEqual(after);
  });

  test('a clock that goes back does not make ages negative or unsort the LRU list', () => {
    const { cache, clock } = fakeCache({ totalCapacity: null });
    clock.t = 100;
    cache.deposit('http', 'a', new FakeConn('a'));
    clock.t = 50;
    const rb = cache.deposit('http', 'b', new FakeConn('b'));
    expect(rb.depositedAt).toBe(100);
    expectConsistent(cache);
    expect(cache.drop(0)).toBe(2);
  });
});

describe('re-entrancy', () => {
  test('a dispose that calls back into the cache does not corrupt it', () => {
    const clock = new FakeClock();
    let cache: ConnCache<FakeConn, Kind> | undefined;
    const withdrawn: (FakeConn | undefined)[] = [];
    const dispose = (conn: FakeConn, reason: DropReason): void => {
      conn.disposed.push(reason);
      const c = cache!;
      if (conn.name === 'a') withdrawn.push(c.withdraw('http', 'k')); // takes b
      if (conn.name === 'c') c.drop('ftp'); // drops f while drop() walks
      if (conn.name === 'd') c.deposit('unix', 'late', new FakeConn('late'));
    };
    cache = new ConnCache<FakeConn, Kind>({ totalCapacity: null, clock, dispose });
    const conns = Object.fromEntries(['a', 'b', 'c', 'd', 'f'].map((n) => [n, new FakeConn(n)]));
    cache.deposit('http', 'x', conns.a!);
    cache.deposit('http', 'k', conns.b!);
    cache.deposit('http', 'y', conns.c!);
    cache.deposit('http', 'z', conns.d!);
    cache.deposit('ftp', 'k', conns.f!);
    expect(cache.drop('http')).toBe(3); // a, c, d; b was withdrawn meanwhile
    expect(withdrawn).toEqual([conns.b]);
    expect(conns.b!.disposed).toEqual([]);
    expect(conns.f!.disposed).toEqual(['type']);
    expect(names(cache.getConnections())).toEqual(['late']);
    expectConsistent(cache);
    for (const c of Object.values(conns)) expect(c.disposed.length).toBeLessThanOrEqual(1);
  });

  test('eviction copes with a dropping() hook that removes the next candidate', () => {
    class Greedy extends ConnCache<FakeConn, Kind> {
      override dropping(record: ConnRecord<FakeConn, Kind>): void {
        const next = this.records().next();
        if (!next.done) this.withdraw(next.value.type, next.value.key);
        void record;
      }
    }
    const disposed: string[] = [];
    const cache = new Greedy({
      totalCapacity: null,
      isEvictable: (r) => r.conn.name !== 'a',
      dispose: (c) => void disposed.push(c.name),
    });
    for (const n of ['a', 'b', 'c', 'd', 'e', 'f']) cache.deposit('http', n, new FakeConn(n));
    cache.totalCapacity(2);
    expect(cache.size).toBeLessThanOrEqual(2);
    expect(new Set(disposed).size).toBe(disposed.length);
    expectConsistent(cache);
  });

  test('a dispose that deposits again under capacity pressure terminates and keeps the limit', () => {
    let cache: ConnCache<FakeConn, Kind> | undefined;
    let redeposits = 0;
    cache = new ConnCache<FakeConn, Kind>({
      totalCapacity: 2,
      dispose: (conn) => {
        conn.disposed.push('x');
        if (redeposits < 5) {
          redeposits++;
          cache!.deposit('ftp', 'again', new FakeConn(`again${redeposits}`));
        }
      },
    });
    for (const n of ['a', 'b', 'c']) cache.deposit('http', n, new FakeConn(n));
    expect(cache.size).toBe(2);
    expectConsistent(cache);
  });
});
