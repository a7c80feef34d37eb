import { performance } from 'node:perf_hooks';

/** One implementation of one workload, timed in batches of `n` operations. */
export interface TimedCase {
  readonly name: string;
  /**
   * Runs `n` operations and returns a number derived from their results, so
   * the work cannot be optimized away.
   */
  run(n: number): number;
}

/** How long and how often {@link measureAlternating} runs each case. */
export interface MeasureOptions {
  /** Time spent warming each case up (and estimating its speed) before the timed rounds. */
  readonly warmupMs: number;
  /** Target duration of one timed batch. */
  readonly sampleMs: number;
  /** Timed rounds; each round runs every case once, in order. */
  readonly rounds: number;
}

/** What {@link measureAlternating} found for one case. */
export interface CaseResult {
  readonly name: string;
  /** Operations per timed batch. */
  readonly batch: number;
  /** Operations per second of each round. */
  readonly samples: readonly number[];
  /** Median of `samples`. */
  readonly opsPerSec: number;
}

/** Keeps the results of `run()` reachable so no batch is dead code. */
let sink = 0;

/** The sink's value; reading it keeps the optimizer honest. */
export function sinkValue(): number {
  return sink;
}

function timeBatch(c: TimedCase, n: number): number {
  const start = performance.now();
  sink = (sink + c.run(n)) | 0;
  return performance.now() - start;
}

/**
 * Warms a case up for about `warmupMs`, growing the batch until one batch
 * takes a measurable time, and returns its estimated operations per ms.
 * Slow cases (an O(n) scan over 100,000 entries) thus get few iterations.
 */
function calibrate(c: TimedCase, warmupMs: number): number {
  let n = 1;
  let spent = 0;
  let rate = 0;
  for (;;) {
    const ms = timeBatch(c, n);
    spent += ms;
    if (ms >= 1) rate = n / ms;
    if (spent >= warmupMs && rate > 0) return rate;
    // Aim the next batch at a quarter of the remaining warm-up, at most 16x larger.
    const target = Math.max(1, (warmupMs - spent) / 4);
    n = rate > 0 ? Math.max(1, Math.min(n * 16, Math.round(rate * target))) : n * 4;
  }
}

/**
 * Measures cases against each other: after a warm-up, every round runs each
 * case once in turn (A B C A B C ...), so a noisy period on the machine hits
 * all of them alike, and each case's speed is the median over the rounds.
 */
export function measureAlternating(cases: readonly TimedCase[], options: MeasureOptions): CaseResult[] {
  const batches = cases.map((c) => Math.max(1, Math.round(calibrate(c, options.warmupMs) * options.sampleMs)));
  const samples = cases.map((): number[] => []);
  for (let round = 0; round < options.rounds; round++) {
    cases.forEach((c, i) => {
      const n = batches[i] as number;
      const ms = timeBatch(c, n);
      (samples[i] as number[]).push((n / Math.max(ms, 1e-6)) * 1000);
    });
  }
  return cases.map((c, i) => ({
    name: c.name,
    batch: batches[i] as number,
    samples: samples[i] as number[],
    opsPerSec: median(samples[i] as number[]),
  }));
}

/** The median; the mean of the middle two for an even count. NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * The median of `a[i] / b[i]`: for samples taken in the same round, this
 * cancels what the machine did during that round (another process, a
 * frequency change) better than dividing the medians.
 */
export function medianOfRatios(a: readonly number[], b: readonly number[]): number {
  return median(a.map((x, i) => x / (b[i] as number)));
}

/** The `p`-th percentile (0..100) by nearest rank, of already sorted values. */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] as number;
}
