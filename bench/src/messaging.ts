import { median, medianOfRatios, percentileSorted } from './measure.js';
import { IPCM_SEND_BATCH, MESSAGING_IMPLS, type MessagingImpl } from './messaging-endpoints.js';
import { wireBytes } from './messaging-frames.js';
import { Pair } from './messaging-pair.js';
import { TEXT } from './messaging-wire.js';
import type { Mode } from './mode.js';
import { formatOps, formatRatio, table, verdict } from './report.js';

/** @ipcm throughput / bare throughput must be at least this (DESIGN.md: 80% of the raw framing limit). */
export const THROUGHPUT_TARGET = 0.8;
/** @ipcm p50 round trip / bare p50 round trip must be at most this. */
export const RTT_TARGET = 1.3;
/** The alternatives @ipcm must be ahead of (throughput ratio > 1). */
export const ALTERNATIVES: readonly MessagingImpl[] = ['node-ipc', 'zeromq'];

export interface MessagingOptions {
  /** Messages per one-way throughput trial, the first `warmupMessages` of them untimed. */
  readonly messages: number;
  readonly warmupMessages: number;
  /** Round trips per ping-pong trial, after `warmupRoundTrips` untimed ones. */
  readonly roundTrips: number;
  readonly warmupRoundTrips: number;
  /** Timed rounds; each runs every implementation in turn. Results are medians over rounds. */
  readonly rounds: number;
  /** Whether each implementation runs one untimed trial of each kind first (JIT, connection set-up). */
  readonly warmupTrial: boolean;
  /** A trial taking longer than this fails (a lost message, a dead child). */
  readonly trialTimeoutMs: number;
}

export const MESSAGING_OPTIONS: Readonly<Record<Mode, MessagingOptions>> = {
  full: {
    messages: 100_000,
    warmupMessages: 10_000,
    roundTrips: 5_000,
    warmupRoundTrips: 500,
    rounds: 7,
    warmupTrial: true,
    trialTimeoutMs: 60_000,
  },
  quick: {
    messages: 25_000,
    warmupMessages: 3_000,
    roundTrips: 1_500,
    warmupRoundTrips: 200,
    rounds: 3,
    warmupTrial: true,
    trialTimeoutMs: 30_000,
  },
  tiny: {
    messages: 300,
    warmupMessages: 50,
    roundTrips: 30,
    warmupRoundTrips: 5,
    rounds: 1,
    warmupTrial: false,
    trialTimeoutMs: 20_000,
  },
};

/** What one implementation measured, per timed round. */
export interface ImplResult {
  readonly impl: MessagingImpl;
  /** Messages per second seen by the receiver, one per round. */
  readonly throughput: readonly number[];
  /** Request/response round trips per second (one in flight), one per round. */
  readonly roundTrips: readonly number[];
  /** Round-trip percentiles in microseconds, one per round. */
  readonly p50: readonly number[];
  readonly p99: readonly number[];
  /** Connections the parent's end opened over the whole run, when it counts them. */
  readonly connects: number | undefined;
  /** Messages the parent's end sent over the whole run. */
  readonly sent: number;
}

export interface MessagingResult {
  readonly transport: string;
  readonly options: MessagingOptions;
  /** Bytes on the wire of one benchmark message per implementation, framing included. */
  readonly frameBytes: Readonly<Partial<Record<MessagingImpl, number>>>;
  readonly impls: readonly ImplResult[];
}

type Field = 'throughput' | 'roundTrips' | 'p50' | 'p99';

/**
 * Runs the messaging suite over one transport: for each round, a one-way
 * throughput trial of every implementation in turn, then a ping-pong trial of
 * every implementation in turn. `impls` narrows the run (for profiling one
 * implementation with `node --cpu-prof`; the ratios then read NaN).
 */
export async function runMessaging(
  transport: string,
  options: MessagingOptions,
  impls: readonly MessagingImpl[] = MESSAGING_IMPLS,
): Promise<MessagingResult> {
  const pairs: Pair[] = [];
  try {
    for (const impl of impls) pairs.push(await Pair.start(impl, transport, options.trialTimeoutMs));
    if (options.warmupTrial) {
      for (const pair of pairs) {
        await pair.throughput(Math.ceil(Math.max(options.messages / 4, options.warmupMessages + 1)), options.warmupMessages);
        await pair.pingPong(Math.ceil(options.roundTrips / 4), options.warmupRoundTrips);
      }
    }
    const samples = pairs.map(() => ({ throughput: [] as number[], roundTrips: [] as number[], p50: [] as number[], p99: [] as number[] }));
    for (let round = 0; round < options.rounds; round++) {
      for (const [i, pair] of pairs.entries()) {
        samples[i]?.throughput.push(await pair.throughput(options.messages, options.warmupMessages));
      }
      for (const [i, pair] of pairs.entries()) {
        const { rtts, perSec } = await pair.pingPong(options.roundTrips, options.warmupRoundTrips);
        samples[i]?.roundTrips.push(perSec);
        samples[i]?.p50.push(percentileSorted(rtts, 50));
        samples[i]?.p99.push(percentileSorted(rtts, 99));
      }
    }
    return {
      transport,
      options,
      frameBytes: Object.fromEntries(impls.map((impl) => [impl, wireBytes(impl, options.messages, TEXT)])),
      impls: pairs.map((pair, i) => ({
        impl: pair.impl,
        ...(samples[i] as Record<Field, number[]>),
        connects: pair.connects(),
        sent: pair.sent,
      })),
    };
  } finally {
    for (const pair of pairs) await pair.close();
  }
}

