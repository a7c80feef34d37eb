import { fork, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createMessage, encodeValueFrame, removeRoute, spawnRoute } from '@ipcm/client-core';
import { compiledEntry } from './child-entry.js';
import { median, medianOfRatios, percentileSorted } from './measure.js';
import {
  IPCM_SEND_BATCH,
  MESSAGING_IMPLS,
  dialEndpoint,
  type Endpoint,
  type EndpointConfig,
  type MessagingImpl,
} from './messaging-endpoints.js';
import type { ChildCommand, ChildReport } from './messaging-protocol.js';
import { CHILD_ID, PARENT_ID, TEXT, bareMessage, encodeBareFrame } from './messaging-wire.js';
import type { Mode } from './mode.js';
import { formatOps, formatRatio, table, verdict } from './report.js';

/** @ipcm throughput / bare throughput must be at least this (DESIGN.md: 80% of the raw framing limit). */
export const THROUGHPUT_TARGET = 0.8;
/** @ipcm p50 round trip / bare p50 round trip must be at most this. */
export const RTT_TARGET = 1.3;

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
    rounds: 11,
    warmupTrial: true,
    trialTimeoutMs: 60_000,
  },
  quick: {
    messages: 40_000,
    warmupMessages: 5_000,
    roundTrips: 2_000,
    warmupRoundTrips: 300,
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
  /** Bytes on the wire of one benchmark message, header included, for @ipcm and bare. */
  readonly frameBytes: { readonly ipcm: number; readonly bare: number };
  readonly impls: readonly ImplResult[];
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** One implementation's pair of ends: the parent's endpoint and the forked child holding the other. */
class Pair {
  readonly impl: MessagingImpl;
  readonly #child: ChildProcess;
  readonly #config: EndpointConfig;
  readonly #timeoutMs: number;
  #endpoint: Endpoint | undefined;
  #waiter: { resolve: (report: ChildReport) => void; reject: (error: Error) => void } | undefined;
  #exited = false;
  sent = 0;

  private constructor(impl: MessagingImpl, config: EndpointConfig, timeoutMs: number) {
    this.impl = impl;
    this.#config = config;
    this.#timeoutMs = timeoutMs;
    this.#child = fork(compiledEntry('messaging-child'), [JSON.stringify(config)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.#child.on('message', (report: ChildReport) => {
      const waiter = this.#waiter;
      this.#waiter = undefined;
      if (report.type === 'failed') waiter?.reject(new Error(`${impl} child failed: ${report.error}`));
      else waiter?.resolve(report);
    });
    this.#child.on('exit', (code, signal) => {
      this.#exited = true;
      this.#waiter?.reject(new Error(`${impl} child exited (${signal ?? code})`));
      this.#waiter = undefined;
    });
  }

  static async start(impl: MessagingImpl, transport: string, timeoutMs: number): Promise<Pair> {
    const dir = impl === '@ipcm' ? await spawnRoute({ prefix: 'ipcm-bench-' }) : await mkdtemp(join(tmpdir(), 'ipcm-bench-'));
    const pair = new Pair(impl, { impl, transport, dir }, timeoutMs);
    try {
      const ready = await pair.#expect('ready', 'child start-up');
      if (ready.type !== 'ready') throw new Error(`unexpected ${ready.type}`);
      pair.#endpoint = await dialEndpoint(pair.#config, ready.address);
    } catch (error) {
      await pair.close();
      throw error;
    }
    return pair;
  }

  get #ends(): Endpoint {
    if (this.#endpoint === undefined) throw new Error(`${this.impl}: not connected`);
    return this.#endpoint;
  }

  #expect(type: ChildReport['type'], what: string): Promise<ChildReport> {
    const report = new Promise<ChildReport>((resolve, reject) => {
      if (this.#exited) throw new Error(`${this.impl} child has exited`);
      this.#waiter = { resolve, reject };
    }).then((r) => {
      if (r.type !== type) throw new Error(`${this.impl}: expected ${type} from the child, got ${r.type}`);
      return r;
    });
    return withTimeout(report, this.#timeoutMs, `${this.impl} ${what}`).catch((error: unknown) => {
      const sendError = this.#endpoint?.error;
      throw sendError === undefined ? error : new Error(`${(error as Error).message}; send failed: ${sendError.message}`);
    });
  }

  async #command(command: ChildCommand): Promise<void> {
    const armed = this.#expect('armed', command.cmd);
    this.#child.send(command);
    await armed;
  }

  /** One-way: the parent sends `messages`; returns the child's messages/s after the warm-up ones. */
  async throughput(messages: number, warmup: number): Promise<number> {
    const ends = this.#ends;
    ends.onMessage = () => {};
    await this.#command({ cmd: 'count', total: messages, warmup });
    const counted = this.#expect('counted', 'throughput trial');
    try {
      await ends.blast(messages);
    } catch (error) {
      counted.catch(() => {}); // the blast's error is the one to report
      throw error;
    }
    this.sent += messages;
    const report = await counted;
    if (report.type !== 'counted') throw new Error('unreachable');
    return (report.messages / report.ms) * 1000;
  }

  /** Ping-pong with one message in flight; returns the round trips in microseconds, sorted. */
  async pingPong(roundTrips: number, warmup: number): Promise<Float64Array> {
    const ends = this.#ends;
    await this.#command({ cmd: 'echo' });
    const rtts = new Float64Array(roundTrips);
    const done = new Promise<void>((resolve) => {
      let i = -warmup;
      let start = 0;
      ends.onMessage = () => {
        const now = performance.now();
        if (i >= 0) rtts[i] = (now - start) * 1000;
        i++;
        if (i === roundTrips) {
          ends.onMessage = () => {};
          resolve();
          return;
        }
        start = performance.now();
        ends.send({ seq: i, text: TEXT });
      };
      start = performance.now();
      ends.send({ seq: i, text: TEXT });
    });
    await withTimeout(done, this.#timeoutMs, `${this.impl} ping-pong trial`);
    this.sent += roundTrips + warmup;
    return rtts.sort();
  }

  connects(): number | undefined {
    return this.#endpoint?.connects();
  }

  async close(): Promise<void> {
    try {
      await this.#endpoint?.close();
    } finally {
      if (!this.#exited) {
        const exited = new Promise<void>((resolve) => this.#child.once('exit', () => resolve()));
        if (this.#child.connected) this.#child.send({ cmd: 'close' } satisfies ChildCommand);
        else this.#child.kill();
        await withTimeout(exited, 10_000, `${this.impl} child exit`).catch(() => this.#child.kill());
      }
      if (this.impl === '@ipcm') await removeRoute(this.#config.dir);
      else await rm(this.#config.dir, { recursive: true, force: true });
    }
  }
}

/** Mean frame size over sequence numbers like a trial's (the stamp's digits vary too). */
function frameBytes(messages: number): { ipcm: number; bare: number } {
  let ipcm = 0;
  let bare = 0;
  const n = 100;
  for (let i = 0; i < n; i++) {
    const content = { seq: Math.floor((i / n) * messages), text: TEXT };
    ipcm += encodeValueFrame(createMessage({ from: PARENT_ID, to: CHILD_ID, content })).length;
    bare += encodeBareFrame(bareMessage(PARENT_ID, CHILD_ID, content)).length;
  }
  return { ipcm: Math.round(ipcm / n), bare: Math.round(bare / n) };
}

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
    const samples = pairs.map(() => ({ throughput: [] as number[], p50: [] as number[], p99: [] as number[] }));
    for (let round = 0; round < options.rounds; round++) {
      for (const [i, pair] of pairs.entries()) {
        samples[i]?.throughput.push(await pair.throughput(options.messages, options.warmupMessages));
      }
      for (const [i, pair] of pairs.entries()) {
        const rtts = await pair.pingPong(options.roundTrips, options.warmupRoundTrips);
        samples[i]?.p50.push(percentileSorted(rtts, 50));
        samples[i]?.p99.push(percentileSorted(rtts, 99));
      }
    }
    return {
      transport,
      options,
      frameBytes: frameBytes(options.messages),
      impls: pairs.map((pair, i) => ({
        impl: pair.impl,
        ...(samples[i] as { throughput: number[]; p50: number[]; p99: number[] }),
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
  const med = (impl: MessagingImpl, field: 'throughput' | 'p50' | 'p99'): number => median(byImpl.get(impl)?.[field] ?? []);
  const out: string[] = [];
  out.push(
    `messaging over ${result.transport}: two processes, frames of ~${result.frameBytes.ipcm} bytes (bare: ~${result.frameBytes.bare}); medians of ${rounds} alternating rounds, ratios: median of per-round ratios`,
  );
  out.push(
    `one-way: ${result.options.messages.toLocaleString('en-US')} messages per trial, msg/s on the receiver after the first ${result.options.warmupMessages.toLocaleString('en-US')}; @ipcm awaits its sends in batches of ${IPCM_SEND_BATCH}`,
  );
  out.push(`ping-pong: ${result.options.roundTrips.toLocaleString('en-US')} round trips per trial, one message in flight, the other end echoes`);
  out.push(
    table(
      ['impl', 'msg/s', 'p50 RTT us', 'p99 RTT us'],
      result.impls.map((r) => [
        r.impl,
        formatOps(med(r.impl, 'throughput')),
        med(r.impl, 'p50').toFixed(1),
        med(r.impl, 'p99').toFixed(1),
      ]),
    ),
  );
  if (verbose) {
    for (const r of result.impls) {
      out.push(`  ${r.impl} msg/s per round: ${r.throughput.map(formatOps).join(' ')}`);
      out.push(`  ${r.impl} p50/p99 us per round: ${r.p50.map((p, i) => `${p.toFixed(1)}/${(r.p99[i] as number).toFixed(1)}`).join(' ')}`);
    }
  }
  // Ratios per round (the trials compared ran back to back), then their median.
  const ratio = (a: MessagingImpl, b: MessagingImpl, field: 'throughput' | 'p50' | 'p99'): number =>
    medianOfRatios(byImpl.get(a)?.[field] ?? [], byImpl.get(b)?.[field] ?? []);
  const throughputRatio = ratio('@ipcm', 'bare', 'throughput');
  const rttRatio = ratio('@ipcm', 'bare', 'p50');
  const ofMedians = (field: 'throughput' | 'p50'): string => formatRatio(med('@ipcm', field) / med('bare', field));
  out.push(
    `RATIO @ipcm / bare throughput: ${formatRatio(throughputRatio)}  target >= ${THROUGHPUT_TARGET}  ${verdict(throughputRatio >= THROUGHPUT_TARGET)}  (ratio of the medians: ${ofMedians('throughput')})`,
  );
  out.push(
    `RATIO @ipcm / bare p50 RTT:    ${formatRatio(rttRatio)}  target <= ${RTT_TARGET}  ${verdict(rttRatio <= RTT_TARGET)}  (ratio of the medians: ${ofMedians('p50')})`,
  );
  out.push(
    `info: @ipcm / bare+cork: throughput ${formatRatio(ratio('@ipcm', 'bare+cork', 'throughput'))}, p50 RTT ${formatRatio(ratio('@ipcm', 'bare+cork', 'p50'))}; @ipcm / bare p99 RTT ${formatRatio(ratio('@ipcm', 'bare', 'p99'))}`,
  );
  const ipcm = byImpl.get('@ipcm');
  if (ipcm?.connects !== undefined) {
    out.push(
      `info: the @ipcm parent sent ${ipcm.sent.toLocaleString('en-US')} messages to one peer over ${ipcm.connects} connection(s) (target: exactly 1)  ${verdict(ipcm.connects === 1)}`,
    );
  }
  out.push('');
  return out.join('\n');
}
