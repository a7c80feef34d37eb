import { PerformanceObserver, performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { ConnCache } from '@ipcm/conncache';
import { inFreshProcess } from './fresh-process.js';
import { LwpConnCache } from './lwp-conn-cache.js';
import { MapBaseline } from './map-baseline.js';
import { median, measureAlternating, medianOfRatios, percentileSorted, type CaseResult, type MeasureOptions, type TimedCase } from './measure.js';
import { formatOps, formatRatio, table, verdict } from './report.js';
import type { Mode } from './mode.js';

/** The cached value: a stand-in for a socket. */
interface Conn {
  readonly id: number;
}

export type Workload = 'cycle' | 'evict';
export type Impl = 'ConnCache' | 'LWP port' | 'Map';
export const IMPLS: readonly Impl[] = ['ConnCache', 'LWP port', 'Map'];

const WORKLOAD_TITLES: Readonly<Record<Workload, string>> = {
  cycle: 'deposit+withdraw cycles: withdraw an existing key (random order), deposit it back',
  evict: 'evicting deposits: deposit a new key into a full cache (evicts the oldest)',
};

/** Most our slowdown from the smallest to the largest size may exceed the Map's (DESIGN.md). */
export const SLOWDOWN_TARGET = 1.5;

export interface ConncacheOptions extends MeasureOptions {
  /** Cache sizes (entries); the first and last give the slowdown. */
  readonly sizes: readonly number[];
  /**
   * Fresh processes to repeat the whole measurement in, one after another;
   * their rounds are pooled. Within one process the alternating rounds agree
   * well, but from one process to the next the same loop can run 1.5x
   * faster or slower (heap layout, when the JIT tiers up, GC sizing), which
   * only more processes average out.
   */
  readonly processes: number;
}

export const CONNCACHE_OPTIONS: Readonly<Record<Mode, ConncacheOptions>> = {
  full: { sizes: [10, 1_000, 100_000], warmupMs: 100, sampleMs: 20, rounds: 15, processes: 5 },
  quick: { sizes: [10, 1_000, 100_000], warmupMs: 40, sampleMs: 10, rounds: 9, processes: 3 },
  tiny: { sizes: [10, 100], warmupMs: 2, sampleMs: 1, rounds: 1, processes: 1 },
};

export interface WorkloadResult {
  readonly workload: Workload;
  readonly sizes: readonly number[];
  /** Median ops/s per implementation, one per size. */
  readonly opsPerSec: Readonly<Record<Impl, readonly number[]>>;
  /** Every round's ops/s, per implementation and size. */
  readonly samples: Readonly<Record<Impl, readonly (readonly number[])[]>>;
  /**
   * Per implementation and size, every round's share of the timed batch spent
   * in garbage collection (V8's 'gc' performance entries that started
   * within it), and the round's ops/s with that time left out.
   */
  readonly gcShare: Readonly<Record<Impl, readonly (readonly number[])[]>>;
  readonly samplesWithoutGc: Readonly<Record<Impl, readonly (readonly number[])[]>>;
  /** Entries each implementation held after its last batch, per size (a sanity check). */
  readonly finalSizes: Readonly<Record<Impl, readonly number[]>>;
  /** Connections each implementation disposed of, per size: 0 for cycles, one per evicting deposit. */
  readonly disposed: Readonly<Record<Impl, readonly number[]>>;
}

export interface ConncacheResult {
  readonly options: ConncacheOptions;
  readonly workloads: readonly WorkloadResult[];
  /**
   * Heap bytes per cached connection at the largest size, per
   * implementation (what a cache that outgrows the CPU caches pays for);
   * `undefined` when the process has no `gc()` to measure it cleanly or the
   * largest size is too small to measure.
   */
  readonly heapPerEntry: Readonly<Record<Impl, number>> | undefined;
}

/** A deterministic PRNG (mulberry32), so every run walks the same keys. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Fixture {
  /** `pool` distinct keys and connections, made before any timing. */
  readonly keys: readonly string[];
  readonly conns: readonly Conn[];
  /** Key indexes in [0, size) in random order, a power of two long; for cycles. */
  readonly order: Int32Array;
}

