// Bad input, and what happens when user callbacks throw.
import { ConnCache, ConnCacheCallbackError } from '../src/index.js';
import type { CallbackErrorInfo, ConnCacheOptions } from '../src/index.js';
import { FakeConn, expectConsistent, fakeCache, names } from './helpers.js';
import type { Kind } from './helpers.js';

const BAD_CAPACITIES: [unknown, ErrorConstructor | RangeErrorConstructor | TypeErrorConstructor, string][] = [
  [Number.NaN, RangeError, 'NaN'],
  [-1, RangeError, '-1'],
  [1.5, RangeError, '1.5'],
  [Infinity, RangeError, 'Infinity'],
  [2 ** 53, RangeError, '9007199254740992'],
  ['3', TypeError, "'3'"],
  [undefined, TypeError, 'undefined'],
  [{}, TypeError, '{}'],
];

describe('capacity validation', () => {
  test.each(BAD_CAPACITIES.filter(([v]) => v !== undefined))('totalCapacity option %p is rejected', (value, type, shown) => {
    const make = (): unknown => new ConnCache({ totalCapacity: value as number });
    expect(make).toThrow(type);
    expect(make).toThrow(
      `totalCapacity must be null (unlimited) or a non-negative safe integer; received ${shown}`,
    );
  });

  test.each(BAD_CAPACITIES)('totalCapacity(%p) is rejected and changes nothing', (value, type, shown) => {
    const cache = new ConnCache<string>({ totalCapacity: 3, dispose: () => {} });
    const set = (): unknown => (cache.totalCapacity as (n: unknown) => unknown)(value);
    expect(set).toThrow(type);
    expect(set).toThrow(`totalCapacity must be null (unlimited) or a non-negative safe integer; received ${shown}`);
    expect(cache.totalCapacity()).toBe(3);
  });

  test.each(BAD_CAPACITIES)('capacity("http", %p) is rejected and changes nothing', (value, type, shown) => {
    const cache = new ConnCache<string>({ capacities: { http: 2 } });
    const set = (): unknown => (cache.capacity as (t: string, n: unknown) => unknown)('http', value);
    expect(set).toThrow(type);
    expect(set).toThrow(`capacity("http") must be null (unlimited) or a non-negative safe integer; received ${shown}`);
    expect(cache.capacity('http')).toBe(2);
  });

  test.each(BAD_CAPACITIES.filter(([v]) => v !== undefined))(
    'capacities option { http: %p } is rejected',
    (value, type, shown) => {
      const make = (): unknown => new ConnCache({ capacities: { http: value as number } });
      expect(make).toThrow(type);
      expect(make).toThrow(`capacities["http"] must be null (unlimited) or a non-negative safe integer; received ${shown}`);
    },
  );

  test('an undefined totalCapacity option means the default, 1', () => {
    expect(new ConnCache({ totalCapacity: undefined as unknown as number }).totalCapacity()).toBe(1);
  });

  test('good capacities are accepted, -0 as 0', () => {
    const cache = new ConnCache<string>({ totalCapacity: -0, capacities: { a: 0, b: null, c: 2 ** 53 - 1 } });
    expect(Object.is(cache.totalCapacity(), 0)).toBe(true);
    expect(cache.capacity('a')).toBe(0);
    expect(cache.capacity('b')).toBeNull();
    expect(cache.capacity('c')).toBe(2 ** 53 - 1);
  });
});

describe('other bad input', () => {
  test.each([
    [-1, '-1'],
    [Number.NaN, 'NaN'],
    [-Infinity, '-Infinity'],
  ])('drop(%p) is a RangeError', (ageMs, shown) => {
    const { cache } = fakeCache({ totalCapacity: null });
    cache.deposit('http', 'a', new FakeConn('a'));
    expect(() => cache.drop(ageMs)).toThrow(RangeError);
    expect(() => cache.drop(ageMs)).toThrow(`drop(ageMs): ageMs must be a non-negative number; received ${shown}`);
    expect(cache.size).toBe(1);
  });

  test('drop(Infinity) drops nothing', () => {
    const { cache } = fakeCache({ totalCapacity: null });
    cache.deposit('http', 'a', new FakeConn('a'));
    expect(cache.drop(Infinity)).toBe(0);
  });

  test.each<[string, () => unknown, string]>([
    ['options', () => new ConnCache(5 as unknown as ConnCacheOptions<unknown>), 'options must be an object; received 5'],
    ['capacities', () => new ConnCache({ capacities: 3 as unknown as Record<string, number> }), 'capacities must be an object; received 3'],
    ['dispose', () => new ConnCache({ dispose: 'destroy' as unknown as () => void }), "dispose must be a function; received 'destroy'"],
    ['isEvictable', () => new ConnCache({ isEvictable: true as unknown as () => boolean }), 'isEvictable must be a function; received true'],
    ['onError', () => new ConnCache({ onError: {} as unknown as () => void }), 'onError must be a function; received {}'],
    ['clock', () => new ConnCache({ clock: { now: 5 } as unknown as { now(): number } }), 'clock must be an object with a now() method; received { now: 5 }'],
    ['deposit type', () => new ConnCache().deposit(5 as unknown as string, 'k', 'c'), 'type must be a string; received 5'],
    ['drop selector', () => new ConnCache().drop(true as unknown as string), 'drop() takes nothing, an age in ms, a type or a checker function; received true'],
    ['drop reason', () => new ConnCache().drop(undefined, 5 as unknown as string), 'reason must be a string; received 5'],
  ])('%s of the wrong type is a TypeError naming it', (_name, make, message) => {
    expect(make).toThrow(TypeError);
    expect(make).toThrow(message);
  });
});

