/*
 * Peers found through Redis (@ipcm/directory-redis) against peers found in
 * the route directory, all in this process over TCP on loopback, against a
 * throwaway redis-server started here (`@ipcm/directory-redis/testing`):
 *
 * - first message: a fresh sender and receiver each round, their directory
 *   Redis or the route directory, alternating (which goes first alternates
 *   too); timed from the first `send` to the receiver's 'message' event,
 *   so it holds the lookup, the dial, the hello and the delivery.
 * - steady state: one connected pair of each kind, bursts of sends
 *   (batches of 1,000 sends awaited together) alternating between them. Redis is consulted on dial only, so the
 *   ratio must be ~1.0.
 * - lookup: `RedisDirectory.lookup(id)` against a bare ioredis GET of the
 *   same peer's key on the same server, alternating, each awaited in turn.
 *
 * Without `redis-server` on PATH the suite is skipped with a message.
 */
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { TcpClient, removeRoute, spawnRoute } from '@ipcm/client-tcp';
import { RedisDirectory } from '@ipcm/directory-redis';
import { findRedisServer, INSTALL_HINT, RedisServer } from '@ipcm/directory-redis/testing';
import { Redis } from 'ioredis';
import { median, medianOfRatios, percentileSorted } from './measure.js';
import type { Mode } from './mode.js';
import { formatOps, formatRatio, table, verdict } from './report.js';

export interface RedisBenchOptions {
  /** First-message pairs of each kind (fresh clients each). */
  readonly firstMessageRounds: number;
  /** Steady-state rounds; each sends one burst on each pair. */
  readonly steadyRounds: number;
  /** Messages per steady-state burst. */
  readonly burst: number;
  /** Lookup rounds; each times `lookups` of each kind. */
  readonly lookupRounds: number;
  readonly lookups: number;
}

export const REDIS_OPTIONS: Readonly<Record<Mode, RedisBenchOptions>> = {
  full: { firstMessageRounds: 15, steadyRounds: 11, burst: 50_000, lookupRounds: 7, lookups: 2_000 },
  quick: { firstMessageRounds: 7, steadyRounds: 7, burst: 20_000, lookupRounds: 5, lookups: 500 },
  tiny: { firstMessageRounds: 1, steadyRounds: 1, burst: 100, lookupRounds: 1, lookups: 20 },
};

export type DirectoryKind = 'redis' | 'route';
export const KINDS: readonly DirectoryKind[] = ['redis', 'route'];

export interface RedisBenchResult {
  readonly options: RedisBenchOptions;
  /** Why the suite did not run, when it did not. */
  readonly skipped?: string;
  /** ms from first send to delivery, per round. */
  readonly firstMessageMs: Readonly<Record<DirectoryKind, number[]>>;
  /** Messages per second, per round. */
  readonly steadyMsgPerSec: Readonly<Record<DirectoryKind, number[]>>;
  /** Messages delivered in the steady-state rounds, per kind (what the smoke test checks). */
  readonly steadyDelivered: Record<DirectoryKind, number>;
  /** Every lookup's time in ms, sorted. */
  readonly lookupMs: { readonly directory: number[]; readonly get: number[] };
}

/** A pair of clients on one kind of directory; `close()` closes what it opened. */
interface Pair {
  readonly sender: TcpClient;
  readonly receiver: TcpClient;
  readonly receiverId: string;
  close(): Promise<void>;
}

interface Env {
  readonly server: RedisServer;
  readonly route: string;
  readonly group: string;
}

let nextId = 0;

async function openPair(env: Env, kind: DirectoryKind): Promise<Pair> {
  const n = nextId++;
  const receiverId = `recv-${n}`;
  if (kind === 'route') {
    const receiver = await TcpClient.create({ id: receiverId, route: env.route });
    const sender = await TcpClient.create({ id: `send-${n}`, route: env.route });
    return {
      sender,
      receiver,
      receiverId,
      close: async () => {
        await sender.close();
        await receiver.close();
      },
    };
  }
  // Each client its own directory and connection, as on two hosts.
  const directories = [0, 1].map(() => new RedisDirectory({ redis: env.server.url, group: env.group }));
  const [receiverDirectory, senderDirectory] = directories as [RedisDirectory, RedisDirectory];
  const receiver = await TcpClient.create({ id: receiverId, directory: receiverDirectory });
  const sender = await TcpClient.create({ id: `send-${n}`, directory: senderDirectory });
  return {
    sender,
    receiver,
    receiverId,
    close: async () => {
      await sender.close();
      await receiver.close();
      for (const directory of directories) await directory.close();
    },
  };
}

