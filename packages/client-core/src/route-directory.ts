/*
 * The route directory: one directory per IPC group, laid out like
 * IPC::Manager's so Perl and Node peers can find each other. The layout and
 * the ownership and locking algorithm (R16-R18, R32) are described at the top
 * of entry-store.ts, which implements them.
 */
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InvalidOptionError, OptionRangeError, RouteError } from './errors.js';
import { checkOptionNames } from './option-checks.js';
import { EntryStore } from './entry-store.js';
import { isAlive, readLockQuiet } from './lock-file.js';
import { assertRouteFitsBudget, entryNameFor, isEntryName, isHashedEntryName } from './peer-name.js';
import { Claim } from './route-claim.js';
import { countsFrom, isPlainObject, safeJson } from './route-checks.js';
import { describeType, errnoCode, readSmall } from './route-fs.js';
import { reapEntries } from './route-reaper.js';
import type {
  ClaimOptions,
  EntryKind,
  EntryProbe,
  PeerEntry,
  PeerStats,
  RouteClaim,
  RouteDirectoryOptions,
  SpawnRouteOptions,
} from './route-types.js';

const DEFAULT_GRACE_MS = 2000;
/** Every {@link RouteDirectoryOptions} field; others are refused as typos. */
const ROUTE_DIRECTORY_OPTION_NAMES = ['create', 'graceMs', 'now', 'processId'] as const satisfies ReadonlyArray<
  keyof RouteDirectoryOptions
>;
const ENTRY_KINDS: ReadonlySet<string> = new Set<EntryKind>(['socket', 'address', 'marker']);

/**
 * A route directory shared with IPC::Manager: where peers claim their ids,
 * publish how to reach them, and find each other. See the top of
 * entry-store.ts for the layout and the locking algorithm.
 *
 * @example
 * const route = await RouteDirectory.open('/tmp/ipcm-demo');
 * const claim = await route.claim('worker-1', 'socket', { probe: unixProbe });
 * server.listen(claim.path, () => void claim.publish());
 * const peers = await route.list(); // live peers, 'worker-1' among them
 * // ... on close:
 * await new Promise((resolve) => server.close(resolve));
 * await claim.release();
 */
export class RouteDirectory {
  /** The absolute path of the directory. */
  readonly path: string;
  readonly #store: EntryStore;

  private constructor(store: EntryStore) {
    this.path = store.dir;
    this.#store = store;
  }

  /**
   * Opens (by default creating, mode 0700) a route directory. An existing
   * directory is checked, never repaired (R19): it is refused with RouteError
   * when it is a symbolic link, not a directory, owned by another user, or
   * accessible to group or others (IPC::Manager's directories are 0700).
   * Only the last path component is checked for being a symlink.
   *
   * @throws {RouteError} when the directory is unusable or its path is too
   *   long for the socket path budget.
   * @throws {InvalidOptionError|OptionRangeError} (`ERR_IPCM_INVALID_OPTION`,
   *   also `TypeError`/`RangeError`) for bad or unknown options.
   */
  static async open(routePath: string, options: RouteDirectoryOptions = {}): Promise<RouteDirectory> {
    if (typeof routePath !== 'string' || routePath === '') {
      throw new TypeError(`routePath must be a non-empty string, received ${safeJson(routePath)}`);
    }
    if (typeof options !== 'object' || options === null) {
      throw new InvalidOptionError(`RouteDirectory.open options must be an object, received ${safeJson(options)}`);
    }
    checkOptionNames(options, ROUTE_DIRECTORY_OPTION_NAMES, 'RouteDirectory.open options');
    const { create = true, graceMs = DEFAULT_GRACE_MS, now = Date.now, processId = () => process.pid } = options;
    if (typeof create !== 'boolean') throw new InvalidOptionError(`create must be a boolean, received ${safeJson(create)}`);
    if (typeof graceMs !== 'number') throw new InvalidOptionError(`graceMs must be a number, received ${safeJson(graceMs)}`);
    if (!Number.isFinite(graceMs) || graceMs < 0) {
      throw new OptionRangeError(`graceMs must be a finite number >= 0, received ${safeJson(graceMs)}`);
    }
    if (typeof now !== 'function') throw new InvalidOptionError(`now must be a function, received ${typeof now}`);
    if (typeof processId !== 'function') throw new InvalidOptionError(`processId must be a function, received ${typeof processId}`);

    const dir = path.resolve(routePath);
    assertRouteFitsBudget(dir);
    let stat;
    try {
      stat = await fsp.lstat(dir);
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw new RouteError(`cannot inspect route directory ${dir}`, { cause: err });
      if (!create) throw new RouteError(`route directory ${dir} does not exist`, { cause: err });
      try {
        // Only the directory we create ourselves is chmod'ed; one that another
        // process created first is checked like any existing one.
        if ((await fsp.mkdir(dir, { recursive: true, mode: 0o700 })) !== undefined) await fsp.chmod(dir, 0o700);
      } catch (mkdirErr) {
        throw new RouteError(`cannot create route directory ${dir}`, { cause: mkdirErr });
      }
      stat = await fsp.lstat(dir);
    }
    if (stat.isSymbolicLink()) throw new RouteError(`route directory ${dir} is a symbolic link; refusing it`);
    if (!stat.isDirectory()) throw new RouteError(`route directory ${dir} is ${describeType(stat)}, not a directory`);
    const uid = process.getuid?.();
    if (uid !== undefined && stat.uid !== uid) {
      throw new RouteError(`route directory ${dir} is owned by uid ${stat.uid}, not by this user (uid ${uid})`);
    }
    if ((stat.mode & 0o077) !== 0) {
      throw new RouteError(
        `route directory ${dir} is accessible to group or others (mode ${(stat.mode & 0o777).toString(8)}); it must be 0700`,
      );
    }
    return new RouteDirectory(new EntryStore(dir, graceMs, now, processId));
  }

