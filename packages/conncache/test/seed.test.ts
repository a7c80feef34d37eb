// One test per behaviour the LWP::ConnCache documentation promises, in the
// order of that document, named after it.
import { ConnCache } from '../src/index.js';
import type { ConnRecord, DropReason } from '../src/index.js';
import { FakeConn, expectConsistent, fakeCache, names } from './helpers.js';
import type { Kind } from './helpers.js';

describe('LWP::ConnCache behaviour', () => {
  test('new: totalCapacity defaults to 1', () => {
    const cache = new ConnCache<FakeConn>();
    expect(cache.totalCapacity()).toBe(1);
    const a = new FakeConn('a');
    const b = new FakeConn('b');
    cache.deposit('http', 'k', a);
    cache.deposit('http', 'k', b);
    expect(cache.getConnections()).toEqual([b]);
  });

  test('new: the totalCapacity option initializes total_capacity', () => {
    expect(new ConnCache({ totalCapacity: 5 }).totalCapacity()).toBe(5);
    expect(new ConnCache({ totalCapacity: null }).totalCapacity()).toBeNull();
    expect(new ConnCache({ totalCapacity: 0 }).totalCapacity()).toBe(0);
  });

  test('total_capacity gets and sets, returning the previous value', () => {
    const { cache } = fakeCache({ totalCapacity: 3 });
    expect(cache.totalCapacity()).toBe(3);
    expect(cache.totalCapacity(7)).toBe(3);
    expect(cache.totalCapacity()).toBe(7);
    expect(cache.totalCapacity(null)).toBe(7);
    expect(cache.totalCapacity()).toBeNull();
  });

  test('total_capacity: connections start to be dropped when the limit is reached', () => {
    const { cache } = fakeCache({ totalCapacity: 2 });
    const [a, b, c] = [new FakeConn('a'), new FakeConn('b'), new FakeConn('c')];
    cache.deposit('http', 'x', a);
    cache.deposit('http', 'y', b);
    expect(cache.size).toBe(2);
    expect(a.disposed).toEqual([]);
    cache.deposit('ftp', 'z', c);
    expect(names(cache.getConnections())).toEqual(['b', 'c']);
    expect(a.disposed).toEqual(['total capacity']);
  });

  test('total_capacity: lowering the limit drops the oldest connections at once', () => {
    const { cache } = fakeCache({ totalCapacity: null });
    const conns = ['a', 'b', 'c', 'd'].map((n) => new FakeConn(n));
    for (const c of conns) cache.deposit('http', c.name, c);
    cache.totalCapacity(1);
    expect(names(cache.getConnections())).toEqual(['d']);
    expect(conns.map((c) => c.disposed)).toEqual([
      ['total capacity'],
      ['total capacity'],
      ['total capacity'],
      [],
    ]);
  });

  test('capacity 0 drops all connections immediately', () => {
    const { cache } = fakeCache({ totalCapacity: null });
    const conns = ['a', 'b', 'c'].map((n) => new FakeConn(n));
    for (const c of conns) cache.deposit('http', c.name, c);
    expect(cache.totalCapacity(0)).toBeNull();
    expect(cache.size).toBe(0);
    for (const c of conns) expect(c.disposed).toEqual(['total capacity']);
    // ...and later deposits too: the new connection itself is dropped.
    const d = new FakeConn('d');
    const record = cache.deposit('ftp', 'k', d);
    expect(cache.size).toBe(0);
    expect(d.disposed).toEqual(['total capacity']);
    expect(cache.find('ftp', 'k')).toBeUndefined();
    expect(cache.dropRecord(record)).toBe(false);
  });

  test('null total capacity is unlimited', () => {
    const { cache } = fakeCache({ totalCapacity: null });
    for (let i = 0; i < 1000; i++) cache.deposit('http', `k${i % 7}`, new FakeConn(`c${i}`));
    expect(cache.size).toBe(1000);
    expect(cache.stats().drops).toMatchObject({ 'total capacity': 0 });
  });

  test('capacity(type) gets and sets a per-type limit, returning the previous value', () => {
    const { cache } = fakeCache({ totalCapacity: null });
    expect(cache.capacity('http')).toBeNull();
    expect(cache.capacity('http', 2)).toBeNull();
    expect(cache.capacity('http')).toBe(2);
    expect(cache.capacity('http', null)).toBe(2);
    expect(cache.capacity('http')).toBeNull();
  });

  test('capacity(type, n) limits the number of connections of that type', () => {
    const { cache } = fakeCache({ totalCapacity: null, capacities: { ftp: 1 } });
    const [h1, h2, f1, f2] = ['h1', 'h2', 'f1', 'f2'].map((n) => new FakeConn(n)) as [
      FakeConn,
      FakeConn,
      FakeConn,
      FakeConn,
    ];
    cache.deposit('http', 'a', h1);
    cache.deposit('ftp', 'a', f1);
    cache.deposit('http', 'b', h2);
    cache.deposit('ftp', 'b', f2);
    expect(names(cache.getConnections())).toEqual(['h1', 'h2', 'f2']);
    expect(f1.disposed).toEqual(['type capacity']);
    // Setting a capacity enforces it at once, on that type only.
    cache.capacity('http', 1);
    expect(names(cache.getConnections())).toEqual(['h2', 'f2']);
    expect(h1.disposed).toEqual(['type capacity']);
  });

  test('capacity(type, 0) drops all connections of that type', () => {
    const { cache } = fakeCache({ totalCapacity: null });
    const conns = ['a', 'b'].map((n) => new FakeConn(n));
    for (const c of conns) cache.deposit('ftp', c.name, c);
    cache.deposit('http', 'h', new FakeConn('h'));
    cache.capacity('ftp', 0);
    expect(names(cache.getConnections())).toEqual(['h']);
    const late = new FakeConn('late');
    cache.deposit('ftp', 'x', late);
    expect(late.disposed).toEqual(['type capacity']);
  });

  test('drop() without a checker drops all connections', () => {
    const { cache } = fakeCache({ totalCapacity: null });
    const conns = ['a', 'b', 'c'].map((n) => new FakeConn(n));
    for (const c of conns) cache.deposit('http', c.name, c);
    expect(cache.drop()).toBe(3);
    expect(cache.size).toBe(0);
    for (const c of conns) expect(c.disposed).toEqual(['drop']);
    // undefined as the checker is the same (so a reason can be given)
    const d = new FakeConn('d');
    cache.deposit('ftp', 'd', d);
    expect(cache.drop(undefined, 'shutdown')).toBe(1);
    expect(d.disposed).toEqual(['shutdown']);
  });

  test('drop(checker) receives (conn, type, key, depositedAt)', () => {
    const { cache, clock } = fakeCache({ totalCapacity: null });
    const a = new FakeConn('a');
    const b = new FakeConn('b');
    cache.deposit('http', 'ka', a);
    clock.advance(10);
    cache.deposit('ftp', 'kb', b);
    const calls: unknown[][] = [];
    const dropped = cache.drop((...args) => {
      calls.push(args);
      return args[1] === 'ftp';
    });
    expect(calls).toEqual([
      [a, 'http', 'ka', 0],
      [b, 'ftp', 'kb', 10],
    ]);
    expect(dropped).toBe(1);
    expect(names(cache.getConnections())).toEqual(['a']);
    expect(b.disposed).toEqual(['drop']);
  });

  test('drop(checker) drops the connections for which it returns a true value', () => {
    const { cache } = fakeCache({ totalCapacity: null });
    const conns = ['a', 'b', 'c', 'd'].map((n) => new FakeConn(n));
    for (const c of conns) cache.deposit('http', c.name, c);
    const truthy = (c: FakeConn): boolean => (c.name === 'b' ? (1 as unknown as boolean) : c.name === 'd');
    expect(cache.drop(truthy)).toBe(2);
    expect(names(cache.getConnections())).toEqual(['a', 'c']);
  });

  test('drop(ageMs) drops connections untouched for ageMs or more', () => {
    const { cache, clock } = fakeCache({ totalCapacity: null });
    const old = new FakeConn('old');
    const edge = new FakeConn('edge');
    const young = new FakeConn('young');
    cache.deposit('http', 'a', old); // t = 0
    clock.advance(5);
    cache.deposit('http', 'b', edge); // t = 5
    clock.advance(1);
    cache.deposit('http', 'c', young); // t = 6
    clock.advance(4); // now 10: ages 10, 5, 4
    expect(cache.drop(5)).toBe(2);
    expect(names(cache.getConnections())).toEqual(['young']);
    expect(old.disposed).toEqual(['age']);
    expect(edge.disposed).toEqual(['age']);
    expect(cache.drop(0, 'all of them')).toBe(1);
    expect(young.disposed).toEqual(['all of them']);
  });

  test('drop(type) drops the connections of that type', () => {
    const { cache } = fakeCache({ totalCapacity: null });
    const [h, f1, f2] = ['h', 'f1', 'f2'].map((n) => new FakeConn(n)) as [FakeConn, FakeConn, FakeConn];
    cache.deposit('ftp', 'a', f1);
    cache.deposit('http', 'a', h);
    cache.deposit('ftp', 'b', f2);
    expect(cache.drop('ftp')).toBe(2);
    expect(names(cache.getConnections())).toEqual(['h']);
    expect(f1.disposed).toEqual(['type']);
    expect(f2.disposed).toEqual(['type']);
    expect(cache.drop('unix')).toBe(0);
    expect(cache.getTypes()).toEqual(['http']);
  });

  test('drop passes the reason on to dropping()', () => {
    const seen: [string, DropReason][] = [];
    class Logged extends ConnCache<FakeConn, Kind> {
      override dropping(record: ConnRecord<FakeConn, Kind>, reason: DropReason): void {
        seen.push([record.conn.name, reason]);
      }
    }
    const cache = new Logged({ totalCapacity: null, dispose: () => {} });
    for (const n of ['a', 'b', 'c', 'd']) cache.deposit('http', n, new FakeConn(n));
    cache.drop((c) => c.name === 'a', 'custom check');
    cache.drop(0, 'too old');
    expect(seen).toEqual([
      ['a', 'custom check'],
      ['b', 'too old'],
      ['c', 'too old'],
      ['d', 'too old'],
    ]);
  });

  test('prune drops connections whose ping() returns false', () => {
    const { cache } = fakeCache({ totalCapacity: null });
    const conns = ['a', 'b', 'c'].map((n) => new FakeConn(n));
    for (const c of conns) cache.deposit('http', c.name, c);
    conns[1]!.alive = false;
    expect(cache.prune()).toBe(1);
    expect(names(cache.getConnections())).toEqual(['a', 'c']);
    expect(conns[1]!.disposed).toEqual(['ping']);
    expect(cache.prune()).toBe(0);
  });

  test('prune keeps connections without a ping() method', () => {
    const cache = new ConnCache<unknown>({ totalCapacity: null, dispose: () => {} });
    cache.deposit('x', 'a', 'a string');
    cache.deposit('x', 'b', 42);
    cache.deposit('x', 'c', { no: 'ping' });
    cache.deposit('x', 'd', null);
    expect(cache.prune()).toBe(0);
    expect(cache.size).toBe(4);
  });

  test('prune treats any false value from ping() as dead, as Perl does', () => {
    const cache = new ConnCache<{ ping(): unknown }>({ totalCapacity: null, dispose: () => {} });
    for (const value of [0, '', undefined, null, 1, 'yes', {}]) cache.deposit('x', String(value), { ping: () => value });
    expect(cache.prune()).toBe(4);
    expect(cache.getConnections().map((c) => c.ping())).toEqual([1, 'yes', {}]);
  });

  test('get_types returns the types of the cached connections', () => {
    const { cache } = fakeCache({ totalCapacity: null });
    expect(cache.getTypes()).toEqual([]);
    cache.deposit('http', 'a', new FakeConn('a'));
    cache.deposit('ftp', 'a', new FakeConn('b'));
    cache.deposit('http', 'b', new FakeConn('c'));
    expect(cache.getTypes().sort()).toEqual(['ftp', 'http']);
    cache.withdraw('ftp', 'a');
    expect(cache.getTypes()).toEqual(['http']);
  });

  test('get_connections with a type returns that type, without all of them', () => {
    const { cache } = fakeCache({ totalCapacity: null });
    cache.deposit('http', 'a', new FakeConn('h1'));
    cache.deposit('ftp', 'a', new FakeConn('f1'));
    cache.deposit('http', 'b', new FakeConn('h2'));
    expect(names(cache.getConnections())).toEqual(['h1', 'f1', 'h2']);
    expect(names(cache.getConnections('http'))).toEqual(['h1', 'h2']);
    expect(names(cache.getConnections('ftp'))).toEqual(['f1']);
    expect(cache.getConnections('unix')).toEqual([]);
  });

  test('get_connections in scalar context: its length is the count', () => {
    const { cache } = fakeCache({ totalCapacity: null });
    cache.deposit('http', 'a', new FakeConn('h1'));
    cache.deposit('ftp', 'a', new FakeConn('f1'));
    cache.deposit('http', 'b', new FakeConn('h2'));
    expect(cache.getConnections().length).toBe(3);
    expect(cache.getConnections('http').length).toBe(2);
    expect(cache.getConnections('unix').length).toBe(0);
  });

  test('deposit adds a connection; other cached connections might be dropped', () => {
    const { cache } = fakeCache({ totalCapacity: 1 });
    const a = new FakeConn('a');
    const b = new FakeConn('b');
    const record = cache.deposit('http', 'k', a);
    expect(record).toEqual({ conn: a, type: 'http', key: 'k', depositedAt: 0 });
    cache.deposit('ftp', 'j', b);
    expect(cache.getConnections()).toEqual([b]);
    expect(a.disposed).toEqual(['total capacity']);
  });

  test('multiple connections with the same type/key may be deposited', () => {
    const { cache } = fakeCache({ totalCapacity: null });
    const conns = ['a', 'b', 'c'].map((n) => new FakeConn(n));
    for (const c of conns) cache.deposit('http', 'same', c);
    expect(cache.size).toBe(3);
    expect(names(cache.getConnections('http'))).toEqual(['a', 'b', 'c']);
    expectConsistent(cache);
  });

  test('withdraw returns the oldest matching connection', () => {
    const { cache, clock } = fakeCache({ totalCapacity: null });
    const conns = ['a', 'b', 'c'].map((n) => new FakeConn(n));
    cache.deposit('http', 'other', new FakeConn('other'));
    for (const c of conns) {
      clock.advance(1);
      cache.deposit('http', 'same', c);
    }
    expect(cache.withdraw('http', 'same')?.name).toBe('a');
    expect(cache.withdraw('http', 'same')?.name).toBe('b');
    expect(cache.withdraw('http', 'same')?.name).toBe('c');
    expect(cache.withdraw('http', 'same')).toBeUndefined();
    expect(names(cache.getConnections())).toEqual(['other']);
    // withdrawn connections belong to the caller again: never disposed
    for (const c of conns) expect(c.disposed).toEqual([]);
  });

  test('withdraw returns undefined when no cached connection matches', () => {
    const { cache } = fakeCache({ totalCapacity: null });
    cache.deposit('http', 'k', new FakeConn('a'));
    expect(cache.withdraw('http', 'other')).toBeUndefined();
    expect(cache.withdraw('ftp', 'k')).toBeUndefined();
    expect(cache.size).toBe(1);
  });

  test('enforce_limits is called after deposit and after the capacities change', () => {
    const calls: (string | undefined)[] = [];
    class Spy extends ConnCache<FakeConn, Kind> {
      override enforceLimits(type?: Kind): void {
        calls.push(type);
        super.enforceLimits(type);
      }
    }
    const cache = new Spy({ totalCapacity: null });
    cache.deposit('http', 'a', new FakeConn('a'));
    cache.capacity('ftp', 3);
    cache.totalCapacity(4);
    expect(calls).toEqual(['http', 'ftp', undefined]);
  });

  test('enforce_limits drops connections until the capacity limits are not exceeded', () => {
    // A subclass that defers enforcement during a batch, then enforces once.
    class Batching extends ConnCache<FakeConn, Kind> {
      batching = false;
      override enforceLimits(type?: Kind): void {
        if (!this.batching) super.enforceLimits(type);
      }
    }
    const cache = new Batching({
      totalCapacity: 2,
      capacities: { http: 1 },
      dispose: (conn, reason) => void conn.disposed.push(reason),
    });
    cache.batching = true;
    const conns = ['h1', 'h2', 'h3', 'f1', 'f2', 'f3'].map((n) => new FakeConn(n));
    for (const c of conns) cache.deposit(c.name.startsWith('h') ? 'http' : 'ftp', c.name, c);
    expect(cache.size).toBe(6);
    cache.batching = false;
    cache.enforceLimits();
    // per-type limits first (h1, h2), then the total (oldest first: h3, f1)
    expect(names(cache.getConnections())).toEqual(['f2', 'f3']);
    expect(conns.map((c) => c.disposed.join())).toEqual([
      'type capacity',
      'type capacity',
      'total capacity',
      'total capacity',
      '',
      '',
    ]);
    cache.enforceLimits();
    expect(cache.size).toBe(2);
  });

  test('dropping(record, reason) is called for each dropped connection', () => {
    const seen: string[] = [];
    class Logged extends ConnCache<FakeConn, Kind> {
      override dropping(record: ConnRecord<FakeConn, Kind>, reason: DropReason): void {
        seen.push(`${record.type}/${record.key}/${record.conn.name}: ${reason}`);
      }
    }
    const cache = new Logged({ totalCapacity: 2, capacities: { ftp: 1 }, dispose: () => {} });
    cache.deposit('ftp', 'k', new FakeConn('f1'));
    cache.deposit('ftp', 'k', new FakeConn('f2'));
    cache.deposit('http', 'k', new FakeConn('h1'));
    cache.deposit('http', 'k', new FakeConn('h2'));
    cache.withdraw('http', 'k');
    cache.prune();
    cache.drop();
    expect(seen).toEqual([
      'ftp/k/f1: type capacity',
      'ftp/k/f2: total capacity',
      'http/k/h2: drop',
    ]);
  });

  test('subclassing: overriding deposit, enforceLimits and dropping', () => {
    // A policy the base class does not have: at most one connection per key,
    // an "expensive" type kept in preference, and a log of drops.
    const log: string[] = [];
    class Policy extends ConnCache<FakeConn, Kind> {
      override deposit(type: Kind, key: string, conn: FakeConn): ConnRecord<FakeConn, Kind> {
        const older = this.find(type, key);
        if (older !== undefined) this.dropRecord(older, 'replaced');
        return super.deposit(type, key, conn);
      }
      override enforceLimits(type?: Kind): void {
        const total = this.totalCapacity();
        // Evict cheap types first, then let the base class do the rest.
        for (const record of this.records()) {
          if (total === null || this.size <= total) break;
          if (record.type !== 'unix') this.dropRecord(record, 'cheap first');
        }
        super.enforceLimits(type);
      }
      override dropping(record: ConnRecord<FakeConn, Kind>, reason: DropReason): void {
        log.push(`${record.conn.name}: ${reason}`);
      }
    }
    const cache = new Policy({ totalCapacity: 2, dispose: () => {} });
    cache.deposit('unix', 'p', new FakeConn('u1'));
    cache.deposit('http', 'a', new FakeConn('h1'));
    cache.deposit('http', 'a', new FakeConn('h2'));
    cache.deposit('http', 'b', new FakeConn('h3'));
    cache.deposit('unix', 'q', new FakeConn('u2'));
    expect(names(cache.getConnections())).toEqual(['u1', 'u2']);
    expect(log).toEqual(['h1: replaced', 'h2: cheap first', 'h3: cheap first']);
    expectConsistent(cache);
  });
});
