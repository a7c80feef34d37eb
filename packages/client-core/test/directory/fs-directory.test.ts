// The filesystem PeerDirectory over a real temporary route directory, real
// Unix sockets and real processes (test/fixtures/route-holder.js claims
// through RouteDirectory, as an IPC::Manager-layout peer would). Periodic
// work runs on FakeTimers: time moves when the test says so.
import { once } from 'node:events';
import { promises as fsp } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import type { PeerProcess } from '@ipcm/peer-process';
import { IdInUseError, InvalidOptionError, OptionRangeError, RouteError } from '../../src/errors.js';
import { MAX_TIMER_MS, type Clock } from '../../src/options.js';
import { FsDirectory } from '../../src/fs-directory.js';
import type { DirectoryEvent } from '../../src/peer-directory.js';
import { removeRoute, RouteDirectory, spawnRoute } from '../../src/route-directory.js';
import { deadPid, FakeTimers, unixProbe } from '../helpers.js';
import { waitUntil } from '../conformance/suite.js';
import { forkRouteHolder, type RouteHolder } from '../route-holder.js';
import { describeDirectoryContract, nextMatching } from './contract.js';

/** Listens at `socketPath` (answers and hangs up, as a probe expects). */
async function listenAt(socketPath: string): Promise<net.Server> {
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    socket.end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, resolve);
  });
  return server;
}

describeDirectoryContract('filesystem route directory', async () => {
  const dir = await spawnRoute({ prefix: 'ipcm-dc-' });
  const route = await RouteDirectory.open(dir);
  const servers: net.Server[] = [];
  return {
    open: () => FsDirectory.open(dir, { probe: unixProbe, debounceMs: 5 }),
    listen: async (registration) => {
      if (registration.path === undefined) throw new Error('a socket registration has a path');
      servers.push(await listenAt(registration.path));
    },
    // The holder "dies": its lock now names a process that has exited.
    kill: async (registration) => {
      await fsp.writeFile(`${route.entryPath(registration.id)}.pid`, `${await deadPid()}\n`);
    },
    cleanup: async () => {
      for (const server of servers) await new Promise((resolve) => server.close(resolve));
      await removeRoute(dir);
    },
  };
});

