import { performance } from 'node:perf_hooks';
import { renderLogLogChart } from './chart.js';
import { median, medianOfRatios } from './measure.js';
import { ipcmSendBatch, type MessagingImpl } from './messaging-endpoints.js';
import { wireBytes } from './messaging-frames.js';
import { Pair } from './messaging-pair.js';
import { textOfSize } from './messaging-wire.js';
import type { Mode } from './mode.js';
import { formatBytes, formatOps, formatRate, formatRatio, table, verdict } from './report.js';
import { THROUGHPUT_TARGET } from './messaging.js';

/** The implementations of the message-size sweep (bare+cork would add a line that matches bare past a few KiB). */
export const SIZES_IMPLS: readonly MessagingImpl[] = ['@ipcm', 'bare', 'node-ipc', 'zeromq'];

export interface SizesOptions {
  /** Transports swept, one after the other. */
  readonly transports: readonly string[];
  /** Message sizes: bytes of the content's `text` (the envelope adds ~145 bytes to every message). */
  readonly sizes: readonly number[];
  /** Content bytes a trial aims to send; the message count follows, within the two bounds below. */
  readonly bytesPerTrial: number;
  readonly minMessages: number;
  readonly maxMessages: number;
  /** Timed rounds; each runs every size and implementation in turn. */
  readonly rounds: number;
  /** Whether each implementation runs one untimed trial of each size first. */
  readonly warmupTrial: boolean;
  /**
   * A case (implementation and size) whose last trial took longer than
   * this is not run again in later rounds: node-ipc over TCP slows down
   * with the square of its backlog (it re-reads its whole receive buffer on
   * every read that does not end on a delimiter) and would take minutes.
   * Its figure then comes from fewer rounds, which the output says.
   */
  readonly slowTrialMs: number;
  readonly trialTimeoutMs: number;
}

const KIB = 1024;

export const SIZES_OPTIONS: Readonly<Record<Mode, SizesOptions>> = {
  full: {
    transports: ['unix', 'tcp'],
    sizes: [64, 256, KIB, 4 * KIB, 16 * KIB, 64 * KIB],
    bytesPerTrial: 16 * KIB * KIB,
    minMessages: 250,
    maxMessages: 20_000,
    rounds: 5,
    warmupTrial: true,
    slowTrialMs: 1500,
    trialTimeoutMs: 60_000,
  },
  quick: {
    transports: ['unix', 'tcp'],
    sizes: [64, 256, KIB, 4 * KIB, 16 * KIB, 64 * KIB],
    bytesPerTrial: 4 * KIB * KIB,
    minMessages: 100,
    maxMessages: 3_000,
    rounds: 2,
    warmupTrial: false,
    slowTrialMs: 1000,
    trialTimeoutMs: 30_000,
  },
  tiny: {
    transports: ['unix'],
    sizes: [64, 64 * KIB],
    bytesPerTrial: 256 * KIB,
    minMessages: 20,
    maxMessages: 100,
    rounds: 1,
    warmupTrial: false,
    slowTrialMs: 1000,
    trialTimeoutMs: 20_000,
  },
};

/** Messages in one trial of `size`-byte texts, and how many of them are the untimed start. */
export function trialMessages(options: SizesOptions, size: number): { messages: number; warmup: number } {
  const messages = Math.max(options.minMessages, Math.min(options.maxMessages, Math.round(options.bytesPerTrial / (size + 150))));
  return { messages, warmup: Math.max(1, Math.floor(messages / 10)) };
}

export interface SizesImplResult {
  readonly impl: MessagingImpl;
  /** msg/s per size (index as in `sizes`), one per round. */
  readonly throughput: readonly (readonly number[])[];
  /** Bytes on the wire per message, per size. */
  readonly wireBytes: readonly number[];
}

export interface SizesTransportResult {
  readonly transport: string;
  readonly impls: readonly SizesImplResult[];
}

export interface SizesResult {
  readonly options: SizesOptions;
  readonly transports: readonly SizesTransportResult[];
}

async function sweepTransport(transport: string, options: SizesOptions, impls: readonly MessagingImpl[]): Promise<SizesTransportResult> {
  const texts = options.sizes.map(textOfSize);
  const pairs: Pair[] = [];
  try {
    for (const impl of impls) pairs.push(await Pair.start(impl, transport, options.trialTimeoutMs));
    if (options.warmupTrial) {
      for (const pair of pairs) {
        for (const [s, size] of options.sizes.entries()) {
          const { messages, warmup } = trialMessages(options, size);
          await pair.throughput(Math.ceil(messages / 4) + warmup, warmup, texts[s]);
        }
      }
    }
    const samples = pairs.map(() => options.sizes.map((): number[] => []));
    const slow = pairs.map(() => options.sizes.map(() => false));
    for (let round = 0; round < options.rounds; round++) {
      for (const [s, size] of options.sizes.entries()) {
        const { messages, warmup } = trialMessages(options, size);
        for (const [i, pair] of pairs.entries()) {
          const perSize = samples[i]?.[s] as number[];
          if (perSize.length > 0 && slow[i]?.[s] === true) continue;
          const start = performance.now();
          perSize.push(await pair.throughput(messages, warmup, texts[s]));
          (slow[i] as boolean[])[s] = performance.now() - start > options.slowTrialMs;
        }
      }
    }
    return {
      transport,
      impls: pairs.map((pair, i) => ({
        impl: pair.impl,
        throughput: samples[i] as number[][],
        wireBytes: options.sizes.map((size, s) => wireBytes(pair.impl, trialMessages(options, size).messages, texts[s] as string)),
      })),
    };
  } finally {
    for (const pair of pairs) await pair.close();
  }
}

