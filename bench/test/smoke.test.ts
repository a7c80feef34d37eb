// Keeps the benchmarks from rotting: runs the smallest case of each suite in
// its tiny mode and checks that it did the work it claims to time. No timing
// is asserted; the numbers of a tiny run mean nothing.
import { ConnCache } from '@ipcm/conncache';
import { CONNCACHE_OPTIONS, IMPLS, formatConncache, runConncacheSuite } from '../src/conncache.js';
import { LwpConnCache } from '../src/lwp-conn-cache.js';
import { MapBaseline } from '../src/map-baseline.js';
import { MESSAGING_IMPLS } from '../src/messaging-endpoints.js';
import { MESSAGING_OPTIONS, formatMessaging, runMessaging } from '../src/messaging.js';

test('the baselines evict the oldest entry and withdraw what was deposited, like ConnCache', () => {
  const evicted: Record<string, string[]> = { ours: [], lwp: [], map: [] };
  const ours = new ConnCache<string, 'unix', string>({ totalCapacity: 2, dispose: (c) => evicted['ours']?.push(c) });
  const lwp = new LwpConnCache<string>(2, (c) => evicted['lwp']?.push(c));
  const map = new MapBaseline<string>(2, (c) => evicted['map']?.push(c));
  for (const key of ['a', 'b', 'c', 'd']) {
    ours.deposit('unix', key, `conn-${key}`);
    lwp.deposit('unix', key, `conn-${key}`);
    map.deposit(key, `conn-${key}`);
  }
  expect(evicted).toEqual({ ours: ['conn-a', 'conn-b'], lwp: ['conn-a', 'conn-b'], map: ['conn-a', 'conn-b'] });
  expect([ours.size, lwp.size, map.size]).toEqual([2, 2, 2]);
  expect(lwp.withdraw('unix', 'c')).toBe('conn-c');
  expect(lwp.withdraw('unix', 'c')).toBeUndefined();

  const unbounded = new MapBaseline<string>(null, () => {});
  unbounded.deposit('a', 'conn-a');
  expect(unbounded.withdraw('a')).toBe('conn-a');
  expect(unbounded.withdraw('a')).toBeUndefined();
});

test('conncache suite: every implementation runs both workloads and keeps its cache full', async () => {
  const result = await runConncacheSuite(CONNCACHE_OPTIONS.tiny);
  const { sizes } = result.options;
  expect(result.workloads.map((w) => w.workload)).toEqual(['cycle', 'evict']);
  for (const w of result.workloads) {
    for (const impl of IMPLS) {
      expect(w.finalSizes[impl]).toEqual(sizes);
      expect(w.opsPerSec[impl]).toHaveLength(sizes.length);
      for (const [i, disposed] of w.disposed[impl].entries()) {
        // Cycles never evict; every evicting deposit evicts exactly one.
        if (w.workload === 'cycle') expect(disposed).toBe(0);
        else expect(disposed).toBeGreaterThan(0);
        expect(Number.isFinite(w.opsPerSec[impl][i])).toBe(true);
      }
    }
  }
  const text = formatConncache(result, true);
  expect(text).toContain('RATIO ConnCache slowdown / Map slowdown');
  expect(text).toContain('LWP port');
});

test('messaging suite over unix: every implementation delivers all messages between two processes', async () => {
  const result = await runMessaging('unix', MESSAGING_OPTIONS.tiny);
  expect(result.impls.map((r) => r.impl)).toEqual(MESSAGING_IMPLS);
  for (const r of result.impls) {
    // A trial only returns once the child counted every message or got every echo.
    expect(r.throughput).toHaveLength(MESSAGING_OPTIONS.tiny.rounds);
    expect(r.p50.every(Number.isFinite)).toBe(true);
    expect(r.p99.every(Number.isFinite)).toBe(true);
  }
  const ipcm = result.impls.find((r) => r.impl === '@ipcm');
  expect(ipcm?.connects).toBe(1);
  expect(result.frameBytes.ipcm).toBeGreaterThan(100);
  expect(Math.abs(result.frameBytes.ipcm - result.frameBytes.bare)).toBeLessThanOrEqual(2);
  expect(formatMessaging(result, true)).toContain('RATIO @ipcm / bare throughput');
});