  /**
   * The entry name D of `id` in this directory ({@link entryNameFor}).
   *
   * @throws {InvalidIdError} for an invalid id.
   */
  entryName(id: string): string {
    return entryNameFor(this.path, id);
  }

  /** The full path of `id`'s entry D: where its socket is bound. */
  entryPath(id: string): string {
    return this.#store.at(this.entryName(id));
  }

  /**
   * Claims `id` for this process: takes the lock `D.pid`, taking over a stale
   * one (dead pid; or a live but recycled pid whose endpoint the probe finds
   * dead, once the grace period has passed), clears any stale leftover at D,
   * and writes `D.name` for a hashed D. Then publish the endpoint with
   * {@link RouteClaim.publish}; for a socket, listen at `claim.path` first.
   *
   * @throws {IdInUseError} when a live process holds the id, or another
   *   process is taking it over at the same moment.
   * @throws {RouteError} when something that is not a route entry (a foreign
   *   file, a symlink, a directory) is at D or `D.pid`; it is left untouched.
   * @throws {InvalidIdError} for an invalid id.
   * @example
   * const claim = await route.claim('logger', 'marker', { probe });
   * await claim.publish();
   */
  async claim(id: string, kind: EntryKind, options: ClaimOptions): Promise<RouteClaim> {
    const name = this.entryName(id);
    if (!ENTRY_KINDS.has(kind)) throw new TypeError(`kind must be 'socket', 'address' or 'marker', received ${safeJson(kind)}`);
    if (!isPlainObject(options) || typeof options.probe !== 'function') {
      throw new TypeError(`options.probe must be a function, received ${typeof (options as { probe?: unknown } | undefined)?.probe}`);
    }
    const store = this.#store;
    const pid = store.pid();
    const lock = await store.acquire(name, JSON.stringify(id), options.probe, true);
    if (isHashedEntryName(name)) {
      try {
        await store.writeReplace(store.at(`${name}.name`), id);
      } catch (err) {
        await store.unlinkIfSame(store.at(`${name}.pid`), lock);
        throw err;
      }
    }
    return new Claim(store, id, name, kind, lock, pid);
  }

  /**
   * The entry of `id`, whatever the state of its process (see `alive`), or
   * `undefined` when it has no published endpoint.
   *
   * @example
   * const entry = await route.lookup('worker-1');
   * if (entry?.kind === 'socket' && entry.alive) net.connect(entry.path);
   */
  async lookup(id: string): Promise<PeerEntry | undefined> {
    return this.#inspect(this.entryName(id), id);
  }