/**
 * One-way throughput against message size: for each transport (one after
 * the other), one child per implementation; every round runs every size of
 * every implementation in turn (64 B: @ipcm, bare, node-ipc, zeromq; 256 B:
 * ...). A trial sends about `bytesPerTrial` of content.
 */
export async function runSizes(options: SizesOptions, impls: readonly MessagingImpl[] = SIZES_IMPLS): Promise<SizesResult> {
  const transports: SizesTransportResult[] = [];
  for (const transport of options.transports) transports.push(await sweepTransport(transport, options, impls));
  return { options, transports };
}

/** Content bytes per second: msg/s times the text size (what the application moves). */
export function bytesPerSec(result: SizesResult, transport: string, impl: MessagingImpl): number[] {
  const t = result.transports.find((r) => r.transport === transport);
  const r = t?.impls.find((i) => i.impl === impl);
  return result.options.sizes.map((size, s) => median(r?.throughput[s] ?? []) * size);
}

/** Per round, `impl`'s msg/s over bare's at size index `s`; the median. */
export function sizeRatio(t: SizesTransportResult, impl: MessagingImpl, s: number, versus: MessagingImpl = 'bare'): number {
  const a = t.impls.find((i) => i.impl === impl)?.throughput[s] ?? [];
  const b = t.impls.find((i) => i.impl === versus)?.throughput[s] ?? [];
  return medianOfRatios(a, b);
}

export function formatSizes(result: SizesResult, verbose = false): string {
  const { options } = result;
  const out: string[] = [];
  const label = (size: number): string => formatBytes(size);
  out.push(
    `one-way throughput against message size (the content's text; every message also carries the ~145-byte envelope); content bytes/s = msg/s x size; medians of ${options.rounds} alternating rounds; "x bare": median of per-round ratios`,
  );
  out.push(
    `per trial: ~${formatBytes(options.bytesPerTrial)} of content, ${options.minMessages.toLocaleString('en-US')}-${options.maxMessages.toLocaleString('en-US')} messages, the first tenth untimed; @ipcm awaits its sends in batches of ${options.sizes.map((s) => ipcmSendBatch(s)).join('/')} (by size)`,
  );
  for (const t of result.transports) {
    out.push('');
    out.push(`${t.transport}: content MB/s (x bare)`);
    out.push(
      table(
        ['impl', ...options.sizes.map(label)],
        t.impls.map((r) => [
          r.impl,
          ...options.sizes.map((size, s) => {
            const mbs = (median(r.throughput[s] ?? []) * size) / 1e6;
            return `${mbs.toFixed(mbs >= 100 ? 0 : 1)} (${formatRatio(sizeRatio(t, r.impl, s))}x)`;
          }),
        ]),
      ),
    );
    const short = t.impls.flatMap((r) =>
      options.sizes.flatMap((size, s) => {
        const n = r.throughput[s]?.length ?? 0;
        return n < options.rounds ? [`${r.impl} ${label(size)}: ${n}`] : [];
      }),
    );
    if (short.length > 0) {
      out.push(`info: trials over ${options.slowTrialMs} ms are not repeated; rounds measured: ${short.join(', ')}`);
    }
    if (verbose) {
      for (const r of t.impls) {
        out.push(`  ${r.impl} msg/s per size: ${options.sizes.map((size, s) => `${label(size)} ${formatOps(median(r.throughput[s] ?? []))}`).join(', ')}`);
        out.push(`  ${r.impl} bytes on the wire per message: ${r.wireBytes.join(', ')}`);
      }
    }
    const last = options.sizes.length - 1;
    const big = label(options.sizes[last] as number);
    const ours = sizeRatio(t, '@ipcm', last);
    const ipcmBytes = bytesPerSec(result, t.transport, '@ipcm')[last] as number;
    const bareBytes = bytesPerSec(result, t.transport, 'bare')[last] as number;
    out.push(
      `RATIO @ipcm / bare bytes/s with ${big} messages over ${t.transport}: ${formatRatio(ours)}  target >= ${THROUGHPUT_TARGET}  ${verdict(ours >= THROUGHPUT_TARGET)}  (@ipcm ${formatRate(ipcmBytes)}, bare ${formatRate(bareBytes)})`,
    );
    const lows = options.sizes.filter((_, s) => sizeRatio(t, '@ipcm', s) < THROUGHPUT_TARGET).map(label);
    out.push(`info: sizes where @ipcm is under ${THROUGHPUT_TARGET}x bare over ${t.transport}: ${lows.length === 0 ? 'none' : lows.join(', ')}`);
  }
  out.push('');
  return out.join('\n');
}

const PANEL_TITLES: Readonly<Record<string, string>> = {
  unix: 'Unix-domain socket (zeromq: ipc://)',
  tcp: 'TCP over 127.0.0.1 (zeromq: tcp://)',
};

/** The SVG chart of content bytes/s against message size, one panel per transport. */
export function sizesChart(result: SizesResult, subtitle: string): string {
  const { sizes } = result.options;
  return renderLogLogChart({
    title: 'One-way throughput against message size: two processes, same machine, same run',
    subtitle,
    xLabel: 'message size (content text; every message adds a ~145-byte envelope)',
    yLabel: 'content MB/s (log scale; higher is better)',
    formatX: formatBytes,
    formatY: (y) => String(Number((y / 1e6).toPrecision(2))),
    panels: result.transports.map((t) => ({
      title: PANEL_TITLES[t.transport] ?? t.transport,
      series: t.impls.map((r) => ({
        name: r.impl,
        points: sizes.map((size, s) => ({ x: size, y: median(r.throughput[s] ?? []) * size })),
      })),
    })),
  });
}
