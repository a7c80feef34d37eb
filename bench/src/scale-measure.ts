import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { spawnRoute } from '@ipcm/client-core';
import { PeerProcess, compiledEntry } from '@ipcm/peer-process';
import { countFds, openFileLimit } from './fds.js';
import { inFreshProcess } from './fresh-process.js';
import type { ProbeRequest } from './scale-probe.js';
import type { ScaleHostPeer } from './scale-protocol.js';
import { BareSide, IpcmSide, type PerConnection } from './scale-sides.js';
import { SCALE_MEASURER_ID, scalePeerId } from './scale-wire.js';

export type ScaleImpl = '@ipcm' | 'bare';
export const SCALE_IMPLS: readonly ScaleImpl[] = ['@ipcm', 'bare'];

export interface ScaleOptions {
  /** Peer counts, each measured with its own set of peers. */
  readonly peers: readonly number[];
  /** Processes the peers are spread over. */
  readonly hosts: number;
  /** Timed rounds per peer count; each runs @ipcm then bare. */
  readonly rounds: number;
  /** Memory readings per peer count and implementation, each in a fresh process. */
  readonly memoryRounds: number;
  /** Whether each implementation runs one untimed trial per peer count first. */
  readonly warmupTrial: boolean;
  /**
   * Connections left idle for the real client's closeIdleConnections sweep
   * (at most half the peers). The same number at every peer count, so the
   * sweep's time shows whether it follows the number closed or the number
   * of connections.
   */
  readonly sweepIdle: number;
  /** Longest wait for a phase (all acks, a host starting its peers). */
  readonly timeoutMs: number;
}

/** What one timed trial measured in the measuring process. */
export interface ScaleTrial {
  /** From the first send to the ack of every peer; every connection is opened in this time. */
  readonly firstMs: number;
  /** From broadcast() (bare: one write per socket) to the ack of every peer, over the open connections. */
  readonly broadcastMs: number;
  /** File descriptors the measuring process had open with every connection open, and opened for them. */
  readonly fdsOpen: number;
  readonly fdsAdded: number;
  /** @ipcm only: the real client's closeIdleConnections, with `closed` idle connections among all. */
  readonly sweep?: { readonly closed: number; readonly ms: number };
  /** @ipcm only: connections the client opened (DESIGN.md: one per peer). */
  readonly connects?: number;
}

export interface ScaleCase {
  readonly peers: number;
  readonly trials: Readonly<Record<ScaleImpl, readonly ScaleTrial[]>>;
  /** Marginal memory and fds per connection, one reading per memory round. */
  readonly memory: Readonly<Record<ScaleImpl, readonly PerConnection[]>>;
}

export interface ScaleResult {
  readonly options: ScaleOptions;
  readonly cases: readonly ScaleCase[];
  /** `ulimit -n` of the measuring process. */
  readonly fdLimit: number;
  /** Peer counts left out because the open-file limit is too low for them. */
  readonly skipped: readonly number[];
}

/** The peer host processes (`scale-host.ts`), each hosting a share of the peers. */
class Hosts {
  readonly #children: readonly PeerProcess<ScaleHostPeer>[];

  private constructor(children: readonly PeerProcess<ScaleHostPeer>[]) {
    this.#children = children;
  }