describe('FsDirectory', () => {
  let dir: string;
  let timers: FakeTimers;
  /** The clock of the fake timers: one object, so every view of the directory shares it. */
  let clock: Clock;
  const children: PeerProcess<RouteHolder>[] = [];
  const directories: FsDirectory[] = [];
  const controllers: AbortController[] = [];

  beforeEach(async () => {
    dir = await spawnRoute({ prefix: 'ipcm-fd-' });
    timers = new FakeTimers();
    const current = timers;
    clock = { now: () => current.now };
  });

  afterEach(async () => {
    for (const controller of controllers.splice(0)) controller.abort();
    for (const directory of directories.splice(0)) await directory.close();
    await Promise.all(children.splice(0).map((child) => child.kill()));
    await removeRoute(dir);
  });

  async function open(options: { checkIntervalMs?: number; rescanIntervalMs?: number; debounceMs?: number } = {}): Promise<FsDirectory> {
    const directory = await FsDirectory.open(dir, { probe: unixProbe, timers, clock, rescanIntervalMs: 1000, ...options });
    directories.push(directory);
    return directory;
  }

  function watch(directory: FsDirectory): AsyncIterator<DirectoryEvent> {
    const controller = new AbortController();
    controllers.push(controller);
    return directory.watch({ signal: controller.signal })[Symbol.asyncIterator]();
  }

  /** Forks a process that claims `id` as a socket and listens; resolves when it has published. */
  async function holder(id: string): Promise<PeerProcess<RouteHolder>> {
    const child = forkRouteHolder({ dir, id, mode: 'hold' });
    children.push(child);
    expect(await child.ready).toMatchObject({ ok: true });
    return child;
  }

  test('R37: registers share one reap, and a directory found clean is not re-read by every register (no O(n^2) starts)', async () => {
    const directory = await open();
    const leftover = async (name: string): Promise<void> => {
      await fsp.writeFile(path.join(dir, name), '', { mode: 0o600 });
      await fsp.writeFile(path.join(dir, `${name}.pid`), `${await deadPid()}`, { mode: 0o600 });
    };
    const exists = (name: string): Promise<boolean> => fsp.access(path.join(dir, name)).then(() => true, () => false);
    await leftover('gone-1');
    // Concurrent registers share the reap in progress: the leftover goes once.
    const first = await Promise.all(['a', 'b', 'c'].map((id) => directory.register(id, 'marker')));
    expect(await exists('gone-1')).toBe(false);
    // A register that found leftovers lets the next one look again: it finds none.
    const d = await directory.register('d', 'marker');
    // The directory was found clean just now: a leftover made since waits for
    // a later start (after CLEAN_REINSPECT_MS, 5 s on the injected clock) or
    // the next claim of its id.
    await leftover('gone-2');
    const e = await directory.register('e', 'marker');
    expect(await exists('gone-2')).toBe(true);
    timers.advance(4999);
    const f = await directory.register('f', 'marker');
    expect(await exists('gone-2')).toBe(true);
    timers.advance(1);
    const g = await directory.register('g', 'marker');
    expect(await exists('gone-2')).toBe(false);
    for (const registration of [...first, d, e, f, g]) await registration.release();
  });

  test('R16: a peer in another process is seen up with its socket path; SIGKILLed, its down is seen by the periodic rescan', async () => {
    const directory = await open();
    const events = watch(directory);
    expect((await events.next()).value).toEqual({ type: 'resync', peers: [] });

    const child = await holder('svc');
    timers.advance(1000); // the rescan, whether or not fs.watch already reported the entry
    const up = await nextMatching(events, (event) => event.type === 'up');
    expect(up).toEqual({ type: 'up', id: 'svc', location: { id: 'svc', listening: true, path: directory.route.entryPath('svc') } });

    await child.kill('SIGKILL');
    // The socket file and D.pid stay: no filesystem event says the holder died.
    await expect(fsp.lstat(directory.route.entryPath('svc'))).resolves.toBeDefined();
    timers.advance(1000);
    expect(await nextMatching(events, (event) => event.type === 'down')).toEqual({ type: 'down', id: 'svc' });
    expect(await directory.lookup('svc')).toBeUndefined();
    expect(await directory.list()).toEqual([]);
  });

  test('fs.watch alone reports an entry another view registers, after debounceMs (no rescan due: rescanIntervalMs is huge)', async () => {
    const directory = await open({ rescanIntervalMs: MAX_TIMER_MS, debounceMs: 50 });
    const events = watch(directory);
    expect((await events.next()).value).toEqual({ type: 'resync', peers: [] });
    const armed = timers.active; // the periodic rescan, never due here
    // Another view of the same directory, with no timer of its own on these timers.
    const other = await open({ checkIntervalMs: 0 });
    const registration = await other.register('svc', 'marker');
    await registration.publish();
    // Only a filesystem event arms a timer now: the debounce.
    await waitUntil(() => timers.active === armed + 1);
    timers.advance(49);
    expect(timers.active).toBe(armed + 1);
    timers.advance(1);
    expect(await nextMatching(events, (event) => event.type === 'up')).toEqual({
      type: 'up',
      id: 'svc',
      location: { id: 'svc', listening: false },
    });
    await registration.release();
  });

  test('no watcher and no timer while nobody iterates; all stopped when the last iteration ends', async () => {
    const directory = await open();
    const iterable = directory.watch();
    expect(timers.active).toBe(0);
    const first = watch(directory);
    const second = watch(directory);
    expect(timers.active).toBe(0); // nothing until next()
    await first.next();
    await second.next();
    expect(timers.active).toBe(1); // one periodic rescan shared by both
    await first.return?.();
    expect(timers.active).toBe(1);
    await second.return?.();
    expect(timers.active).toBe(0);
    void iterable;
  });

  test('a second iteration started later gets its own baseline, with the peers already there', async () => {
    const directory = await open();
    const first = watch(directory);
    await first.next();
    const registration = await directory.register('early', 'marker');
    await registration.publish();
    const second = watch(directory);
    expect((await second.next()).value).toEqual({ type: 'resync', peers: [{ id: 'early', listening: false }] });
    await registration.release();
  });

  test('lost: aborted with IdInUseError when the periodic check finds the lock replaced', async () => {
    const directory = await open({ checkIntervalMs: 500 });
    const registration = await directory.register('held', 'marker');
    await registration.publish();
    const lockFile = `${directory.route.entryPath('held')}.pid`;
    await fsp.unlink(lockFile);
    await fsp.writeFile(lockFile, `${process.ppid}\n`); // another process's lock
    const lost = once(registration.lost, 'abort');
    timers.advance(500);
    await lost;
    expect(registration.lost.reason).toBeInstanceOf(IdInUseError);
    expect(registration.lost.reason).toMatchObject({ code: 'ERR_IPCM_ID_IN_USE' });
    await registration.release(); // never throws for an id already lost
    expect(timers.active).toBe(0);
  });

  test('lost: aborted when publish finds the lock gone (no periodic check)', async () => {
    const directory = await open({ checkIntervalMs: 0 });
    const registration = await directory.register('held', 'address');
    expect(timers.active).toBe(0);
    await fsp.unlink(`${directory.route.entryPath('held')}.pid`);
    await expect(registration.publish({ transport: 'tcp', host: '127.0.0.1', port: 4000 })).rejects.toBeInstanceOf(IdInUseError);
    expect(registration.lost.aborted).toBe(true);
    await registration.release();
  });

  test('an unchanged lock is never reported lost; release stops the check', async () => {
    const directory = await open({ checkIntervalMs: 500 });
    const registration = await directory.register('steady', 'marker');
    await registration.publish();
    for (let i = 0; i < 3; i++) expect(await registration.check()).toBe(true);
    expect(timers.active).toBe(1);
    expect(registration.lost.aborted).toBe(false);
    await registration.release();
    expect(timers.active).toBe(0);
  });

  test('writeStats is read back by stats() from another view (D.stats, as IPC::Manager reads it)', async () => {
    const directory = await open();
    const registration = await directory.register('counted', 'marker');
    await registration.writeStats?.({ sent: { b: 2 }, read: { b: 1 } });
    await registration.release();
    expect(await (await open()).stats('counted')).toEqual({ sent: { b: 2 }, read: { b: 1 } });
    expect(await directory.stats('_bad')).toBeUndefined();
  });

  test('the route directory removed under a watch: the iteration ends with RouteError', async () => {
    const directory = await open();
    const events = watch(directory);
    await events.next();
    await removeRoute(dir);
    timers.advance(1000);
    await expect(nextMatching(events, () => false)).rejects.toBeInstanceOf(RouteError);
    await fsp.mkdir(dir, { mode: 0o700 }); // for afterEach
  });

  test('options are checked', async () => {
    const route = await RouteDirectory.open(dir);
    expect(() => new FsDirectory(route, { rescanIntervalMs: 0 })).toThrow(RangeError);
    expect(() => new FsDirectory(route, { debounceMs: -1 })).toThrow(RangeError);
    expect(() => new FsDirectory(route, { probe: 1 as unknown as undefined })).toThrow(TypeError);
    expect(() => new FsDirectory(route, { clock: {} as unknown as undefined })).toThrow(InvalidOptionError);
    // Timer-valued options end at MAX_TIMER_MS: Node fires a longer delay after 1 ms.
    for (const name of ['rescanIntervalMs', 'debounceMs', 'checkIntervalMs'] as const) {
      expect(() => new FsDirectory(route, { [name]: MAX_TIMER_MS })).not.toThrow();
      expect(() => new FsDirectory(route, { [name]: MAX_TIMER_MS + 1 })).toThrow(OptionRangeError);
    }
  });
});