  /**
   * The ids of every entry, without inspecting them (no liveness, no kind):
   * one directory read, plus a `.name` read per hashed entry. For callers
   * that will inspect only the ids they do not already know.
   */
  async ids(): Promise<string[]> {
    const names = (await this.#names()).filter((name) => isEntryName(this.path, name));
    const ids = await Promise.all(
      names.map((name) => (isHashedEntryName(name) ? this.#store.idOfHashed(name) : Promise.resolve(name))),
    );
    return ids.filter((id): id is string => id !== undefined).sort();
  }

  /**
   * The peers with a published endpoint, sorted by id; by default only those
   * whose `D.pid` names a running process. Entries whose id cannot be known
   * (a hashed D without a matching `D.name`) or whose D is not a route entry
   * are left out; entries vanishing meanwhile are tolerated.
   */
  async list(options: { includeDead?: boolean | undefined } = {}): Promise<PeerEntry[]> {
    const includeDead = options.includeDead ?? false;
    const names = (await this.#names()).filter((name) => isEntryName(this.path, name));
    const entries = await Promise.all(names.map((name) => this.#inspect(name, undefined)));
    return entries
      .filter((entry): entry is PeerEntry => entry !== undefined && (includeDead || entry.alive))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /**
   * The counts `id` left in `D.stats`, or `undefined` when there are none.
   *
   * @throws {RouteError} when the file is not valid stats.
   */
  async stats(id: string): Promise<PeerStats | undefined> {
    const file = this.#store.at(`${this.entryName(id)}.stats`);
    const read = await readSmall(file);
    if (read === undefined) return undefined;
    let value: unknown;
    try {
      value = JSON.parse(read.text);
    } catch (err) {
      throw new RouteError(`${file} is not valid JSON`, { cause: err });
    }
    if (!isPlainObject(value) || !isPlainObject(value['sent']) || !isPlainObject(value['read'])) {
      throw new RouteError(`${file} does not hold {"sent":{...},"read":{...}}`);
    }
    return { sent: countsFrom(value['sent']), read: countsFrom(value['read']) };
  }

  /**
   * Removes the entries left by processes that are gone: a `D.pid` naming a
   * dead process (or holding no pid, once older than the grace period), with
   * its D; a socket with no lock that the probe finds dead; a
   * marker or address file with no lock (a holder creates `D.pid` before D
   * and removes it after D, so D without a lock is a leftover).
   * Never touches a live process's entry, a live socket, or anything that is
   * not a route entry; `D.stats` and `D.name` are kept. Also removes temporary files of
   * dead processes (`_tmp.<pid>.<hex>` left by a SIGKILL during a claim).
   * Returns the ids reaped (the entry name when a hashed entry's id is
   * unknown).
   *
   * `limit` bounds the work of one call: at most `limit` entries and
   * `limit` temporary files are removed, and at most `4 * limit` entries
   * are inspected, starting at a random place in the directory so that
   * repeated calls cover all of it. A client's start calls it with a limit
   * of 16 (R37).
   */
  async reapStale(probe: EntryProbe, options: { limit?: number | undefined } = {}): Promise<string[]> {
    if (typeof probe !== 'function') throw new TypeError(`probe must be a function, received ${typeof probe}`);
    const limit = options.limit ?? Infinity;
    if (typeof limit !== 'number' || !(limit >= 1)) {
      throw new RangeError(`limit must be a number >= 1, received ${safeJson(limit)}`);
    }
    return reapEntries(this.#store, await this.#names(), probe, limit);
  }

  async #names(): Promise<string[]> {
    try {
      return await fsp.readdir(this.path);
    } catch (err) {
      throw new RouteError(`cannot read route directory ${this.path}`, { cause: err });
    }
  }

  async #inspect(name: string, knownId: string | undefined): Promise<PeerEntry | undefined> {
    const store = this.#store;
    const endpoint = await store.endpoint(name);
    if (endpoint.type === 'missing' || endpoint.type === 'foreign') return undefined;
    const id = knownId ?? (isHashedEntryName(name) ? await store.idOfHashed(name) : name);
    if (id === undefined) return undefined;
    const lock = await readLockQuiet(store.at(`${name}.pid`));
    const pid = lock?.pid;
    const base = { id, name, path: store.at(name), pid, alive: pid !== undefined && isAlive(pid) };
    switch (endpoint.type) {
      case 'socket':
        return { ...base, kind: 'socket' };
      case 'marker':
        return { ...base, kind: 'marker' };
      case 'address':
        return { ...base, kind: 'address', address: endpoint.address };
    }
  }
}

/**
 * Creates a new, empty, private (0700) route directory and returns its
 * absolute path.
 *
 * @throws {RouteError} when the resulting path is too long for sockets (it
 *   is removed again).
 * @example
 * const route = await spawnRoute();
 * const dir = await RouteDirectory.open(route);
 * // ...
 * await removeRoute(route);
 */
export async function spawnRoute(options: SpawnRouteOptions = {}): Promise<string> {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError(`spawnRoute options must be an object, received ${safeJson(options)}`);
  }
  checkOptionNames(options, ['prefix', 'parent'] satisfies ReadonlyArray<keyof SpawnRouteOptions>, 'spawnRoute options');
  const prefix = options.prefix ?? 'ipcm-';
  if (typeof prefix !== 'string' || prefix.length > 32 || /[/\\\u0000]/.test(prefix)) {
    throw new InvalidOptionError(`prefix must be a string of at most 32 characters without "/", "\\" or NUL, received ${safeJson(prefix)}`);
  }
  const parent = options.parent ?? os.tmpdir();
  if (typeof parent !== 'string' || parent === '') {
    throw new InvalidOptionError(`parent must be a non-empty string, received ${safeJson(parent)}`);
  }
  const dir = await fsp.mkdtemp(path.join(path.resolve(parent), prefix));
  try {
    await fsp.chmod(dir, 0o700);
    assertRouteFitsBudget(dir);
  } catch (err) {
    await fsp.rm(dir, { recursive: true, force: true });
    throw err;
  }
  return dir;
}

/**
 * Removes a route directory and everything in it; a missing directory is
 * not an error.
 *
 * @example
 * await removeRoute(route);
 */
export async function removeRoute(routePath: string): Promise<void> {
  if (typeof routePath !== 'string' || routePath === '') {
    throw new TypeError(`routePath must be a non-empty string, received ${safeJson(routePath)}`);
  }
  const resolved = path.resolve(routePath);
  if (resolved === path.parse(resolved).root) throw new TypeError(`refusing to remove ${resolved}`);
  await fsp.rm(resolved, { recursive: true, force: true });
}
