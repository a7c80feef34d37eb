/*
 * The filesystem PeerDirectory: today's RouteDirectory (IPC::Manager's
 * layout, see entry-store.ts) behind the PeerDirectory interface. The route
 * directory keeps its own API for what only a filesystem has (entryPath,
 * reapStale, includeDead); this class adds what a directory must offer a
 * client: liveness-filtered lookups, registrations that notice when their
 * lock is lost (fs-registration.ts), and a watch (route-watch.ts: `fs.watch`
 * plus a periodic rescan). The start-up reap a register runs is
 * route-reaper.ts's.
 */
import { promises as fsp } from 'node:fs';
import { InvalidIdError, InvalidOptionError } from './errors.js';
import { FsRegistration } from './fs-registration.js';
import { watchIterable } from './directory-events.js';
import { checkIntegerOption, describeValue } from './option-checks.js';
import { MAX_TIMER_MS, realTimers, type Clock, type Timers } from './options.js';
import type { DirectoryEvent, PeerDirectory, PeerLocation, RegisterOptions, WatchOptions } from './peer-directory.js';
import { RouteDirectory } from './route-directory.js';
import { reapOnRegister } from './route-reaper.js';
import type { EntryKind, EntryProbe, PeerEntry, PeerStats, RouteDirectoryOptions } from './route-types.js';
import { RouteWatch } from './route-watch.js';

const DEFAULT_RESCAN_INTERVAL_MS = 2000;
const DEFAULT_DEBOUNCE_MS = 20;
const DEFAULT_CHECK_INTERVAL_MS = 5000;
/** Dead entries (and temporary files) one registration removes at most (R37). */
const DEFAULT_REAP_PER_REGISTER = 16;

/** A probe for directories given none: every endpoint is presumed live, so nothing live is ever taken over. */
const presumeLive: EntryProbe = () => Promise.resolve('live');

/** Options of {@link FsDirectory}. */
export interface FsDirectoryOptions {
  /**
   * The probe a registration uses when {@link RegisterOptions.probe} gives
   * none (see {@link EntryProbe}).
   * @default a probe that answers `'live'` for everything, so a leftover
   *   endpoint of a recycled pid is never taken over (a dead pid still is)
   */
  probe?: EntryProbe | undefined;
  /**
   * How often a running watch rescans the directory even when no
   * filesystem event came: the bound on how late the `down` of a SIGKILLed
   * peer (whose files stay) is seen.
   * @default 2000
   */
  rescanIntervalMs?: number | undefined;
  /**
   * How long a watch waits after a filesystem event before rescanning, so a
   * burst of events (a claim writes several files) costs one rescan.
   * @default 20
   */
  debounceMs?: number | undefined;
  /**
   * How often a registration checks that its lock `D.pid` is still its own
   * (and aborts `lost` when not); `0` checks only when publishing. The
   * check timer does not keep the process alive.
   * @default 5000
   */
  checkIntervalMs?: number | undefined;
  /** Timer functions, for tests. @default setTimeout/clearTimeout */
  timers?: Timers | undefined;
  /**
   * Monotonic millisecond clock for the window in which a directory found
   * clean is not re-read by a register (see `reapPerRegister`); tests
   * inject the one that drives their `timers`.
   * @default performance
   */
  clock?: Clock | undefined;
  /**
   * After each successful `register`, remove up to this many entries (and
   * temporary files of claims cut short) that killed processes left behind,
   * never a live one (R37): whoever starts next cleans up a bounded amount.
   * Failures are ignored (housekeeping is not the registrant's problem).
   * Registers in one process share a reap in progress, and a directory
   * this process found clean is not re-read for 5 s, so starting thousands
   * of clients costs no whole-directory read each. `0` turns it off.
   * @default 16
   */
  reapPerRegister?: number | undefined;
}

/** Where a route entry's peer can be reached, as a directory reports it. */
function locationOf(entry: PeerEntry): PeerLocation {
  switch (entry.kind) {
    case 'socket':
      return { id: entry.id, listening: true, path: entry.path };
    case 'address':
      return { id: entry.id, listening: true, address: entry.address };
    case 'marker':
      return { id: entry.id, listening: false };
  }
}

