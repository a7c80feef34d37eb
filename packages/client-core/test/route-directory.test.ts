// The route directory on real files, real Unix sockets and real processes, in
// temporary directories. Time never passes by sleeping: the grace period is
// expired through the injected clock.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { PeerProcess } from '@ipcm/peer-process';
import { IdInUseError, InvalidIdError, RouteError } from '../src/errors.js';
import { hashedEntryName } from '../src/peer-name.js';
import { unixProbe } from './helpers.js';
import { perlRouteListing, type RouteListing } from './perl-vectors.js';
import { forkRouteHolder, type Outcome, type RouteHolder } from './route-holder.js';
import { removeRoute, RouteDirectory, spawnRoute } from '../src/route-directory.js';
import { secureSocketFile } from '../src/route-fs.js';
import type { EntryProbe, RouteAddress, RouteClaim, RouteDirectoryOptions } from '../src/route-types.js';

const fsp = fs.promises;
/** The Unix transport's probe, as client-unix will inject it. */
const probeOptions = { probe: unixProbe };
/** A clock a minute ahead: every lock is past its grace period. */
const later: RouteDirectoryOptions = { now: () => Date.now() + 60_000 };

let base: string;
const servers: net.Server[] = [];
const children: PeerProcess<RouteHolder>[] = [];
const claims: RouteClaim[] = [];

beforeEach(async () => {
  base = await spawnRoute({ prefix: 'ipcm-rt-' });
});

afterEach(async () => {
  for (const claim of claims.splice(0)) await claim.release();
  for (const server of servers.splice(0)) {
    if (server.listening) await new Promise((resolve) => server.close(resolve));
  }
  await Promise.all(children.splice(0).map((child) => child.kill()));
  await removeRoute(base);
});

async function listenAt(socketPath: string): Promise<net.Server> {
  const server = net.createServer((socket) => {
    socket.on('error', () => {}); // probes hang up at once: EPIPE/ECONNRESET are expected
    socket.end('hi');
  });
  servers.push(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, resolve);
  });
  return server;
}

/** Leaves a socket file nobody listens on, as a SIGKILLed process would. */
async function staleSocketAt(socketPath: string): Promise<void> {
  const aside = path.join(path.dirname(socketPath), `_bind.${process.pid}`);
  const server = await listenAt(aside);
  await fsp.rename(aside, socketPath);
  await new Promise((resolve) => server.close(resolve));
}

/** The pid of a process that has exited (and been reaped). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  const pid = child.pid as number;
  await once(child, 'exit');
  return pid;
}

function answers(socketPath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (data += chunk));
    socket.once('end', () => resolve(data));
    socket.once('error', reject);
  });
}

function mode(file: string): number {
  return fs.lstatSync(file).mode & 0o777;
}

/** Forks a holder of `id`; resolves once it is ready ('hold': its claim's outcome; 'race': loaded). */
async function startHolder(dir: string, id: string, holderMode: 'hold' | 'race'): Promise<PeerProcess<RouteHolder>> {
  const child = forkRouteHolder({ dir, id, mode: holderMode });
  children.push(child);
  await child.ready;
  return child;
}