/** Messages sent before awaiting them all, in steady-state bursts. */
const BATCH = 1000;

/** Sends `count` messages from the pair's sender, in batches of {@link BATCH}, and waits until the receiver has every one; ms. */
async function burst(pair: Pair, count: number): Promise<number> {
  let received = 0;
  const all = new Promise<void>((resolve) => {
    const onMessage = (): void => {
      if (++received < count) return;
      pair.receiver.off('message', onMessage);
      resolve();
    };
    pair.receiver.on('message', onMessage);
  });
  const t0 = performance.now();
  // Batches of BATCH awaited together (the messaging suite's batch pattern): within maxWaitingSends.
  for (let sent = 0; sent < count; ) {
    const sends: Promise<void>[] = [];
    for (const end = Math.min(count, sent + BATCH); sent < end; sent++) sends.push(pair.sender.send(pair.receiverId, sent));
    await Promise.all(sends);
  }
  await all;
  return performance.now() - t0;
}

async function firstMessage(env: Env, kind: DirectoryKind): Promise<number> {
  const pair = await openPair(env, kind);
  try {
    const delivered = once(pair.receiver, 'message');
    const t0 = performance.now();
    await pair.sender.send(pair.receiverId, 'first');
    await delivered;
    return performance.now() - t0;
  } finally {
    await pair.close();
  }
}

function emptyResult(options: RedisBenchOptions, skipped?: string): RedisBenchResult {
  return {
    options,
    ...(skipped === undefined ? {} : { skipped }),
    firstMessageMs: { redis: [], route: [] },
    steadyMsgPerSec: { redis: [], route: [] },
    steadyDelivered: { redis: 0, route: 0 },
    lookupMs: { directory: [], get: [] },
  };
}

export async function runRedisBench(options: RedisBenchOptions): Promise<RedisBenchResult> {
  if (findRedisServer() === undefined) return emptyResult(options, `redis-server is not on PATH; ${INSTALL_HINT}`);
  const result = emptyResult(options);
  const server = await RedisServer.start();
  const route = await spawnRoute({ prefix: 'ipcm-bench-redis-' });
  const env: Env = { server, route, group: `bench-${process.pid}` };
  try {
    // (a) First message: fresh clients each round, kinds alternating, which goes first alternating.
    await firstMessage(env, 'redis'); // warm-up: loads code paths and scripts, not counted
    await firstMessage(env, 'route');
    for (let round = 0; round < options.firstMessageRounds; round++) {
      const order = round % 2 === 0 ? KINDS : [...KINDS].reverse();
      for (const kind of order) result.firstMessageMs[kind].push(await firstMessage(env, kind));
    }

    // (b) Steady state: one connected pair of each kind.
    const pairs = { redis: await openPair(env, 'redis'), route: await openPair(env, 'route') };
    try {
      for (const kind of KINDS) await burst(pairs[kind], options.burst); // connects and warms up, not counted
      for (let round = 0; round < options.steadyRounds; round++) {
        const order = round % 2 === 0 ? KINDS : [...KINDS].reverse();
        for (const kind of order) {
          const ms = await burst(pairs[kind], options.burst);
          result.steadyMsgPerSec[kind].push((options.burst * 1000) / ms);
          result.steadyDelivered[kind] += options.burst;
        }
      }
    } finally {
      await pairs.redis.close();
      await pairs.route.close();
    }

    // (c) Lookup against a bare GET of the same key, on one connection each.
    const registrant = new RedisDirectory({ redis: server.url, group: env.group });
    const directory = new RedisDirectory({ redis: server.url, group: env.group });
    const bare = new Redis(server.url);
    try {
      const registration = await registrant.register('looked-up', 'address');
      await registration.publish({ transport: 'tcp', host: '127.0.0.1', port: 4000 });
      // The key the directory reads, found on the server rather than spelt here (its format is the store's).
      const [, keys] = await bare.scan('0', 'MATCH', '*:peer:looked-up', 'COUNT', 1000);
      const key = keys[0];
      if (key === undefined) throw new Error('the registered peer has no key on the server');
      for (let i = 0; i < 50; i++) {
        await directory.lookup('looked-up');
        await bare.get(key);
      }
      for (let round = 0; round < options.lookupRounds; round++) {
        for (let i = 0; i < options.lookups; i++) {
          let t0 = performance.now();
          if ((await directory.lookup('looked-up')) === undefined) throw new Error('lookup found nothing');
          result.lookupMs.directory.push(performance.now() - t0);
          t0 = performance.now();
          if ((await bare.get(key)) === null) throw new Error('GET found nothing');
          result.lookupMs.get.push(performance.now() - t0);
        }
      }
      result.lookupMs.directory.sort((a, b) => a - b);
      result.lookupMs.get.sort((a, b) => a - b);
      await registration.release();
    } finally {
      await registrant.close();
      await directory.close();
      bare.disconnect();
    }
  } finally {
    await removeRoute(route);
    await server.stop();
  }
  return result;
}

