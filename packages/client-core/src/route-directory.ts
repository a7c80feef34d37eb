/*
 * The route directory: one directory per IPC group, laid out like
 * IPC::Manager's so Perl and Node peers can find each other. For a peer whose
 * entry name is D (see peer-name.ts):
 *
 *   D        its endpoint: a Unix socket; or a 0600 file holding its address
 *            as one line of JSON (`{"transport":"tcp",...}`, our extension);
 *            or an empty 0600 marker when it does not listen
 *   D.pid    its process id, decimal, newline-terminated: the ownership lock
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
 * claim created, and removes D, D.name and, last, D.pid, leaving D.stats. It
 * does nothing in a process other than the one that claimed (R32).
 *
 * The guard closes the window between "check D.pid" and "unlink D.pid"
 * against another taker. A guard whose holder died (SIGKILL mid-takeover) is
 * stale when its pid is dead or it is older than the grace period; removing
 * it uses rename-aside-then-verify, so the one remaining race needs a crashed
 * taker plus two new takers interleaving within microseconds.
 */
import { randomBytes } from 'node:crypto';
import { constants as fsConstants, promises as fsp } from 'node:fs';
import type { BigIntStats } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { IdInUseError, RouteError } from './errors.js';
import {
  assertRouteFitsBudget,
  entryNameFor,
  HASHED_NAME_PREFIX,
  hashedEntryName,
  isHashedEntryName,
} from './peer-name.js';

/** What a peer's endpoint file D is. */
export type EntryKind = 'socket' | 'address' | 'marker';

/** A probe's verdict on an endpoint. */
export type Liveness = 'live' | 'stale';

/**
 * A peer's address as stored in an `address` entry: a JSON object whose
 * `transport` names the transport that can reach it. Other keys belong to
 * that transport.
 */
export interface RouteAddress {
  readonly transport: string;
  readonly [key: string]: unknown;
}

/** The address of a peer listening on TCP. */
export interface TcpAddress extends RouteAddress {
  readonly transport: 'tcp';
  readonly host: string;
  readonly port: number;
}

/** What a probe is asked to check. */
export type ProbeTarget =
  | { readonly kind: 'socket'; readonly path: string }
  | { readonly kind: 'address'; readonly path: string; readonly address: RouteAddress };

/**
 * Decides whether an endpoint still has a listener; injected by the
 * transport, since client-core knows none. A Unix transport connects to the
 * socket (`ECONNREFUSED` or `ENOENT`: `'stale'`); a TCP transport connects to
 * the address. A probe must answer `'live'` for targets it cannot check:
 * `'stale'` allows the entry to be removed.
 *
 * @example
 * const probe: EntryProbe = (target) =>
 *   target.kind !== 'socket'
 *     ? Promise.resolve('live')
 *     : new Promise((resolve) => {
 *         const socket = net.connect(target.path);
 *         socket.once('connect', () => { socket.destroy(); resolve('live'); });
 *         socket.once('error', (err: NodeJS.ErrnoException) =>
 *           resolve(err.code === 'ECONNREFUSED' || err.code === 'ENOENT' ? 'stale' : 'live'));
 *       });
 */
export type EntryProbe = (target: ProbeTarget) => Promise<Liveness>;

interface PeerEntryBase {
  /** The peer's id (from `D.name` when D is hashed). */
  readonly id: string;
  /** The entry name D. */
  readonly name: string;
  /** The full path of D. */
  readonly path: string;
  /** The pid in `D.pid`, if there is a readable one. */
  readonly pid: number | undefined;
  /** Whether that pid names a running process. */
  readonly alive: boolean;
}

/** One peer as found in the route directory. */
export type PeerEntry =
  | (PeerEntryBase & { readonly kind: 'socket'; readonly address?: undefined })
  | (PeerEntryBase & { readonly kind: 'address'; readonly address: RouteAddress })
  | (PeerEntryBase & { readonly kind: 'marker'; readonly address?: undefined });

/** A peer's message counts per other peer, as kept in `D.stats`. */
export interface PeerStats {
  readonly sent: Readonly<Record<string, number>>;
  readonly read: Readonly<Record<string, number>>;
}

