// R30: the cache under random operation sequences behaves like a plain array
// model (oldest first), never exceeds a capacity, disposes every dropped
// connection exactly once and never a withdrawn one.
import fc from 'fast-check';
import { ConnCache } from '../src/index.js';
import type { ConnRecord, DropReason } from '../src/index.js';
import { FakeClock } from './helpers.js';

type T = 'a' | 'b' | 'c';
const TYPES: readonly T[] = ['a', 'b', 'c'];
const KEYS = ['k1', 'k2'] as const;

interface Conn {
  readonly id: number;
  alive: boolean;
  evictable: boolean;
  ping(): boolean;
}

interface ModelEntry {
  readonly id: number;
  readonly conn: Conn;
  readonly type: T;
  readonly key: string;
  at: number;
  readonly record: ConnRecord<Conn, T>;
}

/** Which record an operation targets: mostly cached ones, sometimes any ever deposited. */
interface Pick {
  n: number;
  cached: boolean;
}

type Cmd =
  | { op: 'deposit'; type: T; key: string }
  | { op: 'withdraw'; type: T; key: string }
  | { op: 'find'; type: T; key: string }
  | { op: 'touch'; pick: Pick }
  | { op: 'dropAll' }
  | { op: 'dropAge'; age: number }
  | { op: 'dropType'; type: T }
  | { op: 'dropChecker'; mod: number; rem: number }
  | { op: 'dropRecord'; pick: Pick }
  | { op: 'prune' }
  | { op: 'kill'; pick: Pick }
  | { op: 'toggleEvictable'; pick: Pick }
  | { op: 'total'; n: number | null }
  | { op: 'capacity'; type: T; n: number | null }
  | { op: 'enforce'; type: T | undefined }
  | { op: 'advance'; ms: number };

const typeArb = fc.constantFrom(...TYPES);
const keyArb = fc.constantFrom(...KEYS);
const pickArb = fc.nat({ max: 1000 });
const recordPickArb: fc.Arbitrary<Pick> = fc.record({ n: pickArb, cached: fc.boolean() });
const capArb = (max: number): fc.Arbitrary<number | null> =>
  fc.oneof(fc.constant(null), fc.integer({ min: 0, max }));

const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant('deposit' as const), type: typeArb, key: keyArb }), weight: 8 },
  { arbitrary: fc.record({ op: fc.constant('withdraw' as const), type: typeArb, key: keyArb }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant('find' as const), type: typeArb, key: keyArb }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('touch' as const), pick: recordPickArb }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant('dropAll' as const) }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('dropAge' as const), age: fc.integer({ min: 0, max: 12 }) }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('dropType' as const), type: typeArb }), weight: 1 },
  {
    arbitrary: fc.record({
      op: fc.constant('dropChecker' as const),
      mod: fc.integer({ min: 2, max: 4 }),
      rem: fc.integer({ min: 0, max: 3 }),
    }),
    weight: 1,
  },
  { arbitrary: fc.record({ op: fc.constant('dropRecord' as const), pick: recordPickArb }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('prune' as const) }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('kill' as const), pick: recordPickArb }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('toggleEvictable' as const), pick: recordPickArb }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('total' as const), n: capArb(6) }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('capacity' as const), type: typeArb, n: capArb(4) }), weight: 2 },
  {
    arbitrary: fc.record({ op: fc.constant('enforce' as const), type: fc.option(typeArb, { nil: undefined }) }),
    weight: 1,
  },
  { arbitrary: fc.record({ op: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 5 }) }), weight: 4 },
);

const configArb = fc.record({
  total: capArb(8),
  capacities: fc.dictionary(typeArb, capArb(3), { maxKeys: 3 }),
});