export function formatMessaging(result: MessagingResult, verbose = false): string {
  const { rounds } = result.options;
  const byImpl = new Map(result.impls.map((r) => [r.impl, r]));
  const med = (impl: MessagingImpl, field: Field): number => median(byImpl.get(impl)?.[field] ?? []);
  // Ratios per round (the trials compared ran back to back), then their median.
  const ratio = (a: MessagingImpl, b: MessagingImpl, field: Field): number =>
    medianOfRatios(byImpl.get(a)?.[field] ?? [], byImpl.get(b)?.[field] ?? []);
  const x = (r: number): string => `${formatRatio(r)}x`;
  const out: string[] = [];
  const wire = result.impls.map((r) => `${r.impl} ${result.frameBytes[r.impl] ?? '?'}`).join(', ');
  out.push(
    `messaging over ${result.transport}: two processes, the same IPC::Manager-shaped message (content { seq, text: "${TEXT}" }) built fresh for every send; bytes on the wire: ${wire}`,
  );
  out.push(`medians of ${rounds} alternating rounds; "x bare": median of the per-round ratios to bare measured in the same round`);
  out.push(
    `one-way: ${result.options.messages.toLocaleString('en-US')} messages per trial; msg/s from the sender starting on message ${(result.options.warmupMessages + 1).toLocaleString('en-US')} to the receiver having the last; @ipcm awaits its sends in batches of ${IPCM_SEND_BATCH}, zeromq awaits each send (PUSH/PULL), bare and node-ipc wait for 'drain'`,
  );
  out.push(
    `request/response: ${result.options.roundTrips.toLocaleString('en-US')} round trips per trial, one in flight, the other end echoes (zeromq: DEALER/ROUTER); rt/s = round trips / trial time`,
  );
  out.push(
    table(
      ['impl', 'msg/s', 'x bare', 'rt/s', 'x bare', 'p50 us', 'x bare', 'p99 us', 'x bare'],
      result.impls.map((r) => [
        r.impl,
        formatOps(med(r.impl, 'throughput')),
        x(ratio(r.impl, 'bare', 'throughput')),
        formatOps(med(r.impl, 'roundTrips')),
        x(ratio(r.impl, 'bare', 'roundTrips')),
        med(r.impl, 'p50').toFixed(1),
        x(ratio(r.impl, 'bare', 'p50')),
        med(r.impl, 'p99').toFixed(1),
        x(ratio(r.impl, 'bare', 'p99')),
      ]),
    ),
  );
  if (verbose) {
    for (const r of result.impls) {
      out.push(`  ${r.impl} msg/s per round: ${r.throughput.map(formatOps).join(' ')}`);
      out.push(`  ${r.impl} p50/p99 us per round: ${r.p50.map((p, i) => `${p.toFixed(1)}/${(r.p99[i] as number).toFixed(1)}`).join(' ')}`);
    }
  }
  const throughputRatio = ratio('@ipcm', 'bare', 'throughput');
  const rttRatio = ratio('@ipcm', 'bare', 'p50');
  const ofMedians = (field: 'throughput' | 'p50'): string => formatRatio(med('@ipcm', field) / med('bare', field));
  out.push(
    `RATIO @ipcm / bare throughput: ${formatRatio(throughputRatio)}  target >= ${THROUGHPUT_TARGET}  ${verdict(throughputRatio >= THROUGHPUT_TARGET)}  (ratio of the medians: ${ofMedians('throughput')})`,
  );
  out.push(
    `RATIO @ipcm / bare p50 RTT:    ${formatRatio(rttRatio)}  target <= ${RTT_TARGET}  ${verdict(rttRatio <= RTT_TARGET)}  (ratio of the medians: ${ofMedians('p50')})`,
  );
  for (const other of ALTERNATIVES) {
    if (!byImpl.has(other)) continue;
    const ahead = ratio('@ipcm', other, 'throughput');
    const rt = ratio('@ipcm', other, 'roundTrips');
    out.push(
      `RATIO @ipcm / ${other} throughput: ${formatRatio(ahead)}  target > 1  ${verdict(ahead > 1)}  (round trips/s: ${formatRatio(rt)}, p50 RTT: ${formatRatio(ratio('@ipcm', other, 'p50'))})`,
    );
  }
  if (byImpl.has('bare+cork')) {
    out.push(
      `info: @ipcm / bare+cork: throughput ${formatRatio(ratio('@ipcm', 'bare+cork', 'throughput'))}, p50 RTT ${formatRatio(ratio('@ipcm', 'bare+cork', 'p50'))}; @ipcm / bare p99 RTT ${formatRatio(ratio('@ipcm', 'bare', 'p99'))}`,
    );
  }
  const ipcm = byImpl.get('@ipcm');
  if (ipcm?.connects !== undefined) {
    out.push(
      `info: the @ipcm parent sent ${ipcm.sent.toLocaleString('en-US')} messages to one peer over ${ipcm.connects} connection(s) (target: exactly 1)  ${verdict(ipcm.connects === 1)}`,
    );
  }
  out.push('');
  return out.join('\n');
}