  /** Starts `count` hosts; if one fails, the others are closed too. */
  static async start(count: number, timeoutMs: number): Promise<Hosts> {
    const started = await Promise.allSettled(
      Array.from({ length: count }, (_, h) =>
        PeerProcess.start<ScaleHostPeer>({ entry: compiledEntry(__filename, 'scale-host'), settings: null, name: `peer host ${h}`, startTimeoutMs: timeoutMs, timeoutMs }),
      ),
    );
    const hosts = new Hosts(started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : [])));
    const failed = started.find((result) => result.status === 'rejected');
    if (failed !== undefined) {
      await hosts.close();
      throw failed.reason;
    }
    return hosts;
  }

  /** Starts `ids` spread in contiguous shares over the hosts; returns every bare peer's socket path, in id order. */
  async host(route: string, bareDir: string, ids: readonly string[]): Promise<string[]> {
    const share = Math.ceil(ids.length / this.#children.length);
    const replies = await Promise.all(
      this.#children.map((child, h) => child.request('host', { route, bareDir, ids: ids.slice(h * share, (h + 1) * share), first: h * share })),
    );
    return replies.flatMap((r) => r.barePaths);
  }

  async unhost(): Promise<void> {
    await Promise.all(this.#children.map((child) => child.request('unhost', null)));
  }

  /** Closes every host; one that does not exit within 10 s is killed. */
  async close(): Promise<void> {
    await Promise.all(this.#children.map((child) => child.close({ timeoutMs: 10_000 }).catch(() => {})));
  }
}

/**
 * One @ipcm trial: a fresh measuring UnixClient sends one message to every
 * peer (opening every connection), broadcasts, then leaves a share of the
 * connections idle for a minute of its clock, uses the others, and sweeps
 * the idle ones with closeIdleConnections.
 */
async function ipcmTrial(route: string, ids: readonly string[], options: ScaleOptions): Promise<ScaleTrial> {
  const n = ids.length;
  const side = await IpcmSide.open(SCALE_MEASURER_ID, route, ids, options.timeoutMs);
  try {
    const fds0 = countFds();
    let start = performance.now();
    await side.sendTo(0, n);
    const firstMs = performance.now() - start;
    const fdsOpen = countFds();

    start = performance.now();
    await side.broadcast();
    const broadcastMs = performance.now() - start;
    const connects = side.client.stats().connects;

    const idle = Math.max(1, Math.min(options.sweepIdle, Math.floor(n / 2)));
    side.skip(60_000);
    await side.sendTo(idle, n);
    start = performance.now();
    const closed = side.client.closeIdleConnections(30_000);
    const sweepMs = performance.now() - start;
    if (closed !== idle) throw new Error(`closeIdleConnections closed ${closed} connections, expected ${idle}`);
    return { firstMs, broadcastMs, fdsOpen, fdsAdded: fdsOpen - fds0, sweep: { closed, ms: sweepMs }, connects };
  } finally {
    await side.close();
  }
}

/** One bare trial: a `net.Socket` to every peer with one frame each, then one more frame each as the "broadcast". */
async function bareTrial(paths: readonly string[], ids: readonly string[], options: ScaleOptions): Promise<ScaleTrial> {
  const side = new BareSide(SCALE_MEASURER_ID, paths, ids, options.timeoutMs);
  try {
    const fds0 = countFds();
    let start = performance.now();
    await side.sendTo(0, ids.length);
    const firstMs = performance.now() - start;
    const fdsOpen = countFds();
    start = performance.now();
    await side.broadcast();
    const broadcastMs = performance.now() - start;
    return { firstMs, broadcastMs, fdsOpen, fdsAdded: fdsOpen - fds0 };
  } finally {
    await side.close();
  }
}

/** Reads one implementation's memory per connection in a fresh process (`scale-probe.ts`). */
function probeMemory(request: ProbeRequest): Promise<PerConnection> {
  return inFreshProcess<ProbeRequest, PerConnection>('scale-probe', request, {
    execArgv: [...process.execArgv.filter((a) => a !== '--expose-gc'), '--expose-gc'],
    timeoutMs: request.timeoutMs,
  });
}

/**
 * Runs the scale suite in this process (the measuring one): for each peer
 * count, starts the peers over `options.hosts` forked processes, alternates
 * timed @ipcm and bare trials, then reads memory per connection in fresh
 * processes, alternating too.
 */
export async function runScaleHere(options: ScaleOptions): Promise<ScaleResult> {
  const fdLimit = openFileLimit();
  // The measuring process holds one fd per connection plus its own; each host,
  // its share of peers twice (@ipcm and bare listeners) plus accepted connections.
  const fits = (n: number): boolean => n + 200 <= fdLimit && 3 * Math.ceil(n / options.hosts) + 200 <= fdLimit;
  const skipped = options.peers.filter((n) => !fits(n));
  const cases: ScaleCase[] = [];
  const hosts = await Hosts.start(options.hosts, options.timeoutMs);
  try {
    for (const n of options.peers.filter(fits)) {
      const route = await spawnRoute({ prefix: 'ipcm-scale-' });
      const bareDir = await mkdtemp(join(tmpdir(), 'ipcm-scale-'));
      try {
        const ids = Array.from({ length: n }, (_, i) => scalePeerId(i));
        const barePaths = await hosts.host(route, bareDir, ids);
        try {
          if (options.warmupTrial) {
            await ipcmTrial(route, ids, options);
            await bareTrial(barePaths, ids, options);
          }
          const trials: Record<ScaleImpl, ScaleTrial[]> = { '@ipcm': [], bare: [] };
          for (let round = 0; round < options.rounds; round++) {
            trials['@ipcm'].push(await ipcmTrial(route, ids, options));
            trials.bare.push(await bareTrial(barePaths, ids, options));
          }
          const memory: Record<ScaleImpl, PerConnection[]> = { '@ipcm': [], bare: [] };
          for (let round = 0; round < options.memoryRounds; round++) {
            for (const impl of SCALE_IMPLS) {
              memory[impl].push(await probeMemory({ impl, id: `${SCALE_MEASURER_ID}-probe`, route, barePaths, ids, timeoutMs: options.timeoutMs }));
            }
          }
          cases.push({ peers: n, trials, memory });
        } finally {
          await hosts.unhost();
        }
      } finally {
        // Peers closing in other processes may still be writing their
        // .stats files: retry a removal that finds the directory refilled.
        await rm(route, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
        await rm(bareDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
      }
    }
  } finally {
    await hosts.close();
  }
  return { options, cases, fdLimit, skipped };
}
