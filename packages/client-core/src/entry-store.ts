/*
 * The route directory: one directory per IPC group, laid out like
 * IPC::Manager's so Perl and Node peers can find each other. For a peer whose
 * entry name is D (see peer-name.ts):
 *
 *   D        its endpoint: a Unix socket; or a 0600 file holding its address
 *            as one line of JSON (`{"transport":"tcp",...}`, our extension);
 *            or an empty 0600 marker when it does not listen
 *   D.pid    its process id, decimal, no newline (as IPC::Manager writes it;
 *            a trailing newline is accepted when read): the ownership lock
 *   D.name   its real id, when D is hashed
 *   D.stats  its sent/read counts at disconnect (JSON)
 *
 * Our own short-lived files start with `_` (`_tmp.<pid>.<hex>`,
 * `_lock.<D>`, `_reap.<pid>.<hex>`); no entry name can, since ids cannot.
 *
 * Ownership and races (R16-R18, R32)
 * ----------------------------------
 * Only the holder of D.pid creates, binds or unlinks D. D.pid is created
 * whole and exclusively: the pid is written to a private temporary file,
 * which is then hard-linked to D.pid (link() fails with EEXIST and never
 * clobbers, so D.pid is never seen empty or half-written).
 *
 * When D.pid already exists, its holder is judged:
 *   - pid dead (kill(pid, 0) gives ESRCH): stale;
 *   - content not a pid (a writer from elsewhere, or corruption): stale once
 *     older than the grace period, live before;
 *   - pid alive (R17 recycled pids; claims only): live while D.pid is younger
 *     than the grace period, so an owner between taking the lock and binding
 *     is never robbed; after that stale only when there is no D, or D is a
 *     socket or an address file that the injected probe finds dead. A marker,
 *     or anything that is not ours, with a live pid is in use.
 * A live holder means IdInUseError. To take over a stale lock, a claimant
 * takes the entry's guard `_lock.<D>` (itself created by link, holding the
 * guard owner's pid), re-reads D.pid, and unlinks it only if it is still the
 * very file it judged (same device, inode, mtime and content); then it
 * releases the guard and retries the exclusive creation. Whoever then creates
 * D.pid first wins; everyone else finds a fresh lock with a live pid and gets
 * IdInUseError (R18). A claimant that finds the guard held by a live process
 * gets IdInUseError at once: someone else is taking the id over right now.
 *
 * The new holder then clears what is left at D: a socket only after the probe
 * finds it dead (a live socket is never unlinked, even with no valid lock);
 * our marker or address files; anything else (a foreign regular file, a
 * symlink, which is never followed, a directory) is left alone and reported
 * with RouteError (R17).
 *
 * release() takes the guard too, checks that D.pid is still the file this
 * claim created, and removes D and, last, D.pid, leaving D.stats and D.name
 * (as IPC::Manager does: D.name attributes D.stats to the real id). It
 * does nothing in a process other than the one that claimed (R32).
 *
 * The guard closes the window between "check D.pid" and "unlink D.pid"
 * against another taker. A guard whose holder died (SIGKILL mid-takeover) is
 * stale when its pid is dead or it is older than the grace period; removing
 * it uses rename-aside-then-verify, so the one remaining race needs a crashed
 * taker plus two new takers interleaving within microseconds.
 *
 * Beside this file: lock-file.ts reads a lock (its pid and identity),
 * entry-endpoint.ts says what is at D, route-reaper.ts removes what dead
 * processes left.
 */
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import type { BigIntStats } from 'node:fs';
import * as path from 'node:path';
import { inspectEndpoint, type Endpoint } from './entry-endpoint.js';
import { IdInUseError, RouteError } from './errors.js';
import { isAlive, parsePid, readLock, readLockQuiet, sameFile, type LockFile } from './lock-file.js';
import { hashedEntryName } from './peer-name.js';
import { errnoCode, readSmall, unlinkQuiet } from './route-fs.js';
import type { EntryProbe, ProbeTarget } from './route-types.js';

/** Rounds of "create, else judge and take over" before giving up. */
const MAX_ATTEMPTS = 5;
/** Rounds of "create the guard, else remove a stale one". */
const MAX_GUARD_ATTEMPTS = 3;
export const TEMP_PREFIX = '_tmp.';
export const GUARD_PREFIX = '_lock.';
export const REAP_PREFIX = '_reap.';
/** Returned by a guarded section that could not take the guard. */
const BUSY = Symbol('busy');

/**
 * The file operations shared by a directory and its claims; not exported
 * from the package, so claims have no back door into the directory.
 */