/** Steady-state sends through Redis / through the route directory must be within this of 1.0. */
const STEADY_TOLERANCE = 0.1;

export function formatRedisBench(result: RedisBenchResult, verbose: boolean): string {
  if (result.skipped !== undefined) return `skipped: ${result.skipped}\n`;
  const { options, firstMessageMs, steadyMsgPerSec, lookupMs } = result;
  const out: string[] = [];
  const ms = (x: number): string => x.toFixed(x >= 10 ? 1 : 2);
  const us = (x: number): string => (x * 1000).toFixed(0);
  out.push(
    `TCP on loopback in one process, a throwaway redis-server on 127.0.0.1; ${options.firstMessageRounds} first-message pairs of each kind (fresh clients, alternating), ${options.steadyRounds} steady-state bursts of ${options.burst.toLocaleString('en-US')} per kind, ${(options.lookupRounds * options.lookups).toLocaleString('en-US')} lookups of each kind`,
  );
  out.push(
    table(
      ['', 'Redis', 'route directory', 'Redis / route'],
      [
        [
          'first message, ms (median)',
          ms(median(firstMessageMs.redis)),
          ms(median(firstMessageMs.route)),
          formatRatio(medianOfRatios(firstMessageMs.redis, firstMessageMs.route)),
        ],
        [
          'steady-state msg/s (median)',
          formatOps(median(steadyMsgPerSec.redis)),
          formatOps(median(steadyMsgPerSec.route)),
          formatRatio(medianOfRatios(steadyMsgPerSec.redis, steadyMsgPerSec.route)),
        ],
      ],
    ),
  );
  out.push(
    table(
      ['lookup, us', 'p50', 'p90', 'p99'],
      [
        ['RedisDirectory.lookup', ...[50, 90, 99].map((p) => us(percentileSorted(lookupMs.directory, p)))],
        ['bare ioredis GET', ...[50, 90, 99].map((p) => us(percentileSorted(lookupMs.get, p)))],
      ],
    ),
  );
  if (verbose) {
    out.push(`first message ms, Redis: ${firstMessageMs.redis.map(ms).join(' ')}`);
    out.push(`first message ms, route: ${firstMessageMs.route.map(ms).join(' ')}`);
    out.push(`steady msg/s, Redis: ${steadyMsgPerSec.redis.map(formatOps).join(' ')}`);
    out.push(`steady msg/s, route: ${steadyMsgPerSec.route.map(formatOps).join(' ')}`);
  }
  const steady = medianOfRatios(steadyMsgPerSec.redis, steadyMsgPerSec.route);
  out.push(
    `RATIO steady-state msg/s, Redis / route directory = ${formatRatio(steady)} (target 1.0 +- ${STEADY_TOLERANCE}: Redis is consulted on dial only) ${verdict(Math.abs(steady - 1) <= STEADY_TOLERANCE)}`,
  );
  out.push(
    `first message through Redis / route directory = ${formatRatio(medianOfRatios(firstMessageMs.redis, firstMessageMs.route))}; lookup p50 / GET p50 = ${formatRatio(percentileSorted(lookupMs.directory, 50) / percentileSorted(lookupMs.get, 50))} (no target)`,
  );
  return `${out.join('\n')}\n`;
}