function fixture(size: number, pool: number): Fixture {
  const keys = Array.from({ length: pool }, (_, i) => `peer-${i}`);
  const conns = Array.from({ length: pool }, (_, i): Conn => ({ id: i }));
  let length = 4096;
  while (length < 2 * size) length *= 2;
  const random = prng(size);
  const order = new Int32Array(length);
  for (let i = 0; i < length; i++) order[i] = Math.floor(random() * size);
  return { keys, conns, order };
}

/** A prefilled cache of one implementation and the timed loops over it. */
interface Subject {
  readonly cycle: (n: number) => number;
  readonly evict: (n: number) => number;
  readonly size: () => number;
  /** Connections the cache disposed of (evicted). */
  readonly disposed: () => number;
}

/** A `dispose` that only counts: eviction costs the cache's own work, nothing else. */
function disposals(): { dispose: (conn: Conn) => void; disposed: () => number } {
  let count = 0;
  return {
    dispose: () => {
      count++;
    },
    disposed: () => count,
  };
}

// The loops only index precomputed arrays: no key string is built while
// timing. `cycle` walks `order` (random key indexes); `evict` walks a pool of
// 2 * size keys: the one deposited now was evicted `size` deposits ago, so it
// is always new to the cache.
//
// Each implementation has its own loop functions (not one generic loop
// calling through an adapter): V8 shares type feedback between closures of
// one function literal, which would make the calls megamorphic and add the
// same call overhead to every implementation, hiding their differences.

function connCacheSubject(f: Fixture, size: number, capacity: number | null): Subject {
  const { dispose, disposed } = disposals();
  const cache = new ConnCache<Conn, 'unix', string>({ totalCapacity: capacity, dispose });
  const { keys, conns, order } = f;
  for (let i = 0; i < size; i++) cache.deposit('unix', keys[i] as string, conns[i] as Conn);
  let cursor = capacity === null ? 0 : size % keys.length;
  return {
    cycle(n) {
      const mask = order.length - 1;
      let acc = 0;
      let i = cursor;
      for (let k = 0; k < n; k++) {
        const key = keys[order[i] as number] as string;
        i = (i + 1) & mask;
        const conn = cache.withdraw('unix', key) as Conn;
        cache.deposit('unix', key, conn);
        acc ^= conn.id;
      }
      cursor = i;
      return acc;
    },
    evict(n) {
      const pool = keys.length;
      let j = cursor;
      for (let k = 0; k < n; k++) {
        cache.deposit('unix', keys[j] as string, conns[j] as Conn);
        j = j + 1 === pool ? 0 : j + 1;
      }
      cursor = j;
      return j;
    },
    size: () => cache.size,
    disposed,
  };
}

function lwpSubject(f: Fixture, size: number, capacity: number | null): Subject {
  const { dispose, disposed } = disposals();
  const cache = new LwpConnCache<Conn>(capacity, dispose);
  const { keys, conns, order } = f;
  for (let i = 0; i < size; i++) cache.deposit('unix', keys[i] as string, conns[i] as Conn);
  let cursor = capacity === null ? 0 : size % keys.length;
  return {
    cycle(n) {
      const mask = order.length - 1;
      let acc = 0;
      let i = cursor;
      for (let k = 0; k < n; k++) {
        const key = keys[order[i] as number] as string;
        i = (i + 1) & mask;
        const conn = cache.withdraw('unix', key) as Conn;
        cache.deposit('unix', key, conn);
        acc ^= conn.id;
      }
      cursor = i;
      return acc;
    },
    evict(n) {
      const pool = keys.length;
      let j = cursor;
      for (let k = 0; k < n; k++) {
        cache.deposit('unix', keys[j] as string, conns[j] as Conn);
        j = j + 1 === pool ? 0 : j + 1;
      }
      cursor = j;
      return j;
    },
    size: () => cache.size,
    disposed,
  };
}

function mapSubject(f: Fixture, size: number, capacity: number | null): Subject {
  const { dispose, disposed } = disposals();
  const cache = new MapBaseline<Conn>(capacity, dispose);
  const { keys, conns, order } = f;
  for (let i = 0; i < size; i++) cache.deposit(keys[i] as string, conns[i] as Conn);
  let cursor = capacity === null ? 0 : size % keys.length;
  return {
    cycle(n) {
      const mask = order.length - 1;
      let acc = 0;
      let i = cursor;
      for (let k = 0; k < n; k++) {
        const key = keys[order[i] as number] as string;
        i = (i + 1) & mask;
        const conn = cache.withdraw(key) as Conn;
        cache.deposit(key, conn);
        acc ^= conn.id;
      }
      cursor = i;
      return acc;
    },
    evict(n) {
      const pool = keys.length;
      let j = cursor;
      for (let k = 0; k < n; k++) {
        cache.deposit(keys[j] as string, conns[j] as Conn);
        j = j + 1 === pool ? 0 : j + 1;
      }
      cursor = j;
      return j;
    },
    size: () => cache.size,
    disposed,
  };
}