function run(config: { total: number | null; capacities: Partial<Record<T, number | null>> }, cmds: Cmd[]): void {
  const clock = new FakeClock();
  const disposeLog: [number, DropReason][] = [];
  const cache = new ConnCache<Conn, T>({
    totalCapacity: config.total,
    capacities: config.capacities,
    clock,
    isEvictable: (record) => record.conn.evictable,
    dispose: (conn, reason, record) => {
      expect(record.conn).toBe(conn);
      disposeLog.push([conn.id, reason]);
    },
  });

  // ---- the model -------------------------------------------------------
  let entries: ModelEntry[] = [];
  let total = config.total;
  const caps = new Map<T, number>();
  for (const [t, n] of Object.entries(config.capacities) as [T, number | null][]) {
    if (n !== null) caps.set(t, n);
  }
  const expectedLog: [number, DropReason][] = [];
  const withdrawn = new Set<number>();
  const counters = { deposits: 0, hits: 0, misses: 0 };
  const drops: Record<string, number> = {
    'total capacity': 0,
    'type capacity': 0,
    age: 0,
    type: 0,
    ping: 0,
    drop: 0,
  };
  const everything: ModelEntry[] = []; // every record ever deposited, for picks
  let nextId = 0;

  const modelDrop = (victim: ModelEntry, reason: DropReason): void => {
    entries = entries.filter((e) => e !== victim);
    expectedLog.push([victim.id, reason]);
    drops[reason] = (drops[reason] ?? 0) + 1;
  };
  const evict = (inScope: (e: ModelEntry) => boolean, limit: () => number | null, reason: DropReason): void => {
    for (;;) {
      const max = limit();
      const scope = entries.filter(inScope);
      if (max === null || scope.length <= max) return;
      modelDrop(scope.find((e) => e.conn.evictable) ?? scope[0]!, reason);
    }
  };
  const enforce = (type?: T): void => {
    for (const t of type === undefined ? [...caps.keys()] : [type]) {
      evict((e) => e.type === t, () => caps.get(t) ?? null, 'type capacity');
    }
    evict(() => true, () => total, 'total capacity');
  };
  const moveToEnd = (entry: ModelEntry): void => {
    entries = [...entries.filter((e) => e !== entry), entry];
  };
  const pick = (n: number): ModelEntry | undefined =>
    everything.length === 0 ? undefined : everything[n % everything.length];
  const pickRecord = ({ n, cached }: Pick): ModelEntry | undefined =>
    cached ? (entries.length === 0 ? undefined : entries[n % entries.length]) : pick(n);

  // ---- run -------------------------------------------------------------
  for (const cmd of cmds) {
    switch (cmd.op) {
      case 'deposit': {
        const conn: Conn = {
          id: nextId++,
          alive: true,
          evictable: true,
          ping() {
            return this.alive;
          },
        };
        const record = cache.deposit(cmd.type, cmd.key, conn);
        expect(record).toMatchObject({ conn, type: cmd.type, key: cmd.key, depositedAt: clock.t });
        const entry: ModelEntry = { id: conn.id, conn, type: cmd.type, key: cmd.key, at: clock.t, record };
        entries.push(entry);
        everything.push(entry);
        counters.deposits++;
        enforce(cmd.type);
        break;
      }
      case 'withdraw': {
        const got = cache.withdraw(cmd.type, cmd.key);
        const match = entries.find((e) => e.type === cmd.type && e.key === cmd.key);
        if (match === undefined) {
          counters.misses++;
          expect(got).toBeUndefined();
        } else {
          counters.hits++;
          expect(got).toBe(match.conn);
          entries = entries.filter((e) => e !== match);
          withdrawn.add(match.id);
        }
        break;
      }
      case 'find': {
        const match = entries.find((e) => e.type === cmd.type && e.key === cmd.key);
        expect(cache.find(cmd.type, cmd.key)).toBe(match?.record);
        break;
      }
      case 'touch': {
        const target = pickRecord(cmd.pick);
        if (target === undefined) break;
        cache.touch(target.record);
        if (entries.includes(target)) {
          target.at = clock.t;
          moveToEnd(target);
        }
        break;
      }
      case 'dropAll': {
        const expected = entries.length;
        for (const e of [...entries]) modelDrop(e, 'drop');
        expect(cache.drop()).toBe(expected);
        break;
      }
      case 'dropAge': {
        const old = entries.filter((e) => e.at <= clock.t - cmd.age);
        for (const e of old) modelDrop(e, 'age');
        expect(cache.drop(cmd.age)).toBe(old.length);
        break;
      }
      case 'dropType': {
        const ofType = entries.filter((e) => e.type === cmd.type);
        for (const e of ofType) modelDrop(e, 'type');
        expect(cache.drop(cmd.type)).toBe(ofType.length);
        break;
      }
      case 'dropChecker': {
        const hit = (id: number): boolean => id % cmd.mod === cmd.rem;
        const victims = entries.filter((e) => hit(e.id));
        const seen: number[] = [];
        const expectedSeen = entries.map((e) => e.id);
        for (const e of victims) modelDrop(e, 'drop');
        const n = cache.drop((conn, type, key, depositedAt) => {
          const e = everything[conn.id]!;
          expect([type, key, depositedAt]).toEqual([e.type, e.key, e.at]);
          seen.push(conn.id);
          return hit(conn.id);
        });
        expect(n).toBe(victims.length);
        expect(seen).toEqual(expectedSeen);
        break;
      }
      case 'dropRecord': {
        const target = pickRecord(cmd.pick);
        if (target === undefined) break;
        const cached = entries.includes(target);
        if (cached) modelDrop(target, 'drop');
        expect(cache.dropRecord(target.record)).toBe(cached);
        break;
      }
      case 'prune': {
        const dead = entries.filter((e) => !e.conn.alive);
        for (const e of dead) modelDrop(e, 'ping');
        expect(cache.prune()).toBe(dead.length);
        break;
      }
      case 'kill': {
        const target = pickRecord(cmd.pick);
        if (target !== undefined) target.conn.alive = false;
        break;
      }
      case 'toggleEvictable': {
        const target = pickRecord(cmd.pick);
        if (target !== undefined) target.conn.evictable = !target.conn.evictable;
        break;
      }
      case 'total': {
        expect(cache.totalCapacity(cmd.n)).toBe(total);
        total = cmd.n;
        enforce();
        break;
      }
      case 'capacity': {
        expect(cache.capacity(cmd.type, cmd.n)).toBe(caps.get(cmd.type) ?? null);
        if (cmd.n === null) caps.delete(cmd.type);
        else caps.set(cmd.type, cmd.n);
        enforce(cmd.type);
        break;
      }
      case 'enforce': {
        cache.enforceLimits(cmd.type);
        enforce(cmd.type);
        break;
      }
      case 'advance': {
        clock.advance(cmd.ms);
        break;
      }
    }

    // ---- invariants after every operation ------------------------------
    expect([...cache.records()]).toEqual(entries.map((e) => e.record));
    expect([...cache.records()].map((r) => r.depositedAt)).toEqual(entries.map((e) => e.at));
    const limit = cache.totalCapacity();
    if (limit !== null) expect(cache.size).toBeLessThanOrEqual(limit);
    for (const t of TYPES) {
      const cap = cache.capacity(t);
      expect(cache.getConnections(t)).toEqual(entries.filter((e) => e.type === t).map((e) => e.conn));
      if (cap !== null) expect(cache.getConnections(t).length).toBeLessThanOrEqual(cap);
      for (const k of KEYS) {
        expect(cache.find(t, k)).toBe(entries.find((e) => e.type === t && e.key === k)?.record);
      }
    }
    expect(cache.getTypes().sort()).toEqual([...new Set(entries.map((e) => e.type))].sort());
    // dispose exactly once, in the model's order, with the model's reason
    expect(disposeLog).toEqual(expectedLog);
    const sizeByType: Partial<Record<T, number>> = {};
    for (const e of entries) sizeByType[e.type] = (sizeByType[e.type] ?? 0) + 1;
    expect(cache.stats()).toEqual({ ...counters, drops, size: entries.length, sizeByType });
  }

  const disposedIds = disposeLog.map(([id]) => id);
  expect(new Set(disposedIds).size).toBe(disposedIds.length);
  for (const id of disposedIds) expect(withdrawn.has(id)).toBe(false);
  // everything still cached is neither disposed nor withdrawn
  for (const e of entries) {
    expect(disposedIds).not.toContain(e.id);
    expect(withdrawn.has(e.id)).toBe(false);
  }
}

test('R30: random deposit/withdraw/find/touch/drop/prune/capacity sequences match an array model', () => {
  fc.assert(
    fc.property(configArb, fc.array(cmdArb, { maxLength: 80 }), (config, cmds) => {
      run(config, cmds);
    }),
    { numRuns: 400 },
  );
});
