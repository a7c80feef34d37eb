import { ConnCache } from '../src/index.js';
import type { Clock, ConnCacheOptions, DropReason } from '../src/index.js';

/** A clock the test moves by hand; counts its reads. */
export class FakeClock implements Clock {
  t = 0;
  reads = 0;
  now(): number {
    this.reads++;
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

/** A connection stand-in that remembers how it was disposed. */
export class FakeConn {
  alive = true;
  evictable = true;
  readonly disposed: DropReason[] = [];
  constructor(readonly name: string) {}
  ping(): boolean {
    return this.alive;
  }
}

export type Kind = 'http' | 'ftp' | 'unix';

/** A cache of FakeConns on a FakeClock whose dispose records the reason. */
export function fakeCache(
  options: Omit<ConnCacheOptions<FakeConn, Kind>, 'clock' | 'dispose'> = {},
): { cache: ConnCache<FakeConn, Kind>; clock: FakeClock } {
  const clock = new FakeClock();
  const cache = new ConnCache<FakeConn, Kind>({
    ...options,
    clock,
    dispose: (conn, reason) => {
      conn.disposed.push(reason);
    },
  });
  return { cache, clock };
}

export function names(conns: Iterable<{ name: string }>): string[] {
  return [...conns].map((c) => c.name);
}

/** The cache's views of itself agree with each other. */
export function expectConsistent<C, T extends string, K>(cache: ConnCache<C, T, K>): void {
  const all = [...cache.records()];
  expect(all).toHaveLength(cache.size);
  expect(cache.getConnections()).toEqual(all.map((r) => r.conn));
  const stats = cache.stats();
  expect(stats.size).toBe(cache.size);
  let sum = 0;
  for (const type of cache.getTypes()) {
    const ofType = [...cache.records(type)];
    expect(ofType.length).toBeGreaterThan(0);
    expect(stats.sizeByType[type]).toBe(ofType.length);
    expect(ofType).toEqual(all.filter((r) => r.type === type));
    sum += ofType.length;
  }
  expect(sum).toBe(cache.size);
  for (let i = 1; i < all.length; i++) {
    expect(all[i]!.depositedAt).toBeGreaterThanOrEqual(all[i - 1]!.depositedAt);
  }
  for (const r of all) expect(cache.find(r.type, r.key)?.key).toEqual(r.key);
}
