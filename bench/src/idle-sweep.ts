import { performance } from 'node:perf_hooks';
import { ConnCache } from '@ipcm/conncache';
import { closeIdleConnections, type ConnectionEntry, type ConnectionHost } from '@ipcm/connection-role';
import { inFreshProcess } from './fresh-process.js';
import type { Direction } from '@ipcm/client-core';
import { createRoleHost, type RoleHostConnection } from '@ipcm/client-core/internal';
import { median, medianOfRatios } from './measure.js';
import type { Mode } from './mode.js';
import { formatRatio, table, verdict } from './report.js';

/** A cache size and how many of its entries are idle at each sweep. */
export interface SweepConfig {
  readonly size: number;
  readonly idle: number;
}

export interface IdleSweepOptions {
  /**
   * The configurations, all measured in every round. The first is the
   * reference; a later one with the same `idle` shows whether the time
   * follows the cache size, one with the same idle share whether it follows
   * the number closed.
   */
  readonly configs: readonly SweepConfig[];
  /** Sweeps per case per round; a round's figure is their mean. */
  readonly sweepsPerRound: number;
  readonly warmupRounds: number;
  readonly rounds: number;
}

export const IDLE_SWEEP_OPTIONS: Readonly<Record<Mode, IdleSweepOptions>> = {
  full: {
    configs: [
      { size: 10_000, idle: 100 },
      { size: 100_000, idle: 100 },
      { size: 100_000, idle: 1_000 },
    ],
    sweepsPerRound: 20,
    warmupRounds: 3,
    rounds: 15,
  },
  quick: {
    configs: [
      { size: 10_000, idle: 100 },
      { size: 100_000, idle: 100 },
      { size: 100_000, idle: 1_000 },
    ],
    sweepsPerRound: 10,
    warmupRounds: 2,
    rounds: 7,
  },
  tiny: {
    configs: [
      { size: 100, idle: 1 },
      { size: 1_000, idle: 1 },
      { size: 1_000, idle: 10 },
    ],
    sweepsPerRound: 2,
    warmupRounds: 0,
    rounds: 1,
  },
};

/**
 * The operations measured. The `scan` cases do the same work by a full
 * scan (what O(n) looks like); `Map.delete` deletes the same keys from a
 * plain Map, the least any sweep must do: how much that slows down from
 * the small cache to the large one is the memory hierarchy's share, which
 * no algorithm avoids.
 */
export type SweepCase =
  | 'Map.delete'
  | 'drop(ageMs)'
  | 'drop(checker) scan'
  | 'role, Map host'
  | 'role, Map host, no view'
  | 'role, client-shaped host';
export const SWEEP_CASES: readonly SweepCase[] = [
  'Map.delete',
  'drop(ageMs)',
  'drop(checker) scan',
  'role, Map host',
  'role, Map host, no view',
  'role, client-shaped host',
];

/** Cases that are there for comparison, not under test. */
const REFERENCES: ReadonlySet<SweepCase> = new Set<SweepCase>(['Map.delete', 'drop(checker) scan', 'role, Map host, no view']);

const CASE_TITLES: Readonly<Record<SweepCase, string>> = {
  'Map.delete': 'reference: Map.delete of the same keys (no search at all)',
  'drop(ageMs)': 'ConnCache.drop(ageMs), plain objects',
  'drop(checker) scan': '  baseline: drop(checker) with the same test (a full scan)',
  'role, Map host': 'closeIdleConnections, Map host + connectionsByIdleness',
  'role, Map host, no view': '  baseline: the same host without connectionsByIdleness (a full scan)',
  'role, client-shaped host': "closeIdleConnections, the client's host shape (ConnCache)",
};

/** Clock ms between two generations of entries. */
const STEP = 1000;

/**
 * A structure holding `size` entries in `size / idle` generations of
 * `idle` entries each, one clock step apart. Every sweep happens one step
 * after the newest generation and closes exactly the oldest; the next
 * generation is then added (untimed) under the keys just freed. So every
 * timed sweep sees the same size and closes the same number.
 */
interface Subject {
  /** Timed: closes what is older than `cutoffAge` at `now` (generation slot `slot`); returns how many it closed. */
  sweep(variant: SweepCase, now: number, cutoffAge: number, slot: number): number;
  /** Untimed: adds generation slot `slot`'s `idle` keys, active at `now`. */
  refill(slot: number, now: number): void;
  size(): number;
}

function keysOf(slot: number, idle: number): string[] {
  return Array.from({ length: idle }, (_, j) => `peer-${slot * idle + j}`);
}

