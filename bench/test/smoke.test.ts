// Keeps the benchmarks from rotting: runs the smallest case of each suite in
// its tiny mode and checks that it did the work it claims to time. No timing
// is asserted; the numbers of a tiny run mean nothing.
import { ConnCache } from '@ipcm/conncache';
import { describeWithRedis } from '../../packages/directory-redis/test/redis-server';
import { renderLogLogChart } from '../src/chart.js';
import { CONNCACHE_OPTIONS, IMPLS, formatConncache, runConncacheSuite } from '../src/conncache.js';
import { IDLE_SWEEP_OPTIONS, SWEEP_CASES, formatIdleSweep, runIdleSweep } from '../src/idle-sweep.js';
import { LwpConnCache } from '../src/lwp-conn-cache.js';
import { MapBaseline } from '../src/map-baseline.js';
import { MESSAGING_IMPLS, SEND_PATTERNS } from '../src/messaging-endpoints.js';
import { frameBytesOf } from '../src/messaging-frames.js';
import { textOfSize } from '../src/messaging-wire.js';
import { MESSAGING_OPTIONS, formatMessaging, runMessaging } from '../src/messaging.js';
import { KINDS, REDIS_OPTIONS, formatRedisBench, runRedisBench } from '../src/redis.js';
import { SCALE_OPTIONS, formatScale, runScale } from '../src/scale.js';
import { SIZES_IMPLS, SIZES_OPTIONS, formatSizes, runSizes, sizesChart } from '../src/sizes.js';

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
  for (const w of result.workloads) {
    for (const impl of IMPLS) {
      for (const shares of w.gcShare[impl]) expect(shares.every((x) => x >= 0 && x <= 1)).toBe(true);
    }
  }
  const text = formatConncache(result, true);
  expect(text).toContain('RATIO ConnCache slowdown / Map slowdown');
  expect(text).toContain('spent in GC');
  expect(text).toContain('LWP port');
});

test.each(['unix', 'tcp'])('messaging suite over %s: every implementation delivers all messages between two processes', async (transport) => {
  const result = await runMessaging(transport, MESSAGING_OPTIONS.tiny);
  expect(result.impls.map((r) => r.impl)).toEqual(MESSAGING_IMPLS);
  for (const r of result.impls) {
    // A trial only returns once the child counted every message or got every echo.
    expect(r.throughput).toHaveLength(MESSAGING_OPTIONS.tiny.rounds);
    expect(r.throughput.every((x) => x > 0 && Number.isFinite(x))).toBe(true);
    expect(r.roundTrips.every((x) => x > 0 && Number.isFinite(x))).toBe(true);
    expect(r.p50.every(Number.isFinite)).toBe(true);
    expect(r.p99.every(Number.isFinite)).toBe(true);
  }
  const ipcm = result.impls.find((r) => r.impl === '@ipcm');
  expect(ipcm?.connects).toBe(1);
  const wire = result.frameBytes;
  expect(wire['@ipcm']).toBeGreaterThan(100);
  expect(Math.abs((wire['@ipcm'] ?? 0) - (wire.bare ?? 0))).toBeLessThanOrEqual(2);
  // The headline: every way of sending ran (and delivered everything) in every round.
  for (const pattern of SEND_PATTERNS) {
    expect(result.headline?.patterns[pattern]).toHaveLength(MESSAGING_OPTIONS.tiny.rounds);
    expect(result.headline?.patterns[pattern].every((x) => x > 0 && Number.isFinite(x))).toBe(true);
  }
  expect(result.headline?.errors).toEqual({});
  const text = formatMessaging(result, true);
  expect(text).toContain('HEADLINE');
  expect(text).toContain('for (...) await send() each');
  expect(text).toContain('RATIO @ipcm / bare throughput');
  expect(text).toContain('RATIO @ipcm / node-ipc throughput');
  expect(text).toContain('RATIO @ipcm / zeromq throughput');
  // Request/response: client.request() against a bare request/response, same frames, every round.
  expect(result.requests.map((r) => r.impl)).toEqual(['@ipcm', 'bare']);
  for (const r of result.requests) {
    expect(r.roundTrips).toHaveLength(MESSAGING_OPTIONS.tiny.rounds);
    expect(r.roundTrips.every((x) => x > 0 && Number.isFinite(x))).toBe(true);
    expect(r.p50.every(Number.isFinite)).toBe(true);
  }
  expect(text).toContain('RATIO @ipcm / bare request round trips/s');
  expect(text).toContain('RATIO @ipcm / bare request p50');
  expect(text).toContain('info: @ipcm request / zeromq DEALER/ROUTER');
});

test('the same content makes frames of the same size, give or take each implementation\'s own framing', () => {
  const text = textOfSize(1024);
  expect(text).toHaveLength(1024);
  expect(JSON.stringify(text)).toHaveLength(1026); // nothing to escape
  const ipcm = frameBytesOf('@ipcm', 7, text);
  expect(Math.abs(frameBytesOf('bare', 7, text) - ipcm)).toBeLessThanOrEqual(2);
  expect(frameBytesOf('node-ipc', 7, text) - ipcm).toBeGreaterThan(20); // {"type":"message","data":...}\f
  expect(Math.abs(frameBytesOf('zeromq', 7, text) - ipcm)).toBeLessThanOrEqual(8);
});

