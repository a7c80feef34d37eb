import { inFreshProcess } from './fresh-process.js';
import { median, medianOfRatios } from './measure.js';
import type { Mode } from './mode.js';
import { formatRatio, table, verdict } from './report.js';
import { SCALE_IMPLS, type ScaleCase, type ScaleImpl, type ScaleOptions, type ScaleResult, type ScaleTrial } from './scale-measure.js';

export type { ScaleOptions, ScaleResult } from './scale-measure.js';

export const SCALE_OPTIONS: Readonly<Record<Mode, ScaleOptions>> = {
  full: { peers: [10, 100, 1000, 5000], hosts: 4, rounds: 5, memoryRounds: 3, warmupTrial: true, sweepIdle: 10, timeoutMs: 60_000 },
  quick: { peers: [10, 1000, 5000], hosts: 4, rounds: 2, memoryRounds: 1, warmupTrial: true, sweepIdle: 10, timeoutMs: 30_000 },
  tiny: { peers: [4], hosts: 2, rounds: 1, memoryRounds: 1, warmupTrial: false, sweepIdle: 10, timeoutMs: 20_000 },
};

/**
 * Runs the scale suite in a fresh measuring process, which forks the peer
 * hosts and the memory probes itself.
 */
export function runScale(options: ScaleOptions): Promise<ScaleResult> {
  return inFreshProcess<ScaleOptions, ScaleResult>('scale-child', options);
}

/** At the largest peer count: @ipcm's time to first message to all over bare's must be at most this (issue 12). */
export const FIRST_TO_ALL_TARGET = 1.2;
/** ... and its RSS per open connection over bare's at most this. */
export const RSS_PER_CONNECTION_TARGET = 1.3;

type TimeMetric = 'firstMs' | 'broadcastMs' | 'fdsAdded';
type MemoryMetric = 'rss' | 'heap' | 'external' | 'newSpace' | 'fds';

const times = (c: ScaleCase, impl: ScaleImpl, metric: TimeMetric): number[] => c.trials[impl].map((t: ScaleTrial) => t[metric]);
const memory = (c: ScaleCase, impl: ScaleImpl, metric: MemoryMetric): number[] => c.memory[impl].map((m) => m[metric]);

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

function ms(value: number): string {
  return `${value.toFixed(value >= 100 ? 0 : value >= 10 ? 1 : 2)} ms`;
}

