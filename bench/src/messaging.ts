import { median, medianOfRatios, percentileSorted } from './measure.js';
import { IPCM_SEND_BATCH, MESSAGING_IMPLS, SEND_PATTERNS, type MessagingImpl, type SendPattern } from './messaging-endpoints.js';
import { wireBytes } from './messaging-frames.js';
import { Pair } from './messaging-pair.js';
import { TEXT } from './messaging-wire.js';
import type { Mode } from './mode.js';
import { formatOps, formatRatio, table, verdict } from './report.js';

/** @ipcm throughput / bare throughput must be at least this (DESIGN.md: 80% of the raw framing limit). */
export const THROUGHPUT_TARGET = 0.8;
/** @ipcm p50 round trip / bare p50 round trip must be at most this (issue 12; DESIGN.md said 1.3). */
export const RTT_TARGET = 1.05;
/**
 * The headline targets: @ipcm one-way throughput with each way of sending,
 * over bare+cork's (a bare `net.Socket` that corks per event-loop turn, the
 * fastest simple sender) measured in the same round.
 */
export const PATTERN_TARGETS: Readonly<Record<SendPattern, number>> = { batch: 1.15, 'fire-all': 0.9, 'await-each': 0.8 };
const PATTERN_TITLES: Readonly<Record<SendPattern, string>> = {
  batch: `batches of ${IPCM_SEND_BATCH.toLocaleString('en-US')}, await Promise.all per batch`,
  'fire-all': 'fire all, then await all',
  'await-each': 'for (...) await send() each',
};
/** @ipcm request/response round trips/s over the bare request/response's must be at least this (issue 13). */
export const REQUEST_RATE_TARGET = 0.9;
/** @ipcm request/response p50 over the bare one's must be at most this (issue 13). */
export const REQUEST_P50_TARGET = 1.1;
/** The implementations of the request/response trial: `client.request()`, and a hand-written requester on a bare socket. */
export const REQUEST_IMPLS = ['@ipcm', 'bare'] as const;

/** What the request/response trial measured for one implementation, per timed round. */
export interface RequestResult {
  readonly impl: (typeof REQUEST_IMPLS)[number];
  readonly roundTrips: readonly number[];
  readonly p50: readonly number[];
  readonly p99: readonly number[];
}

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
    messages: 15_000,
    warmupMessages: 2_000,
    roundTrips: 1_000,
    warmupRoundTrips: 200,
    rounds: 5,
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

/**
 * The headline: per round, @ipcm's throughput with each {@link SendPattern}
 * and the bare+cork baseline, the mean of a bare+cork trial before the
 * @ipcm ones (in the round's pass over every implementation) and one right
 * after them. A pattern whose trial failed (a coded send error) has NaN.
 */
export interface Headline {
  readonly patterns: Readonly<Record<SendPattern, readonly number[]>>;
  readonly baseline: readonly number[];
  /** The first error of each pattern that failed, if any. */
  readonly errors: Readonly<Partial<Record<SendPattern, string>>>;
}

