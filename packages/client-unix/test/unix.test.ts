import { chmod, chown, lstat, mkdir, readFile, readdir, stat, symlink, unlink, utimes, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { ConfigError, FsDirectory, RouteDirectory, RouteError, StaticDirectory, type Client } from '@ipcm/client-core';
import { UnixClient } from '../src/index.js';
import { Harness, nextMessages } from '../../client-core/test/conformance/harness.js';
import { unixTarget } from './unix-target.js';

/** Sends one message each way between two clients. */
async function exchange(a: Client, b: Client): Promise<void> {
  const atB = nextMessages(b, 1);
  await a.send(b.id, 'ping');
  expect((await atB)[0]).toMatchObject({ from: a.id, content: 'ping' });
  const atA = nextMessages(a, 1);
  await b.send(a.id, 'pong');
  expect((await atA)[0]).toMatchObject({ from: b.id, content: 'pong' });
}

async function entryIn(route: string, id: string): Promise<string> {
  return (await RouteDirectory.open(route, { create: false })).entryPath(id);
}

async function exists(file: string): Promise<boolean> {
  try {
    await lstat(file);
    return true;
  } catch {
    return false;
  }
}

describe('unix client: socket files and the route directory', () => {
  const h = new Harness(unixTarget);
  beforeEach(() => h.setup());
  afterEach(() => h.cleanup());

  /** A route directory inside the test's one whose absolute path is exactly `bytes` long. */
  function routeOf(bytes: number): string {
    const room = bytes - h.route.length - 1;
    expect(room).toBeGreaterThan(0); // the temp dir itself must leave room
    return `${h.route}/${'r'.repeat(room)}`;
  }

  test('a filesystem directory given as `directory` works like `route`; one without socket paths is refused with ERR_IPCM_CONFIG', async () => {
    const directory = await FsDirectory.open(h.route);
    const alice = await UnixClient.create({ id: 'alice', directory });
    try {
      expect(alice.directory).toBe(directory);
      const bob = await h.client('bob');
      const arrived = nextMessages(bob, 1);
      await alice.send('bob', 'via a directory');
      expect((await arrived)[0]).toMatchObject({ from: 'alice', content: 'via a directory' });
      await expect(UnixClient.create({ id: 'carol', directory: new StaticDirectory({}) })).rejects.toBeInstanceOf(ConfigError);
    } finally {
      await alice.close();
      await directory.close();
    }
  });

  test('R15: past the 104-byte socket path budget (NUL included, as IPC::Manager) the socket gets a hashed name, at the exact path', async () => {
    // A 50-byte route: an id making a 103-byte path (104 with its NUL) is used as is, one byte more is hashed.
    const route = routeOf(50);
    const fits = 'p'.repeat(104 - 52);
    const over = 'q'.repeat(104 - 51);
    const plain = await h.client(fits, { route });
    const hashed = await h.client(over, { route });
    const plainEntry = await entryIn(route, fits);
    expect(plainEntry).toBe(`${route}/${fits}`);
    expect(Buffer.byteLength(plainEntry)).toBe(103);
    expect((await lstat(plainEntry)).isSocket()).toBe(true);
    const hashedEntry = await entryIn(route, over);
    expect(path.dirname(hashedEntry)).toBe(route);
    expect(path.basename(hashedEntry)).toMatch(/^h-[0-9a-f]{40}$/);
    expect((await lstat(hashedEntry)).isSocket()).toBe(true);
    expect(await exists(`${route}/${over}`)).toBe(false);
    await exchange(plain, hashed);

    // A 60-byte route: the hashed name fills the budget exactly.
    const tight = routeOf(60);
    const longest = await h.client('z'.repeat(80), { route: tight });
    const tightEntry = await entryIn(tight, longest.id);
    expect(Buffer.byteLength(tightEntry)).toBe(103);
    expect((await lstat(tightEntry)).isSocket()).toBe(true);
    await exchange(longest, await h.client('peer', { route: tight }));

    // A 61-byte route cannot hold even a hashed name.
    const tooLong = routeOf(61);
    await expect(h.client('z'.repeat(80), { route: tooLong })).rejects.toBeInstanceOf(RouteError);
    await expect(h.client('z'.repeat(80), { route: tooLong })).rejects.toMatchObject({ code: 'ERR_IPCM_ROUTE' });
  });

  test('R17: a stale socket (no pid file, or a recycled pid) is taken over; a foreign file or symlink is refused and kept', async () => {
    const [stale, recycled] = await Promise.all([h.child('stale'), h.child('recycled')]);
    expect(stale.ready).toMatchObject({ ready: true });
    expect(recycled.ready).toMatchObject({ ready: true });
    stale.process.kill('SIGKILL');
    recycled.process.kill('SIGKILL');
    await Promise.all([stale.exited, recycled.exited]);
    const staleEntry = await h.entryPath('stale');
    const recycledEntry = await h.entryPath('recycled');
    expect((await lstat(staleEntry)).isSocket()).toBe(true);
    expect((await lstat(recycledEntry)).isSocket()).toBe(true);
    await unlink(`${staleEntry}.pid`);
    // A live pid that is not the holder's (ours), in a lock older than any grace period.
    await writeFile(`${recycledEntry}.pid`, `${process.pid}\n`);
    const anHourAgo = new Date(Date.now() - 3_600_000);
    await utimes(`${recycledEntry}.pid`, anHourAgo, anHourAgo);

    const alice = await h.client('alice');
    for (const id of ['stale', 'recycled']) {
      const heir = await h.client(id);
      const entry = await h.entryPath(id);
      expect((await lstat(entry)).isSocket()).toBe(true);
      expect(await readFile(`${entry}.pid`, 'utf8')).toBe(`${process.pid}`); // no newline, as IPC::Manager
      await exchange(alice, heir);
    }

    const foreign = await h.entryPath('foreign');
    await writeFile(foreign, 'precious, not a route entry\n');
    await expect(h.client('foreign')).rejects.toBeInstanceOf(RouteError);
    expect(await readFile(foreign, 'utf8')).toBe('precious, not a route entry\n');
    expect(await exists(`${foreign}.pid`)).toBe(false);

    const target = path.join(h.route, 'link-target.txt');
    await writeFile(target, 'target');
    const linked = await h.entryPath('linked');
    await symlink(target, linked);
    await expect(h.client('linked')).rejects.toBeInstanceOf(RouteError);
    expect((await lstat(linked)).isSymbolicLink()).toBe(true);
    expect(await readFile(target, 'utf8')).toBe('target');
    expect(await exists(`${linked}.pid`)).toBe(false);
  });

  test('R19: under umask 000 the route directory is 0700 and the socket 0600; unsafe route directories are refused', async () => {
    const route = path.join(h.route, 'fresh');
    const previous = process.umask(0);
    try {
      const alice = await h.client('alice', { route });
      const bob = await h.client('bob', { route, listen: false });
      await exchange(bob, alice);
      expect((await stat(route)).mode & 0o777).toBe(0o700);
      const socket = await lstat(path.join(route, 'alice'));
      expect(socket.isSocket()).toBe(true);
      expect(socket.mode & 0o777).toBe(0o600);
      for (const name of await readdir(route)) {
        expect({ name, mode: (await lstat(path.join(route, name))).mode & 0o077 }).toEqual({ name, mode: 0 });
      }
    } finally {
      process.umask(previous);
    }

    const real = path.join(h.route, 'real');
    await mkdir(real, { mode: 0o700 });
    const link = path.join(h.route, 'link');
    await symlink(real, link);
    await expect(h.client('carol', { route: link })).rejects.toBeInstanceOf(RouteError);
    expect(await readdir(real)).toEqual([]);

    const open = path.join(h.route, 'open');
    await mkdir(open);
    await chmod(open, 0o755);
    await expect(h.client('carol', { route: open })).rejects.toBeInstanceOf(RouteError);
    expect(await readdir(open)).toEqual([]);

    if (process.getuid?.() === 0) {
      // Only root can hand a directory to someone else.
      const foreign = path.join(h.route, 'foreign');
      await mkdir(foreign, { mode: 0o700 });
      await chown(foreign, 65534, 65534);
      await expect(h.client('carol', { route: foreign })).rejects.toBeInstanceOf(RouteError);
      expect(await readdir(foreign)).toEqual([]);
    }
  });
});