function connCacheSubject(idle: number): Subject {
  let time = 0;
  const clock = { now: (): number => time };
  const cache = new ConnCache<{ readonly id: number }, 'unix', string>({ totalCapacity: null, clock, dispose: () => {} });
  const keys: string[][] = [];
  return {
    sweep(variant, now, cutoffAge) {
      time = now;
      if (variant === 'drop(ageMs)') return cache.drop(cutoffAge);
      const cutoff = now - cutoffAge;
      return cache.drop((_conn, _type, _key, depositedAt) => depositedAt <= cutoff);
    },
    refill(slot, now) {
      time = now;
      const slotKeys = (keys[slot] ??= keysOf(slot, idle));
      for (let j = 0; j < idle; j++) cache.deposit('unix', slotKeys[j] as string, { id: j });
    },
    size: () => cache.size,
  };
}

/** The host of connection-role's README: a Map re-inserted on activity, so it is in idleness order. */
function mapHostSubject(idle: number): Subject {
  const table = new Map<string, ConnectionEntry>();
  const closeConnection = (peerId: string): void => {
    table.delete(peerId);
  };
  const withView: ConnectionHost = { connectionTable: () => table, closeConnection, connectionsByIdleness: () => table.entries() };
  const withoutView: ConnectionHost = { connectionTable: () => table, closeConnection };
  const keys: string[][] = [];
  return {
    sweep(variant, now, cutoffAge, slot) {
      if (variant === 'Map.delete') {
        const slotKeys = keys[slot] as string[];
        for (let j = 0; j < idle; j++) table.delete(slotKeys[j] as string);
        return idle;
      }
      // The role closes lastActive < now - maxIdleMs; drop(ageMs) drops depositedAt <= now - ageMs. The cut-off falls between generations, so both close the same one.
      return closeIdleConnections(variant === 'role, Map host' ? withView : withoutView, cutoffAge, now);
    },
    refill(slot, now) {
      const slotKeys = (keys[slot] ??= keysOf(slot, idle));
      for (let j = 0; j < idle; j++) table.set(slotKeys[j] as string, { lastActive: now });
    },
    size: () => table.size,
  };
}

function clientShapedSubject(idle: number): Subject {
  let time = 0;
  const now = (): number => time;
  const cache = new ConnCache<RoleHostConnection, Direction, string>({ totalCapacity: null, clock: { now }, dispose: () => {} });
  const host = createRoleHost(cache, { now, toEpoch: (time) => time });
  const keys: string[][] = [];
  return {
    sweep(_variant, at, cutoffAge) {
      time = at;
      return closeIdleConnections(host, cutoffAge, at);
    },
    refill(slot, at) {
      time = at;
      const slotKeys = (keys[slot] ??= keysOf(slot, idle));
      for (let j = 0; j < idle; j++) cache.deposit('outbound', slotKeys[j] as string, { flushed: true });
    },
    size: () => cache.size,
  };
}

/** The subject each case runs on: the two drops share a cache, the two Map-host sweeps a table. */
const SUBJECT_OF: Readonly<Record<SweepCase, 'cache' | 'map' | 'shaped'>> = {
  'Map.delete': 'map',
  'drop(ageMs)': 'cache',
  'drop(checker) scan': 'cache',
  'role, Map host': 'map',
  'role, Map host, no view': 'map',
  'role, client-shaped host': 'shaped',
};

/** A subject with its generations and sweep counter. */
class Generations {
  readonly #subject: Subject;
  readonly #config: SweepConfig;
  readonly #generations: number;
  #sweeps = 0;