export interface MessagingResult {
  readonly transport: string;
  /** `undefined` when @ipcm or bare+cork was left out of the run. */
  readonly headline: Headline | undefined;
  readonly options: MessagingOptions;
  /** Bytes on the wire of one benchmark message per implementation, framing included. */
  readonly frameBytes: Readonly<Partial<Record<MessagingImpl, number>>>;
  readonly impls: readonly ImplResult[];
  /** The request/response trial; empty when @ipcm or bare was left out of the run. */
  readonly requests: readonly RequestResult[];
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
    const ipcm = pairs.find((p) => p.impl === '@ipcm');
    const cork = pairs.find((p) => p.impl === 'bare+cork');
    const extra = SEND_PATTERNS.filter((p) => p !== 'batch');
    const headline = {
      patterns: { batch: [] as number[], 'fire-all': [] as number[], 'await-each': [] as number[] },
      baseline: [] as number[],
      errors: {} as Partial<Record<SendPattern, string>>,
    };
    // A pattern's trial that fails (its sends refused) gives NaN, not a failed suite.
    const patternTrial = async (pattern: SendPattern, pair: Pair): Promise<number> => {
      try {
        return await pair.throughput(options.messages, options.warmupMessages, TEXT, pattern);
      } catch (error) {
        headline.errors[pattern] ??= (error as Error).message;
        return NaN;
      }
    };
    if (options.warmupTrial) {
      for (const pair of pairs) {
        await pair.throughput(Math.ceil(Math.max(options.messages / 4, options.warmupMessages + 1)), options.warmupMessages);
        await pair.pingPong(Math.ceil(options.roundTrips / 4), options.warmupRoundTrips);
      }
      if (ipcm !== undefined) for (const pattern of extra) await patternTrial(pattern, ipcm);
    }
    // Request/response: @ipcm's client.request() against bare, same frames, same rounds.
    const bare = pairs.find((p) => p.impl === 'bare');
    const requestPairs = ipcm !== undefined && bare !== undefined ? [ipcm, bare] : [];
    const requestSamples = requestPairs.map(() => ({ roundTrips: [] as number[], p50: [] as number[], p99: [] as number[] }));
    if (options.warmupTrial) for (const pair of requestPairs) await pair.requests(Math.ceil(options.roundTrips / 4), options.warmupRoundTrips);
    const samples = pairs.map(() => ({ throughput: [] as number[], roundTrips: [] as number[], p50: [] as number[], p99: [] as number[] }));
    for (let round = 0; round < options.rounds; round++) {
      let corkBefore = NaN;
      for (const [i, pair] of pairs.entries()) {
        const perSec = await pair.throughput(options.messages, options.warmupMessages);
        samples[i]?.throughput.push(perSec);
        if (pair === ipcm) headline.patterns.batch.push(perSec);
        if (pair === cork) corkBefore = perSec;
      }
      if (ipcm !== undefined && cork !== undefined) {
        for (const pattern of extra) headline.patterns[pattern].push(await patternTrial(pattern, ipcm));
        const corkAfter = await cork.throughput(options.messages, options.warmupMessages);
        headline.baseline.push((corkBefore + corkAfter) / 2);
      }
      for (const [i, pair] of pairs.entries()) {
        const { rtts, perSec } = await pair.pingPong(options.roundTrips, options.warmupRoundTrips);
        samples[i]?.roundTrips.push(perSec);
        samples[i]?.p50.push(percentileSorted(rtts, 50));
        samples[i]?.p99.push(percentileSorted(rtts, 99));
      }
      for (const [i, pair] of requestPairs.entries()) {
        const { rtts, perSec } = await pair.requests(options.roundTrips, options.warmupRoundTrips);
        requestSamples[i]?.roundTrips.push(perSec);
        requestSamples[i]?.p50.push(percentileSorted(rtts, 50));
        requestSamples[i]?.p99.push(percentileSorted(rtts, 99));
      }
    }
    return {
      transport,
      headline: ipcm !== undefined && cork !== undefined ? headline : undefined,
      options,
      frameBytes: Object.fromEntries(impls.map((impl) => [impl, wireBytes(impl, options.messages, TEXT)])),
      impls: pairs.map((pair, i) => ({
        impl: pair.impl,
        ...(samples[i] as Record<Field, number[]>),
        connects: pair.connects(),
        sent: pair.sent,
      })),
      requests: requestPairs.map((pair, i) => ({
        impl: pair.impl as RequestResult['impl'],
        ...(requestSamples[i] as Omit<RequestResult, 'impl'>),
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
  const rttRatio = ratio('@ipcm', 'bare', 'p50');
  const { headline } = result;
  if (headline !== undefined) {
    out.push(
      `HEADLINE: @ipcm one-way msg/s x bare+cork (a bare net.Socket corking per event-loop turn; per round, the mean of a trial before and one after the @ipcm ones), median of ${rounds} per-round ratios`,
    );
    for (const pattern of SEND_PATTERNS) {
      const perSec = headline.patterns[pattern];
      const r = medianOfRatios(perSec, headline.baseline);
      const target = PATTERN_TARGETS[pattern];
      const error = headline.errors[pattern];
      out.push(
        `  ${PATTERN_TITLES[pattern].padEnd(48)} ${formatOps(median(perSec)).padStart(9)} msg/s  ${formatRatio(r)}x bare+cork  target >= ${target}  ${verdict(r >= target)}${error === undefined ? '' : `  (a trial failed: ${error})`}`,
      );
    }
    out.push(`  ${'p50 round trip, one in flight'.padEnd(48)} ${`${med('@ipcm', 'p50').toFixed(1)} us`.padStart(9)}        ${formatRatio(rttRatio)}x bare       target <= ${RTT_TARGET}  ${verdict(rttRatio <= RTT_TARGET)}`);
    out.push(`  (bare+cork: ${formatOps(median(headline.baseline))} msg/s)`);
  }
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
  const requests = new Map(result.requests.map((r) => [r.impl, r]));
  const ipcmRequests = requests.get('@ipcm');
  const bareRequests = requests.get('bare');
  if (ipcmRequests !== undefined && bareRequests !== undefined) {
    out.push(
      `request/response: client.request() answered by client.handle(), against a bare request/response over net.Socket with the same frames (IPC::Manager request/response content, matched by id); ${result.options.roundTrips.toLocaleString('en-US')} requests per trial, one in flight`,
    );
    out.push(
      table(
        ['impl', 'rt/s', 'p50 us', 'p99 us'],
        [ipcmRequests, bareRequests].map((r) => [
          `${r.impl} request`,
          formatOps(median(r.roundTrips)),
          median(r.p50).toFixed(1),
          median(r.p99).toFixed(1),
        ]),
      ),
    );
    const rate = medianOfRatios(ipcmRequests.roundTrips, bareRequests.roundTrips);
    const p50 = medianOfRatios(ipcmRequests.p50, bareRequests.p50);
    out.push(`RATIO @ipcm / bare request round trips/s: ${formatRatio(rate)}  target >= ${REQUEST_RATE_TARGET}  ${verdict(rate >= REQUEST_RATE_TARGET)}`);
    out.push(`RATIO @ipcm / bare request p50:           ${formatRatio(p50)}  target <= ${REQUEST_P50_TARGET}  ${verdict(p50 <= REQUEST_P50_TARGET)}`);
    out.push(`RATIO @ipcm / bare request p99:           ${formatRatio(medianOfRatios(ipcmRequests.p99, bareRequests.p99))}`);
    if (byImpl.has('zeromq')) {
      const zmq = byImpl.get('zeromq') as ImplResult;
      out.push(
        `info: @ipcm request / zeromq DEALER/ROUTER round trip: round trips/s ${formatRatio(median(ipcmRequests.roundTrips) / median(zmq.roundTrips))}, p50 ${formatRatio(median(ipcmRequests.p50) / median(zmq.p50))} (ratio of the medians)`,
      );
    }
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