/** Options of {@link RouteDirectory.open}. */
export interface RouteDirectoryOptions {
  /**
   * Create the directory (mode 0700, parents too) when it does not exist.
   * @default true
   */
  create?: boolean | undefined;
  /**
   * How long, in milliseconds, a lock (`D.pid`) held by a live process is
   * protected from the recycled-pid check, measured from the lock file's
   * mtime. Must cover the time between claiming and listening.
   * @default 2000
   */
  graceMs?: number | undefined;
  /**
   * Wall clock in epoch milliseconds, compared with file mtimes (so it is not
   * a monotonic clock). Injectable so tests need not wait.
   * @default Date.now
   */
  now?: (() => number) | undefined;
  /**
   * This process's id, written into `D.pid` and checked before removing
   * anything. Injectable so tests can act as another process.
   * @default () => process.pid
   */
  processId?: (() => number) | undefined;
}

/** Options of {@link RouteDirectory.claim}. */
export interface ClaimOptions {
  /** Decides whether a leftover socket or address at the entry still has a listener. */
  readonly probe: EntryProbe;
}

/**
 * An id held by this process in a route directory, returned by
 * {@link RouteDirectory.claim}. `await using` releases it.
 */
export interface RouteClaim extends AsyncDisposable {
  /** The claimed peer id. */
  readonly id: string;
  /** The entry name D. */
  readonly name: string;
  /** The full path of D: where a socket transport binds. */
  readonly path: string;
  /** The kind of endpoint this claim publishes. */
  readonly kind: EntryKind;
  /** The pid written into `D.pid`. */
  readonly pid: number;
  /** Whether {@link RouteClaim.release} has run. */
  readonly released: boolean;
  /**
   * Makes the endpoint visible. `'socket'`: call after the transport listens
   * at {@link RouteClaim.path}; checks that a socket is there and makes it
   * 0600 (see {@link secureSocketFile}). `'address'`: writes the address file
   * atomically (required argument; may be called again to change it).
   * `'marker'`: creates the empty 0600 marker.
   *
   * @throws {IdInUseError} when the lock is no longer this claim's.
   * @throws {RouteError} after release, from another process, or when no
   *   socket is at the path.
   */
  publish(address?: RouteAddress): Promise<void>;
  /** Writes `D.stats` atomically (0600). */
  writeStats(stats: PeerStats): Promise<void>;
  /**
   * Removes D, `D.name` and `D.pid`, leaving `D.stats`. Close a socket
   * transport's server first. Idempotent; does nothing when called from a
   * process other than the claimant (R32) or when the lock has been taken
   * over meanwhile.
   */
  release(): Promise<void>;
}

const DEFAULT_GRACE_MS = 2000;
/** Rounds of "create, else judge and take over" before giving up. */
const MAX_ATTEMPTS = 5;
/** Rounds of "create the guard, else remove a stale one". */
const MAX_GUARD_ATTEMPTS = 3;
/** Largest pid file, name file or address file we read. */
const MAX_SMALL_FILE = 64 * 1024;
const MAX_PID = 2 ** 31 - 1;
const TEMP_PREFIX = '_tmp.';
const GUARD_PREFIX = '_lock.';
const REAP_PREFIX = '_reap.';
const COMPANION_SUFFIX = /\.(?:pid|name|stats)$/;
const ENTRY_KINDS: ReadonlySet<string> = new Set<EntryKind>(['socket', 'address', 'marker']);
/** Returned by a guarded section that could not take the guard. */
const BUSY = Symbol('busy');

/** A lock or guard file as read, identifying that very file. */
interface LockFile {
  readonly dev: bigint;
  readonly ino: bigint;
  readonly mtimeNs: bigint;
  readonly content: string;
  readonly pid: number | undefined;
}

/** What lstat and a look inside tell about the path D. */
type Endpoint =
  | { readonly type: 'missing' }
  | { readonly type: 'socket' }
  | { readonly type: 'marker' }
  | { readonly type: 'address'; readonly address: RouteAddress }
  | { readonly type: 'foreign'; readonly what: string };

function errnoCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

async function unlinkQuiet(file: string): Promise<void> {
  try {
    await fsp.unlink(file);
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT') throw err;
  }
}

function parsePid(content: string): number | undefined {
  const match = /^\s*([1-9][0-9]{0,9})\s*$/.exec(content);
  if (match === null) return undefined;
  const pid = Number(match[1]);
  return pid <= MAX_PID ? pid : undefined;
}