/** `undefined` for an id no peer may have (the contract: no method throws for an unknown id). */
async function unlessInvalid<T>(read: () => Promise<T | undefined>): Promise<T | undefined> {
  try {
    return await read();
  } catch (err) {
    if (err instanceof InvalidIdError) return undefined;
    throw err;
  }
}

/**
 * The filesystem route directory as a {@link PeerDirectory}, shared with
 * IPC::Manager and with every client that opens the same path.
 *
 * - `register` claims the id ({@link RouteDirectory.claim}, with the probe
 *   from the register options or these options); the registration's `path`
 *   is `D` for a socket entry (bind there, then `publish()`), `undefined`
 *   for the other kinds.
 * - A registration's `lost` is aborted with `IdInUseError` when a check
 *   finds `D.pid` gone or replaced: every `checkIntervalMs`, and whenever
 *   `publish` finds the lock no longer its own.
 * - `lookup`/`list` return only peers whose `D.pid` names a running process
 *   (a SIGKILLed peer's leftovers are not listed; they are reaped by the
 *   next claim of that id or by `route.reapStale`).
 * - `isGone` adds the probe to the pid check: a listed peer whose `D`
 *   refuses connections is gone.
 * - `watch` is driven by `fs.watch` plus a rescan every `rescanIntervalMs`;
 *   one watcher serves every iteration of this object and runs only while
 *   at least one iterates, and keeps the process alive only while an
 *   iteration asks for it (`ref`, default true).
 *
 * @example
 * const directory = await FsDirectory.open('/tmp/ipcm-demo', { probe: unixProbe });
 * const registration = await directory.register('worker-1', 'socket');
 * server.listen(registration.path, () => void registration.publish());
 * for await (const event of directory.watch({ signal })) console.log(event);
 */
export class FsDirectory implements PeerDirectory {
  /** The route directory underneath, for what only it offers (reapStale, entryPath). */
  readonly route: RouteDirectory;
  readonly description: string;
  readonly #probe: EntryProbe;
  /**
   * The probe `isGone` uses: the configured one or, when none was, the one
   * the last successful `register` brought (a client's transport probe), so
   * a directory handed to a client unconfigured still finds a killed peer's
   * socket. Clients of different transports sharing one directory should
   * configure `probe` (a transport's probe says `'live'` for another's
   * entries).
   */
  #goneProbe: EntryProbe;
  readonly #rescanIntervalMs: number;
  readonly #debounceMs: number;
  readonly #checkIntervalMs: number;
  readonly #reapPerRegister: number;
  readonly #timers: Timers;
  readonly #clock: Clock;
  readonly #processId: () => number;
  readonly #closing = new AbortController();
  /** The one watcher behind every `watch()` iteration; made on the first `watch()`. */
  #watch: RouteWatch | undefined;

  /**
   * Opens the route directory at `routePath` ({@link RouteDirectory.open},
   * which takes the same options) and wraps it.
   */
  static async open(routePath: string, options: FsDirectoryOptions & RouteDirectoryOptions = {}): Promise<FsDirectory> {
    const { probe, rescanIntervalMs, debounceMs, checkIntervalMs, timers, clock, reapPerRegister, ...routeOptions } = options;
    const route = await RouteDirectory.open(routePath, routeOptions);
    return new FsDirectory(route, {
      probe,
      rescanIntervalMs,
      debounceMs,
      checkIntervalMs,
      timers,
      clock,
      reapPerRegister,
      processId: routeOptions.processId,
    });
  }