const SUBJECTS: Readonly<Record<Impl, typeof connCacheSubject>> = {
  ConnCache: connCacheSubject,
  'LWP port': lwpSubject,
  Map: mapSubject,
};

/** One prefilled cache per implementation and size for this workload, reused by all its batches. */
function subjects(workload: Workload, size: number): Subject[] {
  const f = fixture(size, workload === 'cycle' ? size : 2 * size);
  const capacity = workload === 'cycle' ? null : size;
  return IMPLS.map((impl) => SUBJECTS[impl](f, size, capacity));
}

/**
 * Runs the suite: `options.processes` times {@link runConncache} in a forked
 * process, one after another, with the rounds of all of them pooled.
 */
export async function runConncacheSuite(options: ConncacheOptions): Promise<ConncacheResult> {
  const runs: ConncacheResult[] = [];
  for (let p = 0; p < options.processes; p++) {
    runs.push(await inFreshProcess<ConncacheOptions, ConncacheResult>('conncache-child', options, { execArgv: [...process.execArgv, '--expose-gc'] }));
  }
  return pool(options, runs);
}

/** Concatenates the rounds of several runs (each run's rounds stay in order, so per-round ratios still pair up). */
function pool(options: ConncacheOptions, runs: readonly ConncacheResult[]): ConncacheResult {
  const workloads = (runs[0]?.workloads ?? []).map((first, w): WorkloadResult => {
    const all = runs.map((run) => run.workloads[w] as WorkloadResult);
    const per = <T>(f: (r: WorkloadResult, impl: Impl, size: number) => T): Record<Impl, T[]> => {
      const out: Record<Impl, T[]> = { ConnCache: [], 'LWP port': [], Map: [] };
      for (const impl of IMPLS) out[impl] = first.sizes.map((_, i) => f(first, impl, i));
      return out;
    };
    const samples = per((_, impl, i) => all.flatMap((r) => r.samples[impl][i] ?? []));
    return {
      workload: first.workload,
      sizes: first.sizes,
      samples,
      gcShare: per((_, impl, i) => all.flatMap((r) => r.gcShare[impl][i] ?? [])),
      samplesWithoutGc: per((_, impl, i) => all.flatMap((r) => r.samplesWithoutGc[impl][i] ?? [])),
      opsPerSec: per((_, impl, i) => median(samples[impl][i] ?? [])),
      // The smallest count any run ended with: a shortfall in one run shows.
      finalSizes: per((_, impl, i) => Math.min(...all.map((r) => r.finalSizes[impl][i] as number))),
      disposed: per((_, impl, i) => all.reduce((sum, r) => sum + (r.disposed[impl][i] as number), 0)),
    };
  });
  const measured = runs.flatMap((run) => (run.heapPerEntry === undefined ? [] : [run.heapPerEntry]));
  const heapPerEntry =
    measured.length === 0
      ? undefined
      : { ConnCache: median(measured.map((m) => m.ConnCache)), 'LWP port': median(measured.map((m) => m['LWP port'])), Map: median(measured.map((m) => m.Map)) };
  return { options, workloads, heapPerEntry };
}

/**
 * Heap bytes per entry of a cache of `size` connections, for each
 * implementation: the heap grown by prefilling one, between two full GCs.
 * The keys and connections are made beforehand and not counted.
 */
function heapPerEntry(size: number): Record<Impl, number> | undefined {
  const gc = (globalThis as { gc?: () => void }).gc;
  // Below some thousands of entries, the heap's own noise drowns the cache.
  if (gc === undefined || size < 10_000) return undefined;
  const f = fixture(size, size);
  const out: Record<Impl, number> = { ConnCache: 0, 'LWP port': 0, Map: 0 };
  let subject: Subject | undefined;
  for (const impl of IMPLS) {
    subject = undefined;
    gc();
    const before = process.memoryUsage().heapUsed;
    subject = SUBJECTS[impl](f, size, null);
    gc();
    out[impl] = (process.memoryUsage().heapUsed - before) / size;
    if (subject.size() !== size) throw new Error(`${impl}: prefill kept ${subject.size()} of ${size}`);
  }
  return out;
}