describe('callback errors', () => {
  const boom = (what: string): Error => new Error(`${what} failed`);

  test('a checker that throws keeps its entry, the walk goes on, onError gets it', () => {
    const reports: [string, CallbackErrorInfo<FakeConn, Kind>][] = [];
    const { cache } = fakeCache({
      totalCapacity: null,
      onError: (error, info) => void reports.push([(error as Error).message, info]),
    });
    const records = ['a', 'b', 'c'].map((n) => cache.deposit('http', n, new FakeConn(n)));
    const dropped = cache.drop((c) => {
      if (c.name === 'a') throw boom('check a');
      return true;
    });
    expect(dropped).toBe(2);
    expect(names(cache.getConnections())).toEqual(['a']);
    expect(reports).toEqual([['check a failed', { operation: 'check', record: records[0] }]]);
  });

  test('without onError, checker errors are thrown together after the walk as ConnCacheCallbackError', () => {
    const { cache } = fakeCache({ totalCapacity: null });
    const conns = ['a', 'b', 'c', 'd'].map((n) => new FakeConn(n));
    for (const c of conns) cache.deposit('http', c.name, c);
    const errors = [boom('a'), boom('c')];
    let thrown: unknown;
    try {
      cache.drop((c) => {
        if (c.name === 'a') throw errors[0];
        if (c.name === 'c') throw errors[1];
        return true;
      });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConnCacheCallbackError);
    expect(thrown).toBeInstanceOf(AggregateError);
    const err = thrown as ConnCacheCallbackError;
    expect(err.code).toBe('ERR_IPCM_CACHE_CALLBACK');
    expect(err.name).toBe('ConnCacheCallbackError');
    expect(err.errors).toEqual(errors);
    expect(err.dropped).toBe(2);
    expect(err.message).toBe('2 ConnCache callbacks threw (first: a failed); 2 connections dropped');
    // the walk completed: b and d dropped, a and c kept
    expect(names(cache.getConnections())).toEqual(['a', 'c']);
    expect(conns.map((c) => c.disposed.length)).toEqual([0, 1, 0, 1]);
  });

  test('a ping() that throws keeps its entry and is reported as operation ping', () => {
    const infos: string[] = [];
    const cache = new ConnCache<{ name: string; ping(): boolean }>({
      totalCapacity: null,
      dispose: () => {},
      onError: (error, info) => void infos.push(`${info.operation} ${info.record.conn.name} ${(error as Error).message}`),
    });
    cache.deposit('t', 'a', { name: 'a', ping: () => { throw boom('ping'); } });
    cache.deposit('t', 'b', { name: 'b', ping: () => false });
    expect(cache.prune()).toBe(1);
    expect(cache.getConnections().map((c) => c.name)).toEqual(['a']);
    expect(infos).toEqual(['ping a ping failed']);

    const quiet = new ConnCache<{ ping(): boolean }>({ totalCapacity: null, dispose: () => {} });
    quiet.deposit('t', 'a', { ping: () => { throw boom('ping'); } });
    quiet.deposit('t', 'b', { ping: () => false });
    expect(() => quiet.prune()).toThrow(
      expect.objectContaining({ code: 'ERR_IPCM_CACHE_CALLBACK', dropped: 1 }) as Error,
    );
    expect(quiet.size).toBe(1);
  });

  test('a dispose that throws still counts its entry as dropped, and the walk goes on', () => {
    const disposed: string[] = [];
    const cache = new ConnCache<FakeConn, Kind>({
      totalCapacity: null,
      dispose: (conn) => {
        disposed.push(conn.name);
        if (conn.name !== 'b') throw boom(`dispose ${conn.name}`);
      },
    });
    for (const n of ['a', 'b', 'c']) cache.deposit('http', n, new FakeConn(n));
    const err = (() => {
      try {
        cache.drop();
      } catch (error) {
        return error as ConnCacheCallbackError;
      }
      throw new Error('drop() should have thrown');
    })();
    expect(err).toBeInstanceOf(ConnCacheCallbackError);
    expect((err.errors as Error[]).map((e) => e.message)).toEqual(['dispose a failed', 'dispose c failed']);
    expect(err.dropped).toBe(3);
    expect(disposed).toEqual(['a', 'b', 'c']);
    expect(cache.size).toBe(0);
    expect(cache.stats().drops.drop).toBe(3);
  });

  test('a dispose that throws during eviction: the deposit stays, the error is thrown after', () => {
    const cache = new ConnCache<string>({
      totalCapacity: 1,
      dispose: () => {
        throw boom('dispose');
      },
    });
    cache.deposit('t', 'a', 'A');
    expect(() => cache.deposit('t', 'b', 'B')).toThrow(ConnCacheCallbackError);
    expect(cache.getConnections()).toEqual(['B']);
    // the cache still works afterwards, with no stale errors
    expect(cache.withdraw('t', 'b')).toBe('B');
    expect(() => cache.deposit('t', 'c', 'C')).not.toThrow();
  });

  test('a dropping() that throws is reported as dispose and the connection is still disposed once', () => {
    class Noisy extends ConnCache<FakeConn, Kind> {
      override dropping(): void {
        throw boom('dropping');
      }
    }
    const reports: string[] = [];
    const cache = new Noisy({
      totalCapacity: null,
      dispose: (c, reason) => void c.disposed.push(reason),
      onError: (e, info) => void reports.push(`${info.operation}: ${(e as Error).message}`),
    });
    const a = new FakeConn('a');
    cache.deposit('http', 'a', a);
    expect(cache.drop()).toBe(1);
    expect(a.disposed).toEqual(['drop']);
    expect(reports).toEqual(['dispose: dropping failed']);
  });

  test('an isEvictable that throws counts as not evictable and is reported as check', () => {
    const reports: string[] = [];
    const { cache } = fakeCache({
      totalCapacity: 2,
      isEvictable: (r) => {
        if (r.conn.name === 'a') throw boom('isEvictable');
        return true;
      },
      onError: (e, info) => void reports.push(`${info.operation} ${info.record.conn.name}: ${(e as Error).message}`),
    });
    for (const n of ['a', 'b', 'c']) cache.deposit('http', n, new FakeConn(n));
    expect(names(cache.getConnections())).toEqual(['a', 'c']);
    expect(reports).toEqual(['check a: isEvictable failed']);
  });

  test('errors from a re-entrant call inside a hook join the outer operation', () => {
    let cache: ConnCache<FakeConn, Kind> | undefined;
    cache = new ConnCache<FakeConn, Kind>({
      totalCapacity: null,
      dispose: (conn) => {
        if (conn.name === 'a') {
          cache!.drop((c) => {
            if (c.name === 'c') throw boom('inner check');
            return false;
          });
        }
      },
    });
    for (const n of ['a', 'b', 'c']) cache.deposit('http', n, new FakeConn(n));
    let thrown: ConnCacheCallbackError | undefined;
    try {
      cache.drop('http');
    } catch (error) {
      thrown = error as ConnCacheCallbackError;
    }
    expect(thrown).toBeInstanceOf(ConnCacheCallbackError);
    expect((thrown!.errors as Error[]).map((e) => e.message)).toEqual(['inner check failed']);
    expect(thrown!.dropped).toBe(3);
    expect(cache.size).toBe(0);
    expectConsistent(cache);
  });

  test('an onError that throws stops the operation; the cache stays consistent and disposal happens', () => {
    const { cache } = fakeCache({
      totalCapacity: null,
      onError: (e) => {
        throw e;
      },
    });
    const conns = ['a', 'b', 'c'].map((n) => new FakeConn(n));
    for (const c of conns) cache.deposit('http', c.name, c);
    expect(() =>
      cache.drop((c) => {
        if (c.name === 'b') throw boom('b');
        return true;
      }),
    ).toThrow('b failed');
    expect(names(cache.getConnections())).toEqual(['b', 'c']);
    expect(conns[0]!.disposed).toEqual(['drop']);
    expectConsistent(cache);
    // and the next operation starts clean
    expect(cache.drop()).toBe(2);
  });
});