async function claimOf(dir: RouteDirectory, id: string, kind: 'socket' | 'address' | 'marker'): Promise<RouteClaim> {
  const claim = await dir.claim(id, kind, probeOptions);
  claims.push(claim);
  return claim;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

function leftovers(dir: string): string[] {
  return fs.readdirSync(dir).sort();
}

describe('open (R19)', () => {
  test('R19: creates the directory 0700 and every file and the socket 0600, even under umask 000', async () => {
    const previous = process.umask(0);
    try {
      const routePath = path.join(base, 'nested', 'route');
      const dir = await RouteDirectory.open(routePath);
      expect(dir.path).toBe(routePath);
      expect(mode(routePath)).toBe(0o700);

      const socketClaim = await claimOf(dir, 'sock', 'socket');
      await listenAt(socketClaim.path);
      expect(mode(socketClaim.path)).toBe(0o777); // what bind leaves under umask 000
      await socketClaim.publish();
      expect(mode(socketClaim.path)).toBe(0o600);
      expect(mode(`${socketClaim.path}.pid`)).toBe(0o600);

      const marker = await claimOf(dir, 'quiet/one', 'marker');
      await marker.publish();
      await marker.writeStats({ sent: { sock: 1 }, read: {} });
      const address = await claimOf(dir, 'tcp', 'address');
      await address.publish({ transport: 'tcp', host: '127.0.0.1', port: 4000 });
      for (const file of [marker.path, `${marker.path}.pid`, `${marker.path}.name`, `${marker.path}.stats`, address.path]) {
        expect([file, mode(file)]).toEqual([file, 0o600]);
      }
    } finally {
      process.umask(previous);
    }
  });

  test('R19: a route directory reached through a symlink is refused', async () => {
    const real = path.join(base, 'real');
    await fsp.mkdir(real, { mode: 0o700 });
    const link = path.join(base, 'link');
    await fsp.symlink(real, link);
    const err = await rejection(RouteDirectory.open(link));
    expect(err).toBeInstanceOf(RouteError);
    expect((err as Error).message).toMatch(/symbolic link/);
  });

  test('R19: an existing directory open to group or others is refused, not repaired', async () => {
    const open = path.join(base, 'open');
    await fsp.mkdir(open);
    await fsp.chmod(open, 0o755);
    const err = await rejection(RouteDirectory.open(open));
    expect(err).toBeInstanceOf(RouteError);
    expect((err as Error).message).toMatch(/755/);
    expect(mode(open)).toBe(0o755);
  });

  test('R19: a route path that is not a directory is refused, saying what it is', async () => {
    const file = path.join(base, 'file');
    await fsp.writeFile(file, '');
    await expect(RouteDirectory.open(file)).rejects.toThrow(RouteError);
    await expect(RouteDirectory.open(file)).rejects.toThrow(`route directory ${file} is a regular file, not a directory`);
  });

  test('secureSocketFile on a regular file refuses it as "a regular file, not a socket"', async () => {
    const file = path.join(base, 'plain');
    await fsp.writeFile(file, '');
    await expect(secureSocketFile(file)).rejects.toThrow(`${file} is a regular file, not a socket`);
  });

  test('R19: a route directory owned by another user is refused', async () => {
    let foreign = '/';
    if (process.getuid?.() === 0) {
      foreign = path.join(base, 'foreign');
      await fsp.mkdir(foreign, { mode: 0o700 });
      await fsp.chown(foreign, 4242, 4242);
    }
    const err = await rejection(RouteDirectory.open(foreign));
    expect(err).toBeInstanceOf(RouteError);
    expect((err as Error).message).toMatch(/owned by uid/);
  });

  test('create: false refuses a missing directory instead of creating it', async () => {
    const missing = path.join(base, 'missing');
    await expect(RouteDirectory.open(missing, { create: false })).rejects.toThrow(RouteError);
    expect(fs.existsSync(missing)).toBe(false);
  });

  test('R15: a route path too long for any socket is refused up front, naming the budget', async () => {
    const long = path.join(base, 'd'.repeat(104));
    const err = await rejection(RouteDirectory.open(long));
    expect(err).toBeInstanceOf(RouteError);
    expect((err as Error).message).toContain('104');
    expect(fs.existsSync(long)).toBe(false);
  });

  test('bad options are refused with errors naming the option and the value', async () => {
    await expect(RouteDirectory.open(base, { graceMs: -1 })).rejects.toThrow(/graceMs.*-1/);
    await expect(RouteDirectory.open(base, { create: 'yes' as unknown as boolean })).rejects.toThrow(TypeError);
    const dir = await RouteDirectory.open(base);
    await expect(dir.claim('a', 'pipe' as 'socket', probeOptions)).rejects.toThrow(/kind.*pipe/);
    await expect(dir.claim('a', 'marker', {} as typeof probeOptions)).rejects.toThrow(/probe/);
    await expect(dir.claim('_a', 'marker', probeOptions)).rejects.toThrow(InvalidIdError);
  });
});

describe('claim and release', () => {
  test('R32: claim, publish, writeStats, release leaves only D.stats and, for a hashed D, D.name (as IPC::Manager)', async () => {
    const dir = await RouteDirectory.open(base);
    const id = 'x'.repeat(90); // hashed: too long
    const claim = await dir.claim(id, 'marker', probeOptions);
    const name = hashedEntryName(id);
    expect(claim.name).toBe(name);
    // The pid with no newline, as IPC::Manager writes it.
    expect(fs.readFileSync(path.join(base, `${name}.pid`), 'utf8')).toBe(`${process.pid}`);
    expect(fs.readFileSync(path.join(base, `${name}.name`), 'utf8')).toBe(id);
    await claim.publish();
    expect(fs.readFileSync(claim.path, 'utf8')).toBe('');
    await claim.writeStats({ sent: { a: 3, b: 1 }, read: { a: 2 } });
    await claim.release();
    expect(claim.released).toBe(true);
    // D.name stays beside D.stats so the counts keep their real id.
    expect(leftovers(base)).toEqual([`${name}.name`, `${name}.stats`]);
    expect(fs.readFileSync(path.join(base, `${name}.name`), 'utf8')).toBe(id);
    expect(JSON.parse(fs.readFileSync(path.join(base, `${name}.stats`), 'utf8'))).toEqual({ sent: { a: 3, b: 1 }, read: { a: 2 } });
    expect(await dir.stats(id)).toEqual({ sent: { a: 3, b: 1 }, read: { a: 2 } });
    await claim.release(); // idempotent
    await expect(claim.publish()).rejects.toThrow(RouteError);
  });

  test('R32: a socket claim released after its server closed leaves nothing but D.stats', async () => {
    const dir = await RouteDirectory.open(base);
    {
      await using claim = await dir.claim('svc', 'socket', probeOptions);
      const server = await listenAt(claim.path);
      await claim.publish();
      expect(await answers(claim.path)).toBe('hi');
      await claim.writeStats({ sent: {}, read: {} });
      await new Promise((resolve) => server.close(resolve));
    }
    expect(leftovers(base)).toEqual(['svc.stats']);
  });

  test('R32: release from another process id (a forked child) removes nothing', async () => {
    let pid = process.pid;
    const dir = await RouteDirectory.open(base, { processId: () => pid });
    const claim = await claimOf(dir, 'parent', 'marker');
    await claim.publish();
    pid = process.pid + 1; // what a forked child would see
    await claim.release();
    await expect(claim.writeStats({ sent: {}, read: {} })).rejects.toThrow(RouteError);
    await expect(claim.publish()).rejects.toThrow(RouteError);
    expect(leftovers(base)).toEqual(['parent', 'parent.pid']);
    expect(claim.released).toBe(false);
    pid = process.pid;
    await claim.release();
    expect(leftovers(base)).toEqual([]);
  });

  test('release does not touch an entry whose lock was taken over meanwhile', async () => {
    const dir = await RouteDirectory.open(base);
    const claim = await dir.claim('moved', 'marker', probeOptions);
    await claim.publish();
    // Someone judged us stale and now owns the id: their lock, their marker.
    await fsp.unlink(path.join(base, 'moved.pid'));
    await fsp.writeFile(path.join(base, 'moved.pid'), '1\n');
    await claim.release();
    expect(leftovers(base)).toEqual(['moved', 'moved.pid']);
    expect(fs.readFileSync(path.join(base, 'moved.pid'), 'utf8')).toBe('1\n');
  });

  test('address entries round-trip as one line of JSON', async () => {
    const dir = await RouteDirectory.open(base);
    const claim = await claimOf(dir, 'tcp-peer', 'address');
    await expect(claim.publish()).rejects.toThrow(TypeError);
    await expect(claim.publish({ transport: '' })).rejects.toThrow(TypeError);
    await expect(claim.publish({ host: 'localhost', port: 80 } as unknown as RouteAddress)).rejects.toThrow(TypeError);
    await claim.publish({ port: 4242, host: '127.0.0.1', transport: 'tcp' });
    expect(fs.readFileSync(claim.path, 'utf8')).toBe('{"transport":"tcp","port":4242,"host":"127.0.0.1"}\n');
    const entry = await dir.lookup('tcp-peer');
    expect(entry).toMatchObject({ id: 'tcp-peer', kind: 'address', pid: process.pid, alive: true });
    expect(entry?.address).toEqual({ transport: 'tcp', host: '127.0.0.1', port: 4242 });
    await claim.publish({ transport: 'tcp', host: '127.0.0.1', port: 4243 }); // may move
    expect((await dir.lookup('tcp-peer'))?.address).toEqual({ transport: 'tcp', host: '127.0.0.1', port: 4243 });
    const marker = await claimOf(dir, 'm', 'marker');
    await expect(marker.publish({ transport: 'tcp', host: 'h', port: 1 })).rejects.toThrow(TypeError);
  });

  test("an address entry is any JSON object with a non-empty transport: its other keys are the transport's to judge", async () => {
    const odd = { transport: 'tcp', host: '', port: 0 };
    await fsp.writeFile(path.join(base, 'odd'), `${JSON.stringify(odd)}\n`, { mode: 0o600 });
    await fsp.writeFile(path.join(base, 'odd.pid'), String(process.pid));
    await fsp.writeFile(path.join(base, 'blank'), '{"transport":""}\n', { mode: 0o600 });
    await fsp.writeFile(path.join(base, 'blank.pid'), String(process.pid));
    const dir = await RouteDirectory.open(base);
    expect(await dir.lookup('odd')).toMatchObject({ kind: 'address', address: odd, alive: true });
    expect(await dir.lookup('blank')).toBeUndefined(); // not an address: not a route entry
  });

  test('publish of a socket claim refuses a path where nothing is bound', async () => {
    const dir = await RouteDirectory.open(base);
    const claim = await claimOf(dir, 'unbound', 'socket');
    await expect(claim.publish()).rejects.toThrow(RouteError);
  });
});

describe('stale and live holders (R16, R17)', () => {
  test('R16: an id held by a SIGKILLed process is reaped and reused', async () => {
    const holder = await startHolder(base, 'svc', 'hold');
    expect(await holder.ready).toMatchObject({ ok: true, pid: holder.pid });
    await holder.kill('SIGKILL');
    const socketPath = path.join(base, 'svc');
    expect(fs.lstatSync(socketPath).isSocket()).toBe(true); // SIGKILL leaves the socket file

    const dir = await RouteDirectory.open(base);
    expect(await dir.lookup('svc')).toMatchObject({ kind: 'socket', pid: holder.pid, alive: false });
    expect(await dir.list()).toEqual([]);
    const claim = await claimOf(dir, 'svc', 'socket');
    await listenAt(claim.path);
    await claim.publish();
    expect(await answers(claim.path)).toBe('hi');
    expect(await dir.lookup('svc')).toMatchObject({ kind: 'socket', pid: process.pid, alive: true });
  });

  test('R16: an id held by a live process: IdInUseError, and its socket still answers', async () => {
    const holder = await startHolder(base, 'svc', 'hold');
    const ready = (await holder.ready) as Outcome;
    if (!ready.ok) throw new Error(`the holder could not claim: ${ready.message}`);
    for (const options of [{}, later]) {
      const dir = await RouteDirectory.open(base, options);
      const err = await rejection(dir.claim('svc', 'socket', probeOptions));
      expect(err).toBeInstanceOf(IdInUseError);
      expect((err as IdInUseError).code).toBe('ERR_IPCM_ID_IN_USE');
      expect(await answers(ready.path)).toBe('hello');
    }
    expect(fs.readFileSync(path.join(base, 'svc.pid'), 'utf8')).toBe(`${holder.pid}`);
    const entry = await (await RouteDirectory.open(base)).lookup('svc');
    expect(entry).toMatchObject({ kind: 'socket', pid: holder.pid, alive: true });

    expect(await holder.close()).toEqual({ exitCode: 0, signal: null, result: { released: true } });
    expect(leftovers(base)).toEqual([]);
  });

  test('R17: a stale socket with no pid file is reaped by a claim', async () => {
    await staleSocketAt(path.join(base, 'svc'));
    const dir = await RouteDirectory.open(base);
    const claim = await claimOf(dir, 'svc', 'socket');
    expect(fs.existsSync(claim.path)).toBe(false);
    await listenAt(claim.path);
    await claim.publish();
    expect(await answers(claim.path)).toBe('hi');
  });

  test('R17: a live socket with no pid file is never unlinked', async () => {
    const socketPath = path.join(base, 'svc');
    await listenAt(socketPath);
    const dir = await RouteDirectory.open(base, later);
    await expect(dir.claim('svc', 'socket', probeOptions)).rejects.toThrow(IdInUseError);
    expect(await answers(socketPath)).toBe('hi');
    expect(leftovers(base)).toEqual(['svc']);
  });

  test('R17: a recycled pid (alive, not the owner) with a dead socket is taken over once the grace period is over', async () => {
    const socketPath = path.join(base, 'svc');
    await staleSocketAt(socketPath);
    await fsp.writeFile(`${socketPath}.pid`, `${process.ppid}\n`);
    // Within the grace period a live pid is trusted: it may be about to bind.
    const now = await RouteDirectory.open(base);
    await expect(now.claim('svc', 'socket', probeOptions)).rejects.toThrow(IdInUseError);
    expect(fs.lstatSync(socketPath).isSocket()).toBe(true);

    const dir = await RouteDirectory.open(base, later);
    const claim = await claimOf(dir, 'svc', 'socket');
    expect(fs.readFileSync(`${socketPath}.pid`, 'utf8')).toBe(`${process.pid}`);
    expect(fs.existsSync(socketPath)).toBe(false);
    await listenAt(claim.path);
    await claim.publish();
    expect(await answers(socketPath)).toBe('hi');
  });

  test('R17: a recycled pid with no endpoint at all is taken over after the grace period', async () => {
    await fsp.writeFile(path.join(base, 'svc.pid'), '1\n');
    await expect((await RouteDirectory.open(base)).claim('svc', 'marker', probeOptions)).rejects.toThrow(IdInUseError);
    await claimOf(await RouteDirectory.open(base, later), 'svc', 'marker');
  });

  test('R17: a live pid with a marker is in use, however old', async () => {
    await fsp.writeFile(path.join(base, 'quiet'), '');
    await fsp.writeFile(path.join(base, 'quiet.pid'), `${process.ppid}\n`);
    const dir = await RouteDirectory.open(base, later);
    await expect(dir.claim('quiet', 'marker', probeOptions)).rejects.toThrow(IdInUseError);
    expect(leftovers(base)).toEqual(['quiet', 'quiet.pid']);
  });

  test('R17: a dead pid with a marker or an address file is reaped', async () => {
    const dead = await deadPid();
    await fsp.writeFile(path.join(base, 'quiet'), '');
    await fsp.writeFile(path.join(base, 'quiet.pid'), `${dead}\n`);
    await fsp.writeFile(path.join(base, 'tcp'), '{"transport":"tcp","host":"127.0.0.1","port":1}\n');
    await fsp.writeFile(path.join(base, 'tcp.pid'), `${dead}\n`);
    const dir = await RouteDirectory.open(base);
    await claimOf(dir, 'quiet', 'marker');
    await claimOf(dir, 'tcp', 'address');
    expect(leftovers(base)).toEqual(['quiet.pid', 'tcp.pid']);
  });

  test('R17: a regular file at D that is not a route entry is never removed', async () => {
    const file = path.join(base, 'notes');
    await fsp.writeFile(file, 'my precious notes');
    await fsp.writeFile(`${file}.pid`, `${await deadPid()}\n`);
    const dir = await RouteDirectory.open(base, later);
    const err = await rejection(dir.claim('notes', 'socket', probeOptions));
    expect(err).toBeInstanceOf(RouteError);
    expect((err as Error).message).toContain(file);
    expect(fs.readFileSync(file, 'utf8')).toBe('my precious notes');
    expect(leftovers(base)).toEqual(['notes']); // the dead lock went, ours was dropped
    expect(await dir.lookup('notes')).toBeUndefined();
  });

  test('R17: a symlink at D is never followed and never unlinked', async () => {
    const outside = await fsp.mkdtemp(path.join(os.tmpdir(), 'ipcm-out-'));
    try {
      const target = path.join(outside, 'target');
      await fsp.writeFile(target, '');
      const link = path.join(base, 'svc');
      await fsp.symlink(target, link);
      await fsp.writeFile(`${link}.pid`, `${await deadPid()}\n`);
      const dir = await RouteDirectory.open(base);
      await expect(dir.claim('svc', 'marker', probeOptions)).rejects.toThrow(RouteError);
      expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
      expect(fs.readFileSync(target, 'utf8')).toBe('');
      expect(await dir.lookup('svc')).toBeUndefined(); // an empty target would read as a marker if followed
      expect(await dir.list({ includeDead: true })).toEqual([]);
    } finally {
      await fsp.rm(outside, { recursive: true, force: true });
    }
  });

  test('R17: a symlink at D.pid is never followed nor removed', async () => {
    const target = path.join(base, '_target');
    await fsp.writeFile(target, `${await deadPid()}\n`);
    await fsp.symlink(target, path.join(base, 'svc.pid'));
    const dir = await RouteDirectory.open(base, later);
    await expect(dir.claim('svc', 'marker', probeOptions)).rejects.toThrow(RouteError);
    expect(fs.lstatSync(path.join(base, 'svc.pid')).isSymbolicLink()).toBe(true);
    expect(await dir.reapStale(unixProbe)).toEqual([]);
    expect(leftovers(base)).toEqual(['_target', 'svc.pid']);
  });

  test('a lock that holds no pid is in use while young and stale after the grace period', async () => {
    await fsp.writeFile(path.join(base, 'svc.pid'), '');
    await expect((await RouteDirectory.open(base)).claim('svc', 'marker', probeOptions)).rejects.toThrow(IdInUseError);
    await claimOf(await RouteDirectory.open(base, later), 'svc', 'marker');
  });

  test('a guard left by a taker killed mid-takeover does not block the id', async () => {
    const dead = await deadPid();
    await staleSocketAt(path.join(base, 'svc'));
    await fsp.writeFile(path.join(base, 'svc.pid'), `${dead}\n`);
    await fsp.writeFile(path.join(base, '_lock.svc'), `${dead}\n`);
    const dir = await RouteDirectory.open(base);
    await claimOf(dir, 'svc', 'socket');
    expect(leftovers(base)).toEqual(['svc.pid']);
  });

  test('a live guard means someone is taking the id over: IdInUseError', async () => {
    await fsp.writeFile(path.join(base, 'svc.pid'), `${await deadPid()}\n`);
    await fsp.writeFile(path.join(base, '_lock.svc'), `${process.ppid}\n`);
    const dir = await RouteDirectory.open(base);
    await expect(dir.claim('svc', 'marker', probeOptions)).rejects.toThrow(/being taken over/);
  });
});

describe('races (R18)', () => {
  test('R18: 10 concurrent claims in one process: exactly one wins', async () => {
    const dirs = await Promise.all(Array.from({ length: 10 }, () => RouteDirectory.open(base)));
    const results = await Promise.allSettled(dirs.map((dir) => dir.claim('one', 'marker', probeOptions)));
    const won = results.filter((r): r is PromiseFulfilledResult<RouteClaim> => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    claims.push(...won.map((r) => r.value));
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(IdInUseError);
  });

  test('R18: 10 concurrent claims over a stale leftover: exactly one wins, the winner keeps its socket', async () => {
    const socketPath = path.join(base, 'one');
    const dead = await deadPid();
    // Real clock: a fresh lock is within its grace period (its owner has not
    // bound yet), which is what protects the winner from the others.
    const dirs = await Promise.all(Array.from({ length: 10 }, () => RouteDirectory.open(base)));
    let claim: RouteClaim | undefined;
    for (let round = 0; round < 10; round++) {
      await staleSocketAt(socketPath);
      await fsp.writeFile(`${socketPath}.pid`, `${dead}\n`);
      const results = await Promise.allSettled(dirs.map((dir) => dir.claim('one', 'socket', probeOptions)));
      const won = results.filter((r): r is PromiseFulfilledResult<RouteClaim> => r.status === 'fulfilled');
      claims.push(...won.map((r) => r.value));
      expect([round, won.length]).toEqual([round, 1]);
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(IdInUseError);
      claim = (won[0] as PromiseFulfilledResult<RouteClaim>).value;
      if (round < 9) await claim.release();
    }
    claim = claim as RouteClaim;
    await listenAt(claim.path);
    await claim.publish();
    // Late claimants find a live owner, even past the grace period.
    const late = await RouteDirectory.open(base, later);
    await expect(late.claim('one', 'socket', probeOptions)).rejects.toThrow(IdInUseError);
    expect(await answers(socketPath)).toBe('hi');
    expect(leftovers(base)).toEqual(['one', 'one.pid']);
  });

  test('R18: a lock replaced between judging it and taking it over is left alone', async () => {
    const socketPath = path.join(base, 'svc');
    await staleSocketAt(socketPath);
    await fsp.writeFile(`${socketPath}.pid`, `${process.ppid}\n`); // a recycled pid, judged by the probe
    let replacement: fs.Stats | undefined;
    const probe: EntryProbe = async () => {
      if (replacement !== undefined) return 'live';
      // While we decide, another process takes the id over: a new lock file.
      await fsp.unlink(`${socketPath}.pid`);
      await fsp.writeFile(`${socketPath}.pid`, `${process.ppid}\n`);
      replacement = fs.statSync(`${socketPath}.pid`);
      return 'stale';
    };
    const dir = await RouteDirectory.open(base, later);
    await expect(dir.claim('svc', 'socket', { probe })).rejects.toThrow(IdInUseError);
    expect(fs.statSync(`${socketPath}.pid`).ino).toBe(replacement?.ino);
    expect(fs.lstatSync(socketPath).isSocket()).toBe(true);
  });

  test('R18: 4 processes race for one id over a stale leftover: exactly one wins, nobody deletes its live socket', async () => {
    const socketPath = path.join(base, 'contested');
    await staleSocketAt(socketPath);
    await fsp.writeFile(`${socketPath}.pid`, `${await deadPid()}\n`);
    const racers = await Promise.all(Array.from({ length: 4 }, () => startHolder(base, 'contested', 'race'))); // all loaded
    const results = await Promise.all(racers.map((racer) => racer.request('go', null)));
    const winners = results.filter((r) => r.ok);
    expect(winners).toHaveLength(1);
    expect(results.flatMap((r) => (r.ok ? [] : [r.code]))).toEqual(Array(3).fill('ERR_IPCM_ID_IN_USE'));
    expect(await answers(socketPath)).toBe('hello');
    expect(fs.readFileSync(`${socketPath}.pid`, 'utf8')).toBe(`${winners[0]?.pid}`);

    const winner = racers.find((racer) => racer.pid === winners[0]?.pid) as PeerProcess<RouteHolder>;
    expect(await winner.close()).toEqual({ exitCode: 0, signal: null, result: { released: true } });
    expect(leftovers(base)).toEqual([]); // no lock, guard or temp file left behind
  });
});

describe('lookup, list, reapStale', () => {
  test('list skips dead pids unless asked; entries are sorted by id', async () => {
    const dir = await RouteDirectory.open(base);
    await (await claimOf(dir, 'b-live', 'marker')).publish();
    await (await claimOf(dir, 'a-live', 'marker')).publish();
    await fsp.writeFile(path.join(base, 'dead'), '');
    await fsp.writeFile(path.join(base, 'dead.pid'), `${await deadPid()}\n`);
    await fsp.writeFile(path.join(base, 'nopid'), '');
    expect((await dir.list()).map((e) => e.id)).toEqual(['a-live', 'b-live']);
    const all = await dir.list({ includeDead: true });
    expect(all.map((e) => [e.id, e.alive])).toEqual([
      ['a-live', true],
      ['b-live', true],
      ['dead', false],
      ['nopid', false],
    ]);
    expect(all.find((e) => e.id === 'nopid')?.pid).toBeUndefined();
  });

  test('lookup and list find hashed ids through D.name, and skip hashed entries without a matching D.name', async () => {
    const dir = await RouteDirectory.open(base);
    const id = 'team/worker\u0000#1';
    const claim = await claimOf(dir, id, 'marker');
    await claim.publish();
    expect(claim.name).toBe(hashedEntryName(id));
    expect(await dir.lookup(id)).toMatchObject({ id, name: hashedEntryName(id), kind: 'marker', alive: true });
    expect((await dir.list()).map((e) => e.id)).toEqual([id]);

    const orphan = hashedEntryName('or/phan');
    await fsp.writeFile(path.join(base, orphan), '');
    await fsp.writeFile(path.join(base, `${orphan}.pid`), `${process.pid}\n`);
    const liar = hashedEntryName('liar');
    await fsp.writeFile(path.join(base, liar), '');
    await fsp.writeFile(path.join(base, `${liar}.pid`), `${process.pid}\n`);
    await fsp.writeFile(path.join(base, `${liar}.name`), 'not-the-liar');
    expect((await dir.list({ includeDead: true })).map((e) => e.id)).toEqual([id]);
    // lookup knows the id, so it needs no D.name.
    expect(await dir.lookup('or/phan')).toMatchObject({ id: 'or/phan', name: orphan, kind: 'marker' });
  });

  test('lookup of an unknown or unpublished id is undefined', async () => {
    const dir = await RouteDirectory.open(base);
    expect(await dir.lookup('nobody')).toBeUndefined();
    await claimOf(dir, 'claimed', 'socket');
    expect(await dir.lookup('claimed')).toBeUndefined();
  });

  test('list ignores companion files, our temporary files and foreign names', async () => {
    const dir = await RouteDirectory.open(base);
    await (await claimOf(dir, 'real', 'marker')).publish();
    for (const name of ['_tmp.1.abc', '_lock.real', 'x.stats', 'y.name', 'h-nothex', 'h-' + 'a'.repeat(39)]) {
      await fsp.writeFile(path.join(base, name), '');
    }
    await fsp.mkdir(path.join(base, 'subdir'));
    expect((await dir.list({ includeDead: true })).map((e) => e.id)).toEqual(['real']);
  });

  test('reapStale removes what dead processes left and nothing else', async () => {
    const dead = await deadPid();
    const dir = await RouteDirectory.open(base);
    const live = await claimOf(dir, 'live', 'socket');
    await listenAt(live.path);
    await live.publish();
    await listenAt(path.join(base, 'perl-peer')); // live socket, no lock: kept
    await staleSocketAt(path.join(base, 'dead-sock'));
    await fsp.writeFile(path.join(base, 'dead-sock.pid'), `${dead}\n`);
    await fsp.writeFile(path.join(base, 'dead-sock.stats'), '{"sent":{},"read":{}}');
    await staleSocketAt(path.join(base, 'orphan-sock')); // no lock, nobody listening
    const hashed = hashedEntryName('a/b');
    await fsp.writeFile(path.join(base, hashed), '');
    await fsp.writeFile(path.join(base, `${hashed}.pid`), `${dead}\n`);
    await fsp.writeFile(path.join(base, `${hashed}.name`), 'a/b');
    await fsp.writeFile(path.join(base, 'lock-only.pid'), `${dead}\n`);
    await fsp.writeFile(path.join(base, 'notes'), 'not ours'); // foreign: kept
    await fsp.writeFile(path.join(base, 'notes.pid'), `${dead}\n`);
    await fsp.writeFile(path.join(base, `_tmp.${dead}.0123456789ab`), '');
    await fsp.writeFile(path.join(base, `_lock.dead-sock`), `${dead}\n`);
    await fsp.writeFile(path.join(base, 'young.pid'), ''); // being written: kept

    const reaped = await dir.reapStale(unixProbe);
    expect(reaped.sort()).toEqual(['a/b', 'dead-sock', 'lock-only', 'orphan-sock']);
    // notes.pid named a dead process, so it went; the foreign file it guarded stays.
    // The hashed entry's D.name stays, like D.stats (IPC::Manager keeps both).
    expect(leftovers(base)).toEqual([
      'dead-sock.stats',
      `${hashedEntryName('a/b')}.name`,
      'live',
      'live.pid',
      'notes',
      'perl-peer',
      'young.pid',
    ]);
    expect(await answers(live.path)).toBe('hi');
    expect(await answers(path.join(base, 'perl-peer'))).toBe('hi');
  });
});

describe('helpers', () => {
  test('spawnRoute makes a short private directory; removeRoute removes it', async () => {
    const route = await spawnRoute();
    expect(path.dirname(route)).toBe(os.tmpdir());
    expect(path.basename(route)).toMatch(/^ipcm-/);
    expect(mode(route)).toBe(0o700);
    const dir = await RouteDirectory.open(route, { create: false });
    await (await dir.claim('a', 'marker', probeOptions)).publish();
    await removeRoute(route);
    expect(fs.existsSync(route)).toBe(false);
    await removeRoute(route); // missing is fine

    const inside = await spawnRoute({ parent: base, prefix: 'r' });
    expect(path.dirname(inside)).toBe(base);
    await expect(spawnRoute({ prefix: 'a/b' })).rejects.toThrow(TypeError);
    await expect(removeRoute('/')).rejects.toThrow(TypeError);
  });

  test('R15: spawnRoute refuses (and removes) a directory too long for sockets', async () => {
    const deep = path.join(base, 'p'.repeat(60));
    await fsp.mkdir(deep);
    await expect(spawnRoute({ parent: deep })).rejects.toThrow(RouteError);
    expect(fs.readdirSync(deep)).toEqual([]);
  });

  test('R19: secureSocketFile makes a socket 0600 and refuses anything else', async () => {
    const previous = process.umask(0);
    try {
      const socketPath = path.join(base, 'sock');
      await listenAt(socketPath);
      expect(mode(socketPath)).toBe(0o777);
      await secureSocketFile(socketPath);
      expect(mode(socketPath)).toBe(0o600);
    } finally {
      process.umask(previous);
    }
    const file = path.join(base, 'file');
    await fsp.writeFile(file, '');
    await expect(secureSocketFile(file)).rejects.toThrow(RouteError);
    await expect(secureSocketFile(path.join(base, 'missing'))).rejects.toThrow(RouteError);
  });
});

describe('route directories laid out by Perl IPC::Manager 0.000038 (captured listings, test/fixtures)', () => {
  /**
   * Recreates a captured listing in `base`: real listening sockets, files
   * with their content, `<pid ...>` placeholders replaced by `pid` written as
   * Perl writes it (no newline), modes as captured.
   */
  async function recreate(listing: RouteListing, pid: number): Promise<void> {
    for (const [name, file] of Object.entries(listing.listing)) {
      const at = path.join(base, name);
      if (file.type === 'socket') await listenAt(at);
      else await fsp.writeFile(at, (file.content ?? '').replace(/<pid [^>]*>/g, String(pid)));
      await fsp.chmod(at, parseInt(file.mode, 8));
    }
  }

  const hashedPerlId = (listing: RouteListing): string => {
    const nameFile = Object.entries(listing.listing).find(([name]) => name.endsWith('.name'));
    return nameFile?.[1].content as string;
  };

  test('live Perl peers are listed with their real ids, kinds and pids (a .pid with no newline parses)', async () => {
    const listing = perlRouteListing('perl peers, live');
    await recreate(listing, process.pid);
    expect(fs.readFileSync(path.join(base, 'pl.pid'), 'utf8')).toBe(String(process.pid));
    const dir = await RouteDirectory.open(base);
    const id = hashedPerlId(listing);
    expect(dir.entryName(id)).toBe('h-2b98beae721dfa6bd036e5ba4c0351560b6979ae');
    const entries = await dir.list();
    expect(entries.map((e) => [e.id, e.kind, e.pid, e.alive])).toEqual(
      [
        [id, 'socket', process.pid, true],
        ['pl', 'socket', process.pid, true],
        ['pn', 'marker', process.pid, true],
      ].sort((a, b) => (String(a[0]) < String(b[0]) ? -1 : 1)),
    );
    expect(await dir.lookup(id)).toMatchObject({ kind: 'socket', path: path.join(base, dir.entryName(id)) });
    // A live Perl peer's id is never taken over.
    await expect(dir.claim('pl', 'socket', probeOptions)).rejects.toThrow(IdInUseError);
  });

  test('Perl peers after disconnect: nobody is listed, the stats read back by real id, and reaping keeps .stats and .name', async () => {
    const listing = perlRouteListing('perl peers, after disconnect (processes still running)');
    const dead = await deadPid();
    await recreate(listing, dead);
    const dir = await RouteDirectory.open(base);
    const id = hashedPerlId(listing);
    expect(await dir.list({ includeDead: true })).toEqual([]);
    expect(await dir.stats('pl')).toEqual({ sent: { pn: 1 }, read: { pn: 1 } });
    expect(await dir.stats('pn')).toEqual({ sent: { pl: 1 }, read: { pl: 1 } });
    expect(await dir.stats(id)).toEqual({ sent: {}, read: {} });
    // The locks of the dead processes go (IPC::Manager would leave them to its next run); the rest stays.
    await dir.reapStale(unixProbe);
    expect(leftovers(base)).toEqual(Object.keys(listing.listing).filter((name) => !name.endsWith('.pid')).sort());
  });

  test('a hashed peer that closes leaves what a Perl peer leaves, less its lock: D.name and D.stats', async () => {
    const perl = perlRouteListing('perl peers, after disconnect (processes still running)');
    const dir = await RouteDirectory.open(base);
    const id = hashedPerlId(perl);
    const claim = await dir.claim(id, 'socket', probeOptions);
    const server = await listenAt(claim.path);
    await claim.publish();
    await claim.writeStats({ sent: {}, read: {} });
    await new Promise((resolve) => server.close(resolve));
    await claim.release();
    const perlHashed = Object.keys(perl.listing).filter((name) => name.startsWith('h-') && !name.endsWith('.pid'));
    expect(leftovers(base)).toEqual(perlHashed.sort());
    expect(fs.readFileSync(path.join(base, `${claim.name}.name`), 'utf8')).toBe(id);
  });
});