export class EntryStore {
  readonly dir: string;
  readonly #graceMs: number;
  readonly #now: () => number;
  readonly #processId: () => number;

  constructor(dir: string, graceMs: number, now: () => number, processId: () => number) {
    this.dir = dir;
    this.#graceMs = graceMs;
    this.#now = now;
    this.#processId = processId;
  }

  pid(): number {
    return this.#processId();
  }

  at(name: string): string {
    return path.join(this.dir, name);
  }

  #tempPath(prefix: string): string {
    return this.at(`${prefix}${this.pid()}.${randomBytes(6).toString('hex')}`);
  }

  /**
   * Creates `target` holding `content`, exclusively and whole: written to a
   * temporary file first, then hard-linked (link never replaces). Returns the
   * new file's identity, or `undefined` when `target` already exists.
   */
  async createExclusive(target: string, content: string): Promise<LockFile | undefined> {
    const temp = this.#tempPath(TEMP_PREFIX);
    try {
      const handle = await fsp.open(temp, 'wx', 0o600);
      let stat: BigIntStats;
      try {
        await handle.chmod(0o600);
        await handle.writeFile(content);
        stat = await handle.stat({ bigint: true });
      } finally {
        await handle.close();
      }
      try {
        await fsp.link(temp, target);
      } catch (err) {
        if (errnoCode(err) === 'EEXIST') return undefined;
        throw err;
      }
      return { dev: stat.dev, ino: stat.ino, mtimeNs: stat.mtimeNs, content, pid: parsePid(content) };
    } finally {
      await unlinkQuiet(temp);
    }
  }

  /** Replaces `target` atomically with a 0600 file holding `content`. */
  async writeReplace(target: string, content: string): Promise<void> {
    const temp = this.#tempPath(TEMP_PREFIX);
    try {
      const handle = await fsp.open(temp, 'wx', 0o600);
      try {
        await handle.chmod(0o600);
        await handle.writeFile(content);
      } finally {
        await handle.close();
      }
      await fsp.rename(temp, target);
    } finally {
      await unlinkQuiet(temp);
    }
  }

  /** Unlinks `file` if it is still the very file `mine` describes. */
  async unlinkIfSame(file: string, mine: LockFile): Promise<boolean> {
    const current = await readLockQuiet(file);
    if (current === undefined || !sameFile(current, mine)) return false;
    await unlinkQuiet(file);
    return true;
  }

  /**
   * Removes a file judged stale without ever losing a newer one: moves it
   * aside (atomic), checks it is the file judged, and puts it back (link
   * never clobbers) if it is not.
   */
  async removeStale(file: string, judged: LockFile): Promise<void> {
    const aside = this.#tempPath(REAP_PREFIX);
    try {
      await fsp.rename(file, aside);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return;
      throw err;
    }
    try {
      const moved = await readLockQuiet(aside);
      if (moved !== undefined && !sameFile(moved, judged)) {
        try {
          await fsp.link(aside, file);
        } catch (err) {
          if (errnoCode(err) !== 'EEXIST') throw err;
        }
      }
    } finally {
      await unlinkQuiet(aside);
    }
  }

  #age(lock: LockFile): number {
    return this.#now() - Number(lock.mtimeNs / 1_000_000n);
  }

  /** A guard is held for a few file operations: stale when dead, corrupt or old. */
  #guardIsStale(guard: LockFile): boolean {
    return guard.pid === undefined || !isAlive(guard.pid) || this.#age(guard) > this.#graceMs;
  }

  /**
   * Runs `section` holding the guard `_lock.<name>`, or returns BUSY when a
   * live process holds it.
   */
  async withGuard<T>(name: string, section: () => Promise<T>): Promise<T | typeof BUSY> {
    const guardPath = this.at(GUARD_PREFIX + name);
    let mine: LockFile | undefined;
    for (let attempt = 0; attempt < MAX_GUARD_ATTEMPTS && mine === undefined; attempt++) {
      mine = await this.createExclusive(guardPath, `${this.pid()}\n`);
      if (mine !== undefined) break;
      const held = await readLockQuiet(guardPath);
      if (held === undefined) continue;
      if (!this.#guardIsStale(held)) return BUSY;
      await this.removeStale(guardPath, held);
    }
    if (mine === undefined) return BUSY;
    try {
      return await section();
    } finally {
      await this.unlinkIfSame(guardPath, mine);
    }
  }

  /** What is at D ({@link inspectEndpoint}). */
  endpoint(name: string): Promise<Endpoint> {
    return inspectEndpoint(this.at(name));
  }

  /**
   * Judges the holder of an existing lock. `recycled` enables the check for
   * a live pid that is not the owner (claims); reaping leaves live pids alone.
   */
  async judge(name: string, lock: LockFile, probe: EntryProbe, recycled: boolean): Promise<{ stale: boolean; why: string }> {
    const age = this.#age(lock);
    if (lock.pid === undefined) {
      return age > this.#graceMs
        ? { stale: true, why: 'its lock holds no pid' }
        : { stale: false, why: 'its lock is being written' };
    }
    if (!isAlive(lock.pid)) return { stale: true, why: `process ${lock.pid} is gone` };
    const live = { stale: false, why: `held by live process ${lock.pid}` };
    if (!recycled || age <= this.#graceMs) return live;
    const endpoint = await this.endpoint(name);
    switch (endpoint.type) {
      case 'missing':
        return { stale: true, why: `process ${lock.pid} has no endpoint` };
      case 'socket':
      case 'address': {
        const target: ProbeTarget =
          endpoint.type === 'socket'
            ? { kind: 'socket', path: this.at(name) }
            : { kind: 'address', path: this.at(name), address: endpoint.address };
        return (await probe(target)) === 'stale'
          ? { stale: true, why: `nothing answers for process ${lock.pid}` }
          : live;
      }
      default:
        return live;
    }
  }

  /**
   * Clears what is left at D once we hold its lock: a socket only if the
   * probe finds it dead; our marker and address files; never anything else.
   */
  async clearLeftover(name: string, probe: EntryProbe): Promise<void> {
    const file = this.at(name);
    const endpoint = await this.endpoint(name);
    switch (endpoint.type) {
      case 'missing':
        return;
      case 'socket':
        if ((await probe({ kind: 'socket', path: file })) === 'live') {
          throw new IdInUseError(`a live socket with no valid lock is at ${file}`);
        }
        await unlinkQuiet(file);
        return;
      case 'marker':
      case 'address':
        await unlinkQuiet(file);
        return;
      case 'foreign':
        throw new RouteError(`${file} is ${endpoint.what}; refusing to remove or replace it`);
    }
  }

  /**
   * Takes the lock D.pid (see the algorithm at the top of this file) and
   * clears D. Returns the lock file created.
   */
  async acquire(name: string, label: string, probe: EntryProbe, recycled: boolean): Promise<LockFile> {
    const lockPath = this.at(`${name}.pid`);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const mine = await this.createExclusive(lockPath, String(this.pid()));
      if (mine !== undefined) {
        try {
          await this.clearLeftover(name, probe);
        } catch (err) {
          await this.unlinkIfSame(lockPath, mine);
          throw err;
        }
        return mine;
      }
      const held = await readLock(lockPath);
      if (held === undefined) continue;
      const verdict = await this.judge(name, held, probe, recycled);
      if (!verdict.stale) throw new IdInUseError(`peer id ${label} is in use: ${verdict.why}`);
      const taken = await this.withGuard(name, async () => {
        const current = await readLock(lockPath);
        if (current !== undefined && sameFile(current, held)) await unlinkQuiet(lockPath);
      });
      if (taken === BUSY) throw new IdInUseError(`peer id ${label} is being taken over by another process`);
    }
    throw new IdInUseError(`peer id ${label} is contended: gave up after ${MAX_ATTEMPTS} attempts`);
  }

  /**
   * Removes D (when it is a socket or our file) and then D.pid, if D.pid is
   * still `mine`. Returns false when it no longer was. D.name stays beside
   * D.stats, as IPC::Manager leaves it, so the counts keep their real id.
   */
  async removeOwned(name: string, mine: LockFile): Promise<boolean> {
    const lockPath = this.at(`${name}.pid`);
    const done = await this.withGuard(name, async () => {
      const current = await readLockQuiet(lockPath);
      if (current === undefined || !sameFile(current, mine)) return false;
      const endpoint = await this.endpoint(name);
      if (endpoint.type !== 'missing' && endpoint.type !== 'foreign') await unlinkQuiet(this.at(name));
      await unlinkQuiet(lockPath);
      return true;
    });
    return done === true;
  }

  /** The id stored for a hashed name, checked against the hash. */
  async idOfHashed(name: string): Promise<string | undefined> {
    let read;
    try {
      read = await readSmall(this.at(`${name}.name`));
    } catch {
      return undefined;
    }
    if (read === undefined) return undefined;
    for (const id of [read.text, read.text.replace(/\r?\n$/, '')]) {
      if (hashedEntryName(id) === name) return id;
    }
    return undefined;
  }
}