/**
 * Runs both workloads in this process. Within a workload every round runs all sizes and all
 * implementations in turn (10: ConnCache, LWP port, Map; 1,000: ...), so the
 * numbers a ratio compares were measured within a fraction of a second of
 * each other; ratios are computed per round, then their median is taken.
 */
export async function runConncache(options: ConncacheOptions): Promise<ConncacheResult> {
  // Measured first, on a heap holding nothing else of ours.
  const heap = heapPerEntry(options.sizes[options.sizes.length - 1] as number);
  // Garbage collections, to tell how much of each batch they took (a cache
  // that allocates per operation pays for it at scale: the objects it keeps
  // survive scavenges, are promoted and fill the old generation).
  const gcs: { start: number; end: number }[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcs.push({ start: e.startTime, end: e.startTime + e.duration });
  });
  observer.observe({ entryTypes: ['gc'] });
  const workloads: WorkloadResult[] = [];
  for (const workload of ['cycle', 'evict'] as const) {
    const bySize = options.sizes.map((size) => subjects(workload, size));
    // Every batch's [start, end), per case; the last `rounds` of them are the timed ones.
    const spans: number[][] = [];
    const timed = bySize.flatMap((group, s) =>
      group.map((subject, i): TimedCase => {
        const mine: number[] = [];
        spans.push(mine);
        const loop = subject[workload];
        return {
          name: `${IMPLS[i] as Impl} @ ${options.sizes[s] as number}`,
          run: (n) => {
            const start = performance.now();
            const result = loop(n);
            mine.push(start, performance.now());
            return result;
          },
        };
      }),
    );
    const results = measureAlternating(timed, options);
    await delay(20); // the observer's entries arrive asynchronously
    const gcIn = (start: number, end: number): number =>
      gcs.reduce((sum, g) => (g.start >= start && g.start < end ? sum + (Math.min(g.end, end) - g.start) : sum), 0);
    const perRound = (caseIndex: number): { share: number[]; withoutGc: number[] } => {
      const own = spans[caseIndex] as number[];
      const r = results[caseIndex] as CaseResult;
      const share: number[] = [];
      const withoutGc: number[] = [];
      for (let k = own.length - 2 * options.rounds; k < own.length; k += 2) {
        const start = own[k] as number;
        const ms = (own[k + 1] as number) - start;
        const gcMs = gcIn(start, start + ms);
        share.push(gcMs / ms);
        withoutGc.push((r.batch / Math.max(ms - gcMs, 1e-6)) * 1000);
      }
      return { share, withoutGc };
    };
    const pick = <T>(f: (r: CaseResult, subject: Subject, caseIndex: number) => T): Record<Impl, T[]> => {
      const out: Record<Impl, T[]> = { ConnCache: [], 'LWP port': [], Map: [] };
      bySize.forEach((group, s) => {
        IMPLS.forEach((impl, i) => {
          const caseIndex = s * IMPLS.length + i;
          out[impl].push(f(results[caseIndex] as CaseResult, group[i] as Subject, caseIndex));
        });
      });
      return out;
    };
    workloads.push({
      workload,
      sizes: options.sizes,
      opsPerSec: pick((r) => r.opsPerSec),
      samples: pick((r) => r.samples),
      gcShare: pick((_, __, c) => perRound(c).share),
      samplesWithoutGc: pick((_, __, c) => perRound(c).withoutGc),
      finalSizes: pick((_, subject) => subject.size()),
      disposed: pick((_, subject) => subject.disposed()),
    });
    gcs.length = 0;
  }
  observer.disconnect();
  return { options, workloads, heapPerEntry: heap };
}

/** Per round, ops/s at the first size divided by ops/s at the last; the median over rounds. */
export function slowdown(w: WorkloadResult, impl: Impl): number {
  const perSize = w.samples[impl];
  return medianOfRatios(perSize[0] ?? [], perSize[perSize.length - 1] ?? []);
}

/**
 * Per round, our slowdown divided by the Map's; the median over rounds. The
 * DESIGN.md target. With `withoutGc`, from the ops/s with the rounds' GC
 * time left out (a diagnosis, not the target).
 */