export function formatScale(result: ScaleResult, verbose = false): string {
  const { options } = result;
  const out: string[] = [];
  out.push(
    `scale: N @ipcm UnixClients in one route directory spread over ${options.hosts} processes (and N bare net servers in the same processes); the measuring process opens a fresh client per trial (maxConnections N + 16) or N bare sockets; every peer acks every message`,
  );
  out.push(
    'first: one message to every peer until every ack is in (opens the N connections); broadcast: broadcast() (bare: one write per socket) until every ack is in, over the open connections',
  );
  out.push(
    `memory: marginal growth per connection in a fresh process with --expose-gc (connect to a tenth of the peers, GC, read; connect the rest, GC, read), ${options.memoryRounds} reading(s) each; "young gen": the part of RSS that is V8's young generation growing with the allocation rate (not kept per connection); heap: JS heap used; fds: /proc/self/fd`,
  );
  out.push(`times: medians of ${options.rounds} rounds alternating @ipcm and bare; "x bare": median of per-round ratios`);
  const rows: string[][] = [];
  for (const c of result.cases) {
    for (const impl of SCALE_IMPLS) {
      const rt = (metric: TimeMetric): string => `${formatRatio(medianOfRatios(times(c, impl, metric), times(c, 'bare', metric)))}x`;
      // A baseline that grew by nothing (a few connections fit in pages already there) gives no ratio.
      const rm = (metric: MemoryMetric): string =>
        median(memory(c, 'bare', metric)) > 0 ? `${formatRatio(medianOfRatios(memory(c, impl, metric), memory(c, 'bare', metric)))}x` : 'n/a';
      rows.push([
        impl === '@ipcm' ? c.peers.toLocaleString('en-US') : '',
        impl,
        ms(median(times(c, impl, 'firstMs'))),
        rt('firstMs'),
        ms(median(times(c, impl, 'broadcastMs'))),
        rt('broadcastMs'),
        kib(median(memory(c, impl, 'rss'))),
        rm('rss'),
        kib(median(memory(c, impl, 'newSpace'))),
        kib(median(memory(c, impl, 'heap'))),
        rm('heap'),
        kib(median(memory(c, impl, 'external'))),
        median(memory(c, impl, 'fds')).toFixed(2),
        rm('fds'),
        String(median(c.trials[impl].map((t) => t.fdsOpen))),
      ]);
    }
  }
  out.push(
    table(
      ['peers', 'impl', 'first to all', 'x bare', 'broadcast', 'x bare', 'RSS/conn', 'x bare', 'of which young gen', 'heap/conn', 'x bare', 'external/conn', 'fds/conn', 'x bare', 'fds open'],
      rows,
    ),
  );
  if (verbose) {
    for (const c of result.cases) {
      for (const impl of SCALE_IMPLS) {
        out.push(
          `  ${c.peers} ${impl}: first ${times(c, impl, 'firstMs').map((v) => v.toFixed(1)).join(' ')} ms; broadcast ${times(c, impl, 'broadcastMs').map((v) => v.toFixed(1)).join(' ')} ms; RSS/conn ${memory(c, impl, 'rss').map((v) => (v / 1024).toFixed(1)).join(' ')} KiB`,
        );
      }
    }
  }
  const smallest = result.cases[0];
  const largest = result.cases[result.cases.length - 1];
  if (smallest !== undefined && largest !== undefined) {
    const perPeer = (c: ScaleCase, impl: ScaleImpl, metric: TimeMetric): string => ((median(times(c, impl, metric)) / c.peers) * 1000).toFixed(1);
    out.push(
      `info: per peer, ${smallest.peers} -> ${largest.peers} peers: first message @ipcm ${perPeer(smallest, '@ipcm', 'firstMs')} -> ${perPeer(largest, '@ipcm', 'firstMs')} us, bare ${perPeer(smallest, 'bare', 'firstMs')} -> ${perPeer(largest, 'bare', 'firstMs')} us; broadcast @ipcm ${perPeer(smallest, '@ipcm', 'broadcastMs')} -> ${perPeer(largest, '@ipcm', 'broadcastMs')} us, bare ${perPeer(smallest, 'bare', 'broadcastMs')} -> ${perPeer(largest, 'bare', 'broadcastMs')} us`,
    );
  }
  if (largest !== undefined) {
    const n = largest.peers.toLocaleString('en-US');
    const first = medianOfRatios(times(largest, '@ipcm', 'firstMs'), times(largest, 'bare', 'firstMs'));
    const rss = medianOfRatios(memory(largest, '@ipcm', 'rss'), memory(largest, 'bare', 'rss'));
    out.push(
      `RATIO ${n} peers, first message to all, @ipcm / bare: ${formatRatio(first)}  target <= ${FIRST_TO_ALL_TARGET}  ${verdict(first <= FIRST_TO_ALL_TARGET)}  (median of ${options.rounds} per-round ratios)`,
    );
    out.push(
      `RATIO ${n} peers, RSS per open connection, @ipcm / bare: ${formatRatio(rss)}  target <= ${RSS_PER_CONNECTION_TARGET}  ${verdict(rss <= RSS_PER_CONNECTION_TARGET)}  (median of ${options.memoryRounds} fresh-process reading(s) each)`,
    );
  }
  // The real client's sweep: time per call and per closed connection.
  const sweeps = result.cases.map((c) => {
    const trials = c.trials['@ipcm'];
    return { peers: c.peers, closed: trials[0]?.sweep?.closed ?? 0, ms: trials.map((t) => t.sweep?.ms ?? NaN) };
  });
  if (sweeps.length > 0) {
    out.push(
      `info: real UnixClient closeIdleConnections (the idle connections untouched for a minute of its clock, the others just used): ${sweeps
        .map((s) => {
          const call = median(s.ms);
          return `${s.peers.toLocaleString('en-US')} peers: ${s.closed} closed, ${(call * 1000).toFixed(0)} us per call, ${((call / s.closed) * 1000).toFixed(0)} us per closed`;
        })
        .join('; ')}`,
    );
    const last = sweeps[sweeps.length - 1];
    const prev = sweeps[sweeps.length - 2];
    if (last !== undefined && prev !== undefined && last.closed === prev.closed) {
      const r = medianOfRatios(last.ms, prev.ms);
      out.push(
        `RATIO real-client sweep of ${last.closed} idle connections, ${last.peers.toLocaleString('en-US')} / ${prev.peers.toLocaleString('en-US')} connections: ${formatRatio(r)}  (~1 if it follows the number closed, ~${formatRatio(last.peers / prev.peers)} if it followed the number of connections)`,
      );
    }
  }
  const connects = result.cases.map((c) => ({ peers: c.peers, connects: c.trials['@ipcm'].map((t) => t.connects ?? NaN) }));
  const oneEach = connects.every((c) => c.connects.every((n) => n === c.peers));
  out.push(
    `info: connections opened by the @ipcm client per trial: ${connects.map((c) => `${c.connects[0] ?? '?'} for ${c.peers}`).join(', ')} (target: one per peer)  ${verdict(oneEach)}`,
  );
  out.push(`info: open-file limit (ulimit -n) ${result.fdLimit}${result.skipped.length > 0 ? `; SKIPPED ${result.skipped.join(', ')} peers (raise ulimit -n)` : ''}`);
  out.push('');
  return out.join('\n');
}
