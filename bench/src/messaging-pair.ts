import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { removeRoute, spawnRoute } from '@ipcm/client-core';
import { PeerProcess, compiledEntry } from '@ipcm/peer-process';
import { dialEndpoint, type Endpoint, type EndpointConfig, type MessagingImpl, type SendPattern } from './messaging-endpoints.js';
import type { MessagingPeer } from './messaging-protocol.js';
import { TEXT } from './messaging-wire.js';

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** What one ping-pong trial measured. */
export interface PingPongResult {
  /** Every timed round trip in microseconds, sorted. */
  readonly rtts: Float64Array;
  /** Timed round trips per second, one after the other (one message in flight). */
  readonly perSec: number;
}

/** Removes a pair's directory (an @ipcm route directory, or a plain temporary one). */
async function removeDir(config: EndpointConfig): Promise<void> {
  if (config.impl === '@ipcm') await removeRoute(config.dir);
  else await rm(config.dir, { recursive: true, force: true });
}

/**
 * One implementation's pair of ends: the parent's endpoint and the forked
 * child (`messaging-child.ts`, through the shared peer-process harness)
 * holding the other, for one transport. The child and the connection live
 * until {@link close}; trials run one at a time.
 */
export class Pair {
  readonly impl: MessagingImpl;
  readonly #child: PeerProcess<MessagingPeer>;
  readonly #config: EndpointConfig;
  readonly #timeoutMs: number;
  #endpoint: Endpoint | undefined;
  sent = 0;

  private constructor(impl: MessagingImpl, config: EndpointConfig, child: PeerProcess<MessagingPeer>, timeoutMs: number) {
    this.impl = impl;
    this.#config = config;
    this.#child = child;
    this.#timeoutMs = timeoutMs;
  }

  static async start(impl: MessagingImpl, transport: string, timeoutMs: number): Promise<Pair> {
    const dir = impl === '@ipcm' ? await spawnRoute({ prefix: 'ipcm-bench-' }) : await mkdtemp(join(tmpdir(), 'ipcm-bench-'));
    const config: EndpointConfig = { impl, transport, dir };
    let child: PeerProcess<MessagingPeer>;
    try {
      child = await PeerProcess.start<MessagingPeer>({
        entry: compiledEntry(__filename, 'messaging-child'),
        settings: config,
        name: `${impl} child`,
        startTimeoutMs: timeoutMs,
        timeoutMs,
      });
    } catch (error) {
      await removeDir(config);
      throw error;
    }
    const pair = new Pair(impl, config, child, timeoutMs);
    try {
      pair.#endpoint = await dialEndpoint(config, (await child.ready).address);
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

  /** A wait on the child; if it fails while our end has a send error, that error is named too. */
  async #expect<T>(wait: Promise<T>): Promise<T> {
    try {
      return await wait;
    } catch (error) {
      const sendError = this.#endpoint?.error;
      throw sendError === undefined ? error : new Error(`${(error as Error).message}; send failed: ${sendError.message}`);
    }
  }

  /**
   * One-way: the parent sends `messages` with content `{ seq, text }`;
   * returns messages/s from the moment the sender started on message
   * `warmup` to the moment the receiver had the last one (both on the
   * machine's monotonic clock). Timing the receiver alone would flatter an
   * implementation that delivers a backlog in one burst (node-ipc parses
   * only reads that end on its delimiter). `pattern`: how @ipcm sends.
   */
  async throughput(messages: number, warmup: number, text: string = TEXT, pattern: SendPattern = 'batch'): Promise<number> {
    const ends = this.#ends;
    ends.onMessage = () => {};
    await this.#expect(this.#child.request('count', { total: messages }));
    const counted = this.#expect(this.#child.next('counted'));
    let markAt: number;
    try {
      markAt = await ends.blast(messages, text, warmup, pattern);
    } catch (error) {
      counted.catch(() => {}); // the blast's error is the one to report
      throw error;
    }
    this.sent += messages;
    const report = await counted;
    return ((messages - warmup) / (report.lastAt - markAt)) * 1000;
  }

  /** Ping-pong with one message in flight, after `warmup` untimed round trips. */
  async pingPong(roundTrips: number, warmup: number): Promise<PingPongResult> {
    const ends = this.#ends;
    await this.#expect(this.#child.request('echo', null));
    const rtts = new Float64Array(roundTrips);
    let first = 0;
    let last = 0;
    const done = new Promise<void>((resolve) => {
      let i = -warmup;
      let start = 0;
      ends.onMessage = () => {
        const now = performance.now();
        if (i >= 0) rtts[i] = (now - start) * 1000;
        i++;
        if (i === roundTrips) {
          last = now;
          ends.onMessage = () => {};
          resolve();
          return;
        }
        start = performance.now();
        if (i === 0) first = start;
        ends.send({ seq: i, text: TEXT });
      };
      start = performance.now();
      if (i === 0) first = start;
      ends.send({ seq: i, text: TEXT });
    });
    await withTimeout(done, this.#timeoutMs, `${this.impl} ping-pong trial`);
    this.sent += roundTrips + warmup;
    return { rtts: rtts.sort(), perSec: (roundTrips / (last - first)) * 1000 };
  }

  /**
   * Request/response with one request in flight, after `warmup` untimed
   * ones: the child answers every request with its value (@ipcm: its
   * `handle()`; bare: by hand, over the same frames).
   */
  async requests(roundTrips: number, warmup: number): Promise<PingPongResult> {
    const ends = this.#ends;
    const request = ends.request?.bind(ends);
    if (request === undefined) throw new Error(`${this.impl} has no request/response`);
    await this.#expect(this.#child.request('respond', null));
    const rtts = new Float64Array(roundTrips);
    const run = async (): Promise<{ first: number; last: number }> => {
      for (let i = -warmup; i < 0; i++) await request({ seq: i, text: TEXT });
      const first = performance.now();
      let start = first;
      for (let i = 0; i < roundTrips; i++) {
        await request({ seq: i, text: TEXT });
        const now = performance.now();
        rtts[i] = (now - start) * 1000;
        start = now;
      }
      return { first, last: start };
    };
    const { first, last } = await withTimeout(run(), this.#timeoutMs, `${this.impl} request/response trial`);
    this.sent += roundTrips + warmup;
    return { rtts: rtts.sort(), perSec: (roundTrips / (last - first)) * 1000 };
  }

  connects(): number | undefined {
    return this.#endpoint?.connects();
  }

  async close(): Promise<void> {
    try {
      await this.#endpoint?.close();
    } finally {
      // A child that does not close and exit in time is killed (by close()).
      await this.#child.close({ timeoutMs: 10_000 }).catch(() => {});
      await removeDir(this.#config);
    }
  }
}