  /**
   * Wraps an open route directory. `processId` must be the one the route
   * directory was opened with (it tells a forked child from the claimant).
   */
  constructor(route: RouteDirectory, options: FsDirectoryOptions & { processId?: (() => number) | undefined } = {}) {
    if (!(route instanceof RouteDirectory)) throw new TypeError('route must be a RouteDirectory');
    const { probe = presumeLive, timers = realTimers, clock = performance, processId = () => process.pid } = options;
    if (typeof probe !== 'function') throw new TypeError(`probe must be a function, received ${typeof probe}`);
    if (typeof timers?.setTimeout !== 'function' || typeof timers.clearTimeout !== 'function') {
      throw new TypeError('timers must have setTimeout and clearTimeout functions');
    }
    if (typeof clock?.now !== 'function') throw new InvalidOptionError(`clock must have a now() method; received ${describeValue(clock)}`);
    this.route = route;
    this.description = `route directory ${route.path}`;
    this.#probe = probe;
    this.#goneProbe = probe;
    this.#rescanIntervalMs = checkIntegerOption('rescanIntervalMs', options.rescanIntervalMs, DEFAULT_RESCAN_INTERVAL_MS, 1, MAX_TIMER_MS);
    this.#debounceMs = checkIntegerOption('debounceMs', options.debounceMs, DEFAULT_DEBOUNCE_MS, 0, MAX_TIMER_MS);
    this.#checkIntervalMs = checkIntegerOption('checkIntervalMs', options.checkIntervalMs, DEFAULT_CHECK_INTERVAL_MS, 0, MAX_TIMER_MS);
    this.#reapPerRegister = checkIntegerOption('reapPerRegister', options.reapPerRegister, DEFAULT_REAP_PER_REGISTER, 0);
    this.#timers = timers;
    this.#clock = clock;
    this.#processId = processId;
  }

  /** Where `id`'s socket is bound (`D`), computed without I/O: a Unix client dials it before any lookup. */
  entryPath(id: string): string {
    return this.route.entryPath(id);
  }

  async register(id: string, kind: EntryKind, options: RegisterOptions = {}): Promise<FsRegistration> {
    options.signal?.throwIfAborted();
    const probe = options.probe ?? this.#probe;
    const claim = await this.route.claim(id, kind, { probe });
    let lock;
    try {
      options.signal?.throwIfAborted();
      lock = await fsp.lstat(`${claim.path}.pid`, { bigint: true });
    } catch (err) {
      await claim.release();
      throw err;
    }
    if (this.#reapPerRegister > 0) {
      // Bounded, shared with the registers of this process, skipped for a directory found clean just now (R37).
      await reapOnRegister(this.route.path, this.#clock, () => this.route.reapStale(probe, { limit: this.#reapPerRegister }));
    }
    if (this.#probe === presumeLive && options.probe !== undefined) this.#goneProbe = options.probe;
    return new FsRegistration(claim, { dev: lock.dev, ino: lock.ino }, this.#timers, this.#checkIntervalMs, this.#processId);
  }

  async lookup(id: string): Promise<PeerLocation | undefined> {
    const entry = await unlessInvalid(() => this.route.lookup(id));
    return entry?.alive === true ? locationOf(entry) : undefined;
  }

  async list(): Promise<PeerLocation[]> {
    return (await this.route.list()).map(locationOf);
  }

  /**
   * True when `id` is not listed (no entry, or its `D.pid` names no running
   * process) or its endpoint at `D` refuses connections by the directory's
   * probe (a killed process's socket does, before its pid is reaped): the
   * `probe` option, or else the probe the last successful `register`
   * brought.
   */
  async isGone(id: string): Promise<boolean> {
    const entry = await unlessInvalid(() => this.route.lookup(id));
    if (entry?.alive !== true) return true;
    switch (entry.kind) {
      case 'socket':
        return (await this.#goneProbe({ kind: 'socket', path: entry.path })) === 'stale';
      case 'address':
        return (await this.#goneProbe({ kind: 'address', path: entry.path, address: entry.address })) === 'stale';
      case 'marker':
        return false;
    }
  }

  /** The ids of every entry, from one `readdir` (no liveness check). */
  ids(): Promise<string[]> {
    return this.route.ids();
  }

  stats(id: string): Promise<PeerStats | undefined> {
    return unlessInvalid(() => this.route.stats(id));
  }

  watch(options: WatchOptions = {}): AsyncIterable<DirectoryEvent> {
    const closing = this.#closing.signal;
    const signal = options.signal === undefined ? closing : AbortSignal.any([options.signal, closing]);
    const routeWatch = (this.#watch ??= new RouteWatch({
      path: this.route.path,
      list: () => this.list(),
      timers: this.#timers,
      debounceMs: this.#debounceMs,
      rescanIntervalMs: this.#rescanIntervalMs,
    }));
    return watchIterable(
      {
        subscribe: (channel) => routeWatch.subscribe(channel, options.ref !== false),
        current: () => routeWatch.current(),
      },
      signal,
    );
  }

  close(): Promise<void> {
    this.#closing.abort();
    return Promise.resolve();
  }
}