test('sizes suite: every implementation moves every size, and the chart is a well-formed SVG with a line each', async () => {
  const result = await runSizes(SIZES_OPTIONS.tiny);
  const { sizes, rounds } = SIZES_OPTIONS.tiny;
  expect(result.transports.map((t) => t.transport)).toEqual(SIZES_OPTIONS.tiny.transports);
  for (const t of result.transports) {
    expect(t.impls.map((r) => r.impl)).toEqual(SIZES_IMPLS);
    for (const r of t.impls) {
      expect(r.throughput).toHaveLength(sizes.length);
      for (const perRound of r.throughput) {
        expect(perRound).toHaveLength(rounds);
        expect(perRound.every((x) => x > 0 && Number.isFinite(x))).toBe(true);
      }
    }
  }
  expect(formatSizes(result, true)).toContain('RATIO @ipcm / bare bytes/s with 64 KiB messages');
  const svg = sizesChart(result, 'smoke');
  expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
  expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
  expect(svg.match(/<polyline /g)).toHaveLength(SIZES_IMPLS.length * result.transports.length);
  expect(svg).toContain('64 KiB');
});

test('the chart escapes text and leaves out points a log scale cannot show', () => {
  const svg = renderLogLogChart({
    title: 'a < b & "c"',
    subtitle: 's',
    xLabel: 'x',
    yLabel: 'y',
    formatX: String,
    formatY: String,
    panels: [{ title: 'p', series: [{ name: 'bare', points: [{ x: 1, y: 10 }, { x: 4, y: 0 }, { x: 16, y: NaN }, { x: 64, y: 1000 }] }] }],
  });
  expect(svg).toContain('a &#60; b &#38; &#34;c&#34;');
  expect(svg).not.toContain('NaN');
  expect(svg.match(/<circle /g)).toHaveLength(2 + 1); // two points and the legend's marker
});

test('scale suite: a measuring client reaches every peer over one connection each, broadcasts, and sweeps the idle ones', async () => {
  const options = SCALE_OPTIONS.tiny;
  const result = await runScale(options);
  expect(result.skipped).toEqual([]);
  expect(result.cases.map((c) => c.peers)).toEqual(options.peers);
  for (const c of result.cases) {
    for (const impl of ['@ipcm', 'bare'] as const) {
      expect(c.trials[impl]).toHaveLength(options.rounds);
      expect(c.memory[impl]).toHaveLength(options.memoryRounds);
      for (const t of c.trials[impl]) {
        expect(t.firstMs).toBeGreaterThan(0);
        expect(t.broadcastMs).toBeGreaterThan(0);
        expect(t.fdsAdded).toBeGreaterThanOrEqual(c.peers);
      }
    }
    for (const t of c.trials['@ipcm']) {
      expect(t.connects).toBe(c.peers);
      expect(t.sweep?.closed).toBe(Math.min(options.sweepIdle, Math.floor(c.peers / 2)));
    }
  }
  const text = formatScale(result, true);
  expect(text).toContain('first to all');
  expect(text).toContain('(target: one per peer)  OK');
  expect(text).toContain('first message to all, @ipcm / bare');
  expect(text).toContain('RSS per open connection, @ipcm / bare');
});

test('idle-sweep suite: every case closes exactly the idle share at every size', async () => {
  // Each timed sweep checks its own count and the size after the refill, and throws otherwise.
  const result = await runIdleSweep(IDLE_SWEEP_OPTIONS.tiny);
  for (const c of SWEEP_CASES) {
    expect(result.samples[c]).toHaveLength(IDLE_SWEEP_OPTIONS.tiny.configs.length);
    for (const perRound of result.samples[c]) expect(perRound.every((ms) => ms >= 0 && Number.isFinite(ms))).toBe(true);
  }
  expect(formatIdleSweep(result)).toContain('RATIO drop(ageMs): growth of the time per closed connection');
});

describeWithRedis('redis suite (needs redis-server)', () => {
  test('first messages, steady-state bursts and lookups all go through, on both kinds of directory', async () => {
    const options = REDIS_OPTIONS.tiny;
    const result = await runRedisBench(options);
    expect(result.skipped).toBeUndefined();
    for (const kind of KINDS) {
      expect(result.firstMessageMs[kind]).toHaveLength(options.firstMessageRounds);
      expect(result.steadyMsgPerSec[kind]).toHaveLength(options.steadyRounds);
      expect(result.steadyDelivered[kind]).toBe(options.steadyRounds * options.burst);
    }
    expect(result.lookupMs.directory).toHaveLength(options.lookupRounds * options.lookups);
    expect(result.lookupMs.get).toHaveLength(options.lookupRounds * options.lookups);
    const text = formatRedisBench(result, true);
    expect(text).toContain('RATIO steady-state msg/s, Redis / route directory');
    expect(text).toContain('RedisDirectory.lookup');
  });
});