export function slowdownRatio(w: WorkloadResult, withoutGc = false): number {
  const perRound = (impl: Impl): number[] => {
    const perSize = (withoutGc ? w.samplesWithoutGc : w.samples)[impl];
    const first = perSize[0] ?? [];
    const last = perSize[perSize.length - 1] ?? [];
    return first.map((x, r) => x / (last[r] as number));
  };
  return medianOfRatios(perRound('ConnCache'), perRound('Map'));
}

/** Per round, ConnCache's ops/s over `other`'s at size index `i`; the median over rounds. */
function versus(w: WorkloadResult, other: Impl, i: number): number {
  return medianOfRatios(w.samples.ConnCache[i] ?? [], w.samples[other][i] ?? []);
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** min / quartiles / max of a case's rounds, for --verbose. */
function spread(samples: readonly number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const q = (p: number): string => formatOps(percentileSorted(sorted, p));
  return `${sorted.length} rounds, min ${q(0)}  q1 ${q(25)}  median ${q(50)}  q3 ${q(75)}  max ${q(100)}`;
}

export function formatConncache(result: ConncacheResult, verbose = false): string {
  const out: string[] = [];
  const { rounds, processes } = result.options;
  for (const w of result.workloads) {
    const first = w.sizes[0] as number;
    const last = w.sizes[w.sizes.length - 1] as number;
    const span = `${first.toLocaleString('en-US')}->${last.toLocaleString('en-US')}`;
    out.push(`conncache / ${WORKLOAD_TITLES[w.workload]}`);
    out.push(
      `ops/s: median of ${plural(processes, 'process', 'processes')} x ${plural(rounds, 'round', 'rounds')}, every size and implementation alternating in a round; ratios: median of per-round ratios`,
    );
    const header = ['impl', ...w.sizes.map((s) => s.toLocaleString('en-US')), `slowdown ${span}`];
    const rows = IMPLS.map((impl) => [impl, ...w.opsPerSec[impl].map(formatOps), `${formatRatio(slowdown(w, impl))}x`]);
    for (const other of ['LWP port', 'Map'] as const) {
      rows.push([`ConnCache/${other}`, ...w.sizes.map((_, i) => `${formatRatio(versus(w, other, i))}x`), '']);
    }
    out.push(table(header, rows));
    if (verbose) {
      for (const impl of IMPLS) {
        w.sizes.forEach((size, i) => {
          out.push(`  ${impl} @ ${size.toLocaleString('en-US')}: ${spread(w.samples[impl][i] ?? [])}`);
        });
      }
    }
    const ratio = slowdownRatio(w);
    const ofMedians = (impl: Impl): number => (w.opsPerSec[impl][0] as number) / (w.opsPerSec[impl][w.sizes.length - 1] as number);
    out.push(
      `RATIO ConnCache slowdown / Map slowdown (${span}): ${formatRatio(ratio)}  target <= ${SLOWDOWN_TARGET}  ${verdict(ratio <= SLOWDOWN_TARGET)}  (ratio of the medians: ${formatRatio(ofMedians('ConnCache') / ofMedians('Map'))})`,
    );
    // The mean, not the median: a collection hits one batch in several.
    const gcShare = (impl: Impl, i: number): string => {
      const shares = w.gcShare[impl][i] ?? [];
      return `${((shares.reduce((a, b) => a + b, 0) / Math.max(1, shares.length)) * 100).toFixed(1)}%`;
    };
    out.push(
      `info: share of the timed batches spent in GC (mean over rounds), ${first.toLocaleString('en-US')} / ${last.toLocaleString('en-US')} entries: ${IMPLS.map((impl) => `${impl} ${gcShare(impl, 0)} / ${gcShare(impl, w.sizes.length - 1)}`).join(', ')}; the RATIO with GC time left out: ${formatRatio(slowdownRatio(w, true))}`,
    );
    out.push('');
  }
  const heap = result.heapPerEntry;
  if (heap !== undefined) {
    const size = (result.options.sizes[result.options.sizes.length - 1] as number).toLocaleString('en-US');
    out.push(`info: heap bytes per cached connection at ${size}: ${IMPLS.map((impl) => `${impl} ${heap[impl].toFixed(0)}`).join(', ')}`);
    out.push('');
  }
  return out.join('\n');
}