  constructor(subject: Subject, config: SweepConfig) {
    this.#subject = subject;
    this.#config = config;
    this.#generations = config.size / config.idle;
    if (!Number.isInteger(this.#generations)) throw new RangeError(`size ${config.size} is not a multiple of idle ${config.idle}`);
    for (let g = 0; g < this.#generations; g++) subject.refill(g, g * STEP);
  }

  /** One timed sweep (then the untimed refill); returns its duration in ms. */
  sweep(variant: SweepCase): number {
    const i = this.#sweeps++;
    const now = (this.#generations + i) * STEP;
    // Cut-off half a step after generation i: it closes, generation i + 1 does not.
    const cutoffAge = now - (i * STEP + STEP / 2);
    const start = performance.now();
    const closed = this.#subject.sweep(variant, now, cutoffAge, i % this.#generations);
    const ms = performance.now() - start;
    if (closed !== this.#config.idle) throw new Error(`${variant} at ${this.#config.size}: closed ${closed}, expected ${this.#config.idle}`);
    this.#subject.refill(i % this.#generations, now);
    if (this.#subject.size() !== this.#config.size) throw new Error(`${variant} at ${this.#config.size}: size ${this.#subject.size()} after refill`);
    return ms;
  }
}

export interface IdleSweepResult {
  readonly options: IdleSweepOptions;
  /** Per case, per config (index as in `configs`): ms per sweep call, one per round. */
  readonly samples: Readonly<Record<SweepCase, readonly (readonly number[])[]>>;
}

/** Runs the suite in this process: every round runs every case at every config in turn. */
export function runIdleSweepHere(options: IdleSweepOptions): IdleSweepResult {
  const makers = { cache: connCacheSubject, map: mapHostSubject, shaped: clientShapedSubject };
  const subjects = options.configs.map((config) => ({
    cache: new Generations(makers.cache(config.idle), config),
    map: new Generations(makers.map(config.idle), config),
    shaped: new Generations(makers.shaped(config.idle), config),
  }));
  const samples = Object.fromEntries(SWEEP_CASES.map((c) => [c, options.configs.map((): number[] => [])])) as Record<SweepCase, number[][]>;
  for (let round = -options.warmupRounds; round < options.rounds; round++) {
    options.configs.forEach((_, k) => {
      for (const c of SWEEP_CASES) {
        const g = (subjects[k] as (typeof subjects)[number])[SUBJECT_OF[c]];
        let total = 0;
        for (let s = 0; s < options.sweepsPerRound; s++) total += g.sweep(c);
        if (round >= 0) samples[c][k]?.push(total / options.sweepsPerRound);
      }
    });
  }
  return { options, samples };
}

/** Runs the suite in a fresh process, so the other suites' heaps do not slow its GCs. */
export function runIdleSweep(options: IdleSweepOptions): Promise<IdleSweepResult> {
  return inFreshProcess<IdleSweepOptions, IdleSweepResult>('idle-sweep-child', options);
}

/**
 * From the first config to a larger one, the time per closed connection may
 * grow at most this many times as much as Map.delete's (the DESIGN.md
 * cache target, applied to sweeps).
 */
export const SWEEP_TARGET = 1.5;

export function formatIdleSweep(result: IdleSweepResult): string {
  const { options, samples } = result;
  const [first, ...others] = options.configs;
  if (first === undefined) return '';
  const label = (c: SweepConfig): string => `${c.idle.toLocaleString('en-US')} idle of ${c.size.toLocaleString('en-US')}`;
  const us = (ms: number): string => (ms * 1000 >= 100 ? (ms * 1000).toFixed(0) : (ms * 1000).toFixed(1));
  const out: string[] = [];
  out.push(
    `idle sweeps: entries in generations one step apart; each sweep closes exactly the oldest ${options.configs.map(label).join(' / ')}; the closed ones are replaced (untimed) before the next`,
  );
  out.push(
    `us per call / us per closed connection, medians of ${options.rounds} rounds (each the mean of ${options.sweepsPerRound} sweeps), every case and size alternating; ratios: median of per-round ratios of the time per closed connection`,
  );
  const header = ['case', ...options.configs.map(label), ...others.map((c) => `${label(c)} / ${label(first)}`)];
  const rows = SWEEP_CASES.map((c) => {
    const perClosed = (k: number): number[] => (samples[c][k] ?? []).map((ms) => ms / (options.configs[k] as SweepConfig).idle);
    return [
      CASE_TITLES[c],
      ...options.configs.map((config, k) => {
        const call = median(samples[c][k] ?? []);
        return `${us(call)} / ${us(call / config.idle)}`;
      }),
      ...others.map((_, j) => `${formatRatio(medianOfRatios(perClosed(j + 1), perClosed(0)))}x`),
    ];
  });
  out.push(table(header, rows));
  const growth = (c: SweepCase, k: number): number[] => {
    const perClosed = (i: number): number[] => (samples[c][i] ?? []).map((ms) => ms / (options.configs[i] as SweepConfig).idle);
    const small = perClosed(0);
    return perClosed(k).map((x, r) => x / (small[r] as number));
  };
  for (const c of SWEEP_CASES) {
    if (REFERENCES.has(c)) continue;
    others.forEach((config, j) => {
      const r = medianOfRatios(growth(c, j + 1), growth('Map.delete', j + 1));
      const what = `${c}: growth of the time per closed connection, ${label(first)} -> ${label(config)}, over Map.delete's: ${formatRatio(r)}`;
      // Only the same number closed at a larger size tells O(closed) from O(size): with the same idle share, a scan's time per closed connection does not grow either.
      if (config.idle === first.idle) {
        out.push(`RATIO ${what}  target <= ${SWEEP_TARGET} (a scan: ~${formatRatio(config.size / first.size)})  ${verdict(r <= SWEEP_TARGET)}`);
      } else {
        out.push(`info: ${what} (the same idle share: ~1 for a scan too)`);
      }
    });
  }
  out.push(
    "info: the client-shaped host is client-core's own role host (createRoleHost) over a ConnCache of objects with `flushed`, their records' times as last activity (a client with 10,000 real connections is too heavy); the scale suite sweeps a real UnixClient",
  );
  out.push('');
  return out.join('\n');
}
