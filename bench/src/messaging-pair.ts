import { fork, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { removeRoute, spawnRoute } from '@ipcm/client-core';
import { compiledEntry } from './child-entry.js';
import { dialEndpoint, type Endpoint, type EndpointConfig, type MessagingImpl, type SendPattern } from './messaging-endpoints.js';
import type { ChildCommand, ChildReport } from './messaging-protocol.js';
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

/**
 * One implementation's pair of ends: the parent's endpoint and the forked
 * child (`messaging-child.ts`) holding the other, for one transport. The
 * child and the connection live until {@link close}; trials run one at a
 * time.
 */
export class Pair {
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
    await this.#command({ cmd: 'count', total: messages });
    const counted = this.#expect('counted', 'throughput trial');
    let markAt: number;
    try {
      markAt = await ends.blast(messages, text, warmup, pattern);
    } catch (error) {
      counted.catch(() => {}); // the blast's error is the one to report
      throw error;
    }
    this.sent += messages;
    const report = await counted;
    if (report.type !== 'counted') throw new Error('unreachable');
    return ((messages - warmup) / (report.lastAt - markAt)) * 1000;
  }

  /** Ping-pong with one message in flight, after `warmup` untimed round trips. */
  async pingPong(roundTrips: number, warmup: number): Promise<PingPongResult> {
    const ends = this.#ends;
    await this.#command({ cmd: 'echo' });
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
    await this.#command({ cmd: 'respond' });
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
