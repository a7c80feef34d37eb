// The watch behind 'peer' events survives a failing directory (issue 11):
// a watch that fails is reported on 'error' and restarted with backoff on
// the client's injected timers, and each restart's resync is diffed
// against what was known, so no up is repeated and no down is missed.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  FsDirectory,
  RouteError,
  type DirectoryEvent,
  type EntryKind,
  type IpcmError,
  type PeerDirectory,
  type PeerEvent,
  type PeerLocation,
  type RegisterOptions,
  type Registration,
  type WatchOptions,
} from '@ipcm/client-core';
import { RESTART_MIN_MS } from '../../client-core/src/peer-watch.js';
import { FakeTimers } from '../../client-core/test/fake-timers.js';
import { UnixClient } from '../src/index.js';

/** A directory whose watch can be broken on demand, and made to fail its next starts. */
class FlakyDirectory implements PeerDirectory {
  readonly description = 'a flaky directory';
  readonly #inner: FsDirectory;
  #breaks = new Set<AbortController>();
  /** How many of the next watch() iterations fail at once. */
  failStarts = 0;

  constructor(inner: FsDirectory) {
    this.#inner = inner;
  }

  /** Every running iteration ends with a coded error, as an unreadable directory would. */
  breakWatches(): void {
    for (const broken of this.#breaks) broken.abort();
  }

  register(id: string, kind: EntryKind, options?: RegisterOptions): Promise<Registration> {
    return this.#inner.register(id, kind, options);
  }

  lookup(id: string): Promise<PeerLocation | undefined> {
    return this.#inner.lookup(id);
  }

  list(): Promise<PeerLocation[]> {
    return this.#inner.list();
  }

  entryPath(id: string): string {
    return this.#inner.entryPath(id);
  }

  async *watch(options: WatchOptions = {}): AsyncIterable<DirectoryEvent> {
    if (this.failStarts > 0) {
      this.failStarts--;
      throw new RouteError('cannot read the directory (a test failure at start)');
    }
    const broken = new AbortController();
    this.#breaks.add(broken);
    try {
      const signal = options.signal === undefined ? broken.signal : AbortSignal.any([options.signal, broken.signal]);
      yield* this.#inner.watch({ ...options, signal });
      if (broken.signal.aborted && options.signal?.aborted !== true) throw new RouteError('cannot read the directory (a test failure)');
    } finally {
      this.#breaks.delete(broken);
    }
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}

/** Moves fake time by `stepMs` and lets I/O run, until `done()` (at most `rounds` times). */
async function driveUntil(done: () => boolean, timers: FakeTimers, stepMs: number, rounds = 500): Promise<void> {
  for (let round = 0; !done(); round++) {
    if (round === rounds) throw new Error('gave up waiting');
    timers.advance(stepMs);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

let route: string;
const clients: UnixClient[] = [];
const directories: FsDirectory[] = [];

beforeEach(async () => {
  route = await mkdtemp(path.join(tmpdir(), 'ipcm-watch-'));
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.destroy()));
  await Promise.all(directories.splice(0).map((directory) => directory.close()));
  await rm(route, { recursive: true, force: true });
});

async function peer(id: string): Promise<UnixClient> {
  const client = await UnixClient.create({ id, route });
  clients.push(client);
  return client;
}

test("a failed 'peer' watch is reported and restarted with backoff on the injected timers; the restart's resync gives no repeated up and no missed down", async () => {
  const timers = new FakeTimers();
  const inner = await FsDirectory.open(route, { timers });
  directories.push(inner);
  const flaky = new FlakyDirectory(inner);
  const alice = await UnixClient.create({ id: 'alice', directory: flaky, timers });
  clients.push(alice);
  const events: string[] = [];
  const errors: IpcmError[] = [];
  alice.on('error', (error) => errors.push(error));
  await peer('bob');
  await peer('dave');
  alice.on('peer', (event: PeerEvent) => events.push(`${event.type} ${event.id}`));
  await driveUntil(() => events.length === 2, timers, 20);
  expect(events.sort()).toEqual(['up bob', 'up dave']);

  // The watch breaks, and its first restart fails too. Meanwhile bob goes
  // and carol comes; dave stays.
  flaky.failStarts = 1;
  flaky.breakWatches();
  const bob = clients.find((client) => client.id === 'bob');
  await bob?.close();
  await peer('carol');
  await driveUntil(() => errors.length === 1, timers, 0);
  expect(events).toHaveLength(2);
  const failedAt = timers.now;
  // Backoff: nothing restarts before RESTART_MIN_MS; the failed restart then waits twice that.
  timers.advance(RESTART_MIN_MS - 1);
  await new Promise((resolve) => setImmediate(resolve));
  expect(errors).toHaveLength(1);
  await driveUntil(() => errors.length === 2, timers, 1);
  expect(timers.now - failedAt).toBe(RESTART_MIN_MS);
  timers.advance(2 * RESTART_MIN_MS - 1);
  await new Promise((resolve) => setImmediate(resolve));
  expect(events).toHaveLength(2);
  await driveUntil(() => events.length === 4, timers, 1);
  expect(errors.every((error) => error instanceof RouteError && error.code === 'ERR_IPCM_ROUTE')).toBe(true);
  expect(events.slice(2).sort()).toEqual(['down bob', 'up carol']);

  // The restarted watch goes on reporting.
  await peer('erin');
  await driveUntil(() => events.length === 5, timers, 20);
  expect(events[4]).toBe('up erin');
  expect(errors).toHaveLength(2);
});

test("after unref(), a 'peer' listener does not keep the process alive (the watch follows ref/unref)", async () => {
  const route = await mkdtemp(path.join(tmpdir(), 'ipcm-peer-unref-'));
  // A process whose only handles are a non-listening client and its 'peer'
  // watch: it must end by itself once the client is unref'd. It loads the
  // built package (this package's main).
  const script = `
    const { UnixClient } = require(${JSON.stringify(path.resolve(__dirname, '..'))});
    UnixClient.create({ id: 'watcher', route: process.argv[1], listen: false }).then((client) => {
      client.on('peer', () => {});
      client.unref();
    });
  `;
  const child = spawn(process.execPath, ['-e', script, route], { stdio: 'ignore' });
  const kill = setTimeout(() => child.kill(), 20_000); // a deadline for the failure case only
  try {
    const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
    expect({ code, signal }).toEqual({ code: 0, signal: null });
  } finally {
    clearTimeout(kill);
    await rm(route, { recursive: true, force: true });
  }
});