/** kill(pid, 0): ESRCH means gone; EPERM means alive but not ours to signal. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errnoCode(err) !== 'ESRCH';
  }
}

function sameFile(a: LockFile, b: LockFile): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.mtimeNs === b.mtimeNs && a.content === b.content;
}

function describeType(stat: { isDirectory(): boolean; isSymbolicLink(): boolean; isFIFO(): boolean }): string {
  if (stat.isSymbolicLink()) return 'a symbolic link';
  if (stat.isDirectory()) return 'a directory';
  if (stat.isFIFO()) return 'a FIFO';
  return 'not a regular file';
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Parses the content of an address entry; `undefined` when it is not one.
 *
 * @example
 * parseRouteAddress('{"transport":"tcp","host":"127.0.0.1","port":4000}\n');
 */
export function parseRouteAddress(text: string): RouteAddress | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isPlainObject(value) || typeof value['transport'] !== 'string' || value['transport'] === '') {
    return undefined;
  }
  if (value['transport'] === 'tcp' && !isTcpAddress(value as RouteAddress)) return undefined;
  return value as RouteAddress;
}

/**
 * True when `address` is a well-formed {@link TcpAddress}: transport `'tcp'`,
 * a non-empty host and an integer port in 1-65535.
 */
export function isTcpAddress(address: RouteAddress): address is TcpAddress {
  const { host, port } = address;
  return (
    address.transport === 'tcp' &&
    typeof host === 'string' &&
    host !== '' &&
    typeof port === 'number' &&
    Number.isInteger(port) &&
    port > 0 &&
    port < 65536
  );
}

function assertRouteAddress(address: unknown): asserts address is RouteAddress {
  if (!isPlainObject(address) || typeof address['transport'] !== 'string' || address['transport'] === '') {
    throw new TypeError(`address must be an object with a non-empty string "transport", received ${safeJson(address)}`);
  }
  if (address['transport'] === 'tcp' && !isTcpAddress(address as RouteAddress)) {
    throw new TypeError(`a tcp address needs a non-empty host and a port in 1-65535, received ${safeJson(address)}`);
  }
}

function assertCounts(option: string, counts: unknown): asserts counts is Record<string, number> {
  if (!isPlainObject(counts)) throw new TypeError(`${option} must be an object, received ${safeJson(counts)}`);
  for (const [peer, n] of Object.entries(counts)) {
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
      throw new TypeError(`${option}[${JSON.stringify(peer)}] must be a non-negative integer, received ${safeJson(n)}`);
    }
  }
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Copies counts into a prototype-less object, so an id like `__proto__` is just a key. */
function countsFrom(counts: Record<string, unknown>): Record<string, number> {
  const out: Record<string, number> = Object.create(null) as Record<string, number>;
  for (const [peer, n] of Object.entries(counts)) {
    if (typeof n === 'number') out[peer] = n;
  }
  return out;
}

/**
 * Makes a freshly bound socket file 0600 (a new socket file is 0777 less the
 * umask: 0777 under umask 000). Refuses anything that is not a socket and
 * never follows a symlink.
 *
 * @throws {RouteError} when `socketPath` is not a socket.
 * @example
 * server.listen(claim.path, async () => { await secureSocketFile(claim.path); });
 */
export async function secureSocketFile(socketPath: string): Promise<void> {
  let stat;
  try {
    stat = await fsp.lstat(socketPath);
  } catch (err) {
    throw new RouteError(`no socket at ${socketPath}`, { cause: err });
  }
  if (!stat.isSocket()) throw new RouteError(`${socketPath} is ${describeType(stat)}, not a socket`);
  await fsp.chmod(socketPath, 0o600);
}

/** Options of {@link spawnRoute}. */
export interface SpawnRouteOptions {
  /**
   * Start of the directory's name; six random characters follow. Keep it
   * short: the socket path budget is 104 bytes.
   * @default 'ipcm-'
   */
  prefix?: string | undefined;
  /**
   * Directory to create it in.
   * @default os.tmpdir()
   */
  parent?: string | undefined;
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
  const prefix = options.prefix ?? 'ipcm-';
  if (typeof prefix !== 'string' || prefix.length > 32 || /[/\\\u0000]/.test(prefix)) {
    throw new TypeError(`prefix must be a string of at most 32 characters without "/", "\\" or NUL, received ${safeJson(prefix)}`);
  }
  const parent = options.parent ?? os.tmpdir();
  if (typeof parent !== 'string' || parent === '') {
    throw new TypeError(`parent must be a non-empty string, received ${safeJson(parent)}`);
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

/**
 * The file operations shared by a directory and its claims; not exported,
 * so claims have no back door into the directory.
 */
class EntryStore {
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
   * Reads a small regular file without following a symlink (and without
   * blocking on a FIFO); `undefined` when it does not exist.
   */
  async readSmall(file: string): Promise<{ stat: BigIntStats; text: string } | undefined> {
    let handle;
    try {
      handle = await fsp.open(file, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK);
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'ENOENT') return undefined;
      if (code === 'ELOOP' || code === 'ENXIO') throw new RouteError(`${file} is not a regular file`, { cause: err });
      throw err;
    }
    try {
      const stat = await handle.stat({ bigint: true });
      if (!stat.isFile()) throw new RouteError(`${file} is ${describeType(stat)}, not a regular file`);
      if (stat.size > BigInt(MAX_SMALL_FILE)) throw new RouteError(`${file} is larger than ${MAX_SMALL_FILE} bytes`);
      const buffer = Buffer.alloc(MAX_SMALL_FILE + 1);
      let length = 0;
      for (;;) {
        const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
        if (bytesRead === 0) break;
        length += bytesRead;
        if (length > MAX_SMALL_FILE) throw new RouteError(`${file} is larger than ${MAX_SMALL_FILE} bytes`);
      }
      return { stat, text: buffer.toString('utf8', 0, length) };
    } finally {
      await handle.close();
    }
  }

  async readLock(file: string): Promise<LockFile | undefined> {
    const read = await this.readSmall(file);
    if (read === undefined) return undefined;
    const { stat, text } = read;
    return { dev: stat.dev, ino: stat.ino, mtimeNs: stat.mtimeNs, content: text, pid: parsePid(text) };
  }

  /** Like readLock, but an unreadable lock reads as absent. */
  async readLockQuiet(file: string): Promise<LockFile | undefined> {
    try {
      return await this.readLock(file);
    } catch {
      return undefined;
    }
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
    const current = await this.readLockQuiet(file);
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
      const moved = await this.readLockQuiet(aside);
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
      const held = await this.readLockQuiet(guardPath);
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

  /** lstat D and, for a regular file, look inside (never following a symlink). */
  async endpoint(name: string): Promise<Endpoint> {
    const file = this.at(name);
    let stat;
    try {
      stat = await fsp.lstat(file);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return { type: 'missing' };
      throw err;
    }
    if (stat.isSocket()) return { type: 'socket' };
    if (!stat.isFile()) return { type: 'foreign', what: describeType(stat) };
    let read;
    try {
      read = await this.readSmall(file);
    } catch (err) {
      if (err instanceof RouteError) return { type: 'foreign', what: 'not a route entry' };
      throw err;
    }
    if (read === undefined) return { type: 'missing' };
    if (read.text.length === 0) return { type: 'marker' };
    const address = parseRouteAddress(read.text);
    if (address !== undefined) return { type: 'address', address };
    return { type: 'foreign', what: 'a regular file that is not a route entry' };
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
      const mine = await this.createExclusive(lockPath, `${this.pid()}\n`);
      if (mine !== undefined) {
        try {
          await this.clearLeftover(name, probe);
        } catch (err) {
          await this.unlinkIfSame(lockPath, mine);
          throw err;
        }
        return mine;
      }
      const held = await this.readLock(lockPath);
      if (held === undefined) continue;
      const verdict = await this.judge(name, held, probe, recycled);
      if (!verdict.stale) throw new IdInUseError(`peer id ${label} is in use: ${verdict.why}`);
      const taken = await this.withGuard(name, async () => {
        const current = await this.readLock(lockPath);
        if (current !== undefined && sameFile(current, held)) await unlinkQuiet(lockPath);
      });
      if (taken === BUSY) throw new IdInUseError(`peer id ${label} is being taken over by another process`);
    }
    throw new IdInUseError(`peer id ${label} is contended: gave up after ${MAX_ATTEMPTS} attempts`);
  }

  /**
   * Removes D (when it is a socket or our file), D.name and then D.pid, if
   * D.pid is still `mine`. Returns false when it no longer was.
   */
  async removeOwned(name: string, mine: LockFile): Promise<boolean> {
    const lockPath = this.at(`${name}.pid`);
    const done = await this.withGuard(name, async () => {
      const current = await this.readLockQuiet(lockPath);
      if (current === undefined || !sameFile(current, mine)) return false;
      const endpoint = await this.endpoint(name);
      if (endpoint.type !== 'missing' && endpoint.type !== 'foreign') await unlinkQuiet(this.at(name));
      if (isHashedEntryName(name)) await unlinkQuiet(this.at(`${name}.name`));
      await unlinkQuiet(lockPath);
      return true;
    });
    return done === true;
  }

  /** The id stored for a hashed name, checked against the hash. */
  async idOfHashed(name: string): Promise<string | undefined> {
    let read;
    try {
      read = await this.readSmall(this.at(`${name}.name`));
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

class Claim implements RouteClaim {
  readonly id: string;
  readonly name: string;
  readonly path: string;
  readonly kind: EntryKind;
  readonly pid: number;
  readonly #store: EntryStore;
  readonly #lock: LockFile;
  #released: Promise<void> | undefined;

  constructor(store: EntryStore, id: string, name: string, kind: EntryKind, lock: LockFile, pid: number) {
    this.#store = store;
    this.id = id;
    this.name = name;
    this.path = store.at(name);
    this.kind = kind;
    this.#lock = lock;
    this.pid = pid;
  }

  get released(): boolean {
    return this.#released !== undefined;
  }

  async #assertOwner(action: string): Promise<void> {
    if (this.#released !== undefined) throw new RouteError(`cannot ${action}: the claim on ${this.path} was released`);
    if (this.#store.pid() !== this.pid) {
      throw new RouteError(`cannot ${action}: ${this.path} was claimed by process ${this.pid}, not ${this.#store.pid()}`);
    }
    const current = await this.#store.readLockQuiet(`${this.path}.pid`);
    if (current === undefined || !sameFile(current, this.#lock)) {
      throw new IdInUseError(`cannot ${action}: the lock ${this.path}.pid is no longer this claim's`);
    }
  }

  async publish(address?: RouteAddress): Promise<void> {
    if (this.kind === 'address') assertRouteAddress(address);
    else if (address !== undefined) throw new TypeError(`a ${this.kind} entry takes no address`);
    await this.#assertOwner('publish');
    switch (this.kind) {
      case 'socket':
        await secureSocketFile(this.path);
        return;
      case 'address': {
        const { transport, ...rest } = address as RouteAddress;
        await this.#store.writeReplace(this.path, `${JSON.stringify({ transport, ...rest })}\n`);
        return;
      }
      case 'marker': {
        let handle;
        try {
          handle = await fsp.open(this.path, 'wx', 0o600);
        } catch (err) {
          if (errnoCode(err) === 'EEXIST' && (await this.#store.endpoint(this.name)).type === 'marker') return;
          throw new RouteError(`cannot create the marker ${this.path}`, { cause: err });
        }
        try {
          await handle.chmod(0o600);
        } finally {
          await handle.close();
        }
      }
    }
  }

  async writeStats(stats: PeerStats): Promise<void> {
    if (!isPlainObject(stats)) throw new TypeError(`stats must be an object, received ${safeJson(stats)}`);
    assertCounts('stats.sent', stats.sent);
    assertCounts('stats.read', stats.read);
    if (this.#store.pid() !== this.pid) {
      throw new RouteError(`cannot write stats: ${this.path} was claimed by process ${this.pid}, not ${this.#store.pid()}`);
    }
    const json = JSON.stringify({ sent: countsFrom(stats.sent), read: countsFrom(stats.read) });
    await this.#store.writeReplace(`${this.path}.stats`, `${json}\n`);
  }

  release(): Promise<void> {
    // A forked child (or anything else running under another pid) must never
    // remove the parent's files (R32); nor does it mark the claim released,
    // since in a real fork the parent's copy of this object is its own.
    if (this.#store.pid() !== this.pid) return Promise.resolve();
    this.#released ??= this.#store.removeOwned(this.name, this.#lock).then(() => undefined);
    return this.#released;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.release();
  }
}

/**
 * A route directory shared with IPC::Manager: where peers claim their ids,
 * publish how to reach them, and find each other. See the top of this file
 * for the layout and the locking algorithm.
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
   * @throws {TypeError|RangeError} for bad options.
   */
  static async open(routePath: string, options: RouteDirectoryOptions = {}): Promise<RouteDirectory> {
    if (typeof routePath !== 'string' || routePath === '') {
      throw new TypeError(`routePath must be a non-empty string, received ${safeJson(routePath)}`);
    }
    const { create = true, graceMs = DEFAULT_GRACE_MS, now = Date.now, processId = () => process.pid } = options;
    if (typeof create !== 'boolean') throw new TypeError(`create must be a boolean, received ${safeJson(create)}`);
    if (typeof graceMs !== 'number' || !Number.isFinite(graceMs) || graceMs < 0) {
      throw new RangeError(`graceMs must be a finite number >= 0, received ${safeJson(graceMs)}`);
    }
    if (typeof now !== 'function') throw new TypeError(`now must be a function, received ${typeof now}`);
    if (typeof processId !== 'function') throw new TypeError(`processId must be a function, received ${typeof processId}`);

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
   * The peers with a published endpoint, sorted by id; by default only those
   * whose `D.pid` names a running process. Entries whose id cannot be known
   * (a hashed D without a matching `D.name`) or whose D is not a route entry
   * are left out; entries vanishing meanwhile are tolerated.
   */
  async list(options: { includeDead?: boolean | undefined } = {}): Promise<PeerEntry[]> {
    const includeDead = options.includeDead ?? false;
    const names = (await this.#names()).filter((name) => this.#isEntryName(name));
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
    const read = await this.#store.readSmall(file);
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
   * its D and `D.name`; a socket with no lock that the probe finds dead; a
   * marker or address file with no lock (a holder creates `D.pid` before D
   * and removes it after D, so D without a lock is a leftover).
   * Never touches a live process's entry, a live socket, or anything that is
   * not a route entry; `D.stats` is kept. Also removes temporary files of
   * dead processes. Returns the ids reaped (the entry name when a hashed
   * entry's id is unknown).
   */
  async reapStale(probe: EntryProbe): Promise<string[]> {
    if (typeof probe !== 'function') throw new TypeError(`probe must be a function, received ${typeof probe}`);
    const store = this.#store;
    const names = await this.#names();
    const candidates = new Set<string>();
    for (const name of names) {
      const base = name.endsWith('.pid') ? name.slice(0, -'.pid'.length) : name;
      if (this.#isEntryName(base)) candidates.add(base);
      else if (name.startsWith(TEMP_PREFIX) || name.startsWith(REAP_PREFIX)) {
        const pid = parsePid(name.split('.')[1] ?? '');
        if (pid !== undefined && !isAlive(pid)) await unlinkQuiet(store.at(name));
      } else if (name.startsWith(GUARD_PREFIX)) {
        const guard = await store.readLockQuiet(store.at(name));
        if (guard?.pid !== undefined && !isAlive(guard.pid)) await store.removeStale(store.at(name), guard);
      }
    }
    const reaped: string[] = [];
    for (const name of [...candidates].sort()) {
      const [lock, endpoint] = await Promise.all([store.readLockQuiet(store.at(`${name}.pid`)), store.endpoint(name)]);
      // Only a dead or absent holder is worth the lock dance; a live one is skipped without it.
      if (lock?.pid !== undefined && isAlive(lock.pid)) continue;
      if (lock === undefined && (endpoint.type === 'missing' || endpoint.type === 'foreign')) continue;
      const id = isHashedEntryName(name) ? ((await store.idOfHashed(name)) ?? name) : name;
      let mine: LockFile;
      try {
        mine = await store.acquire(name, JSON.stringify(id), probe, false);
      } catch (err) {
        if (err instanceof IdInUseError || err instanceof RouteError) continue;
        throw err;
      }
      await store.removeOwned(name, mine);
      reaped.push(id);
    }
    return reaped;
  }

  async #names(): Promise<string[]> {
    try {
      return await fsp.readdir(this.path);
    } catch (err) {
      throw new RouteError(`cannot read route directory ${this.path}`, { cause: err });
    }
  }

  /** Whether `name` can be an entry D (not a companion or one of our files). */
  #isEntryName(name: string): boolean {
    if (name.startsWith('_') || COMPANION_SUFFIX.test(name)) return false;
    if (name.startsWith(HASHED_NAME_PREFIX)) return isHashedEntryName(name);
    try {
      return entryNameFor(this.path, name) === name;
    } catch {
      return false;
    }
  }

  async #inspect(name: string, knownId: string | undefined): Promise<PeerEntry | undefined> {
    const store = this.#store;
    const endpoint = await store.endpoint(name);
    if (endpoint.type === 'missing' || endpoint.type === 'foreign') return undefined;
    const id = knownId ?? (isHashedEntryName(name) ? await store.idOfHashed(name) : name);
    if (id === undefined) return undefined;
    const lock = await store.readLockQuiet(store.at(`${name}.pid`));
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
