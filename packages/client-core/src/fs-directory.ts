/*
 * The filesystem PeerDirectory: today's RouteDirectory (IPC::Manager's
 * layout, see entry-store.ts) behind the PeerDirectory interface. The route
 * directory keeps its own API for what only a filesystem has (entryPath,
 * reapStale, includeDead); this class adds what a directory must offer a
 * client: liveness-filtered lookups, registrations that notice when their
 * lock is lost, and a watch.
 *
 * The watch is `fs.watch` on the directory (an entry appearing, changing or
 * going away triggers a rescan, debounced) with a periodic rescan as the
 * safety net: a SIGKILLed peer leaves its files behind, so no filesystem
 * event says it died; the rescan's pid check does. Each rescan is one
 * `list()`, diffed against the previous one.
 */
import { watch as fsWatch, promises as fsp, type FSWatcher } from 'node:fs';
import { InvalidIdError, InvalidOptionError } from './errors.js';
import { FsRegistration } from './fs-registration.js';
import { byId, diffLocations, watchIterable, type EventChannel } from './directory-events.js';
import { checkIntegerOption, describeValue } from './option-checks.js';
import { MAX_TIMER_MS, realTimers, type Clock, type Timers } from './options.js';
import type { DirectoryEvent, PeerDirectory, PeerLocation, RegisterOptions, WatchOptions } from './peer-directory.js';
import { RouteDirectory } from './route-directory.js';
import type { EntryKind, EntryProbe, PeerEntry, PeerStats, RouteDirectoryOptions } from './route-types.js';
import { setRef } from './keep-alive.js';

const DEFAULT_RESCAN_INTERVAL_MS = 2000;
const DEFAULT_DEBOUNCE_MS = 20;
const DEFAULT_CHECK_INTERVAL_MS = 5000;
/** Dead entries (and temporary files) one registration removes at most (R37). */
const DEFAULT_REAP_PER_REGISTER = 16;
/**
 * A route directory this process found clean (nothing to reap) is not
 * inspected again by a register for this long: a process starting
 * thousands of clients on one directory would otherwise read the whole
 * directory once per client (O(n^2) in all). Leftovers found, or a reap
 * in progress, change nothing: the next register reaps (or shares the
 * one in progress).
 */
const CLEAN_REINSPECT_MS = 5000;
/** When a directory was found clean, on the clock of the FsDirectory that found it. */
interface FoundClean {
  readonly at: number;
  readonly clock: Clock;
}
/** Per route directory path: the reap in progress in this process, or when it last found nothing. */
const reapState = new Map<string, Promise<void> | FoundClean>();

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
   * The probe `isGone` uses: the configured one or, when none was, the last
   * one a `register` brought (a client's transport probe), so a directory
   * handed to a client unconfigured still finds a killed peer's socket.
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
  readonly #channels = new Set<EventChannel>();
  /** Channels that keep the process alive (`ref` not `false`): the watcher and its timers are ref'd while there is one. */
  readonly #refed = new Set<EventChannel>();
  /** Channels still waiting for their baseline resync. */
  readonly #fresh = new Set<EventChannel>();
  /** The peers as the last rescan saw them; `undefined` while not watching. */
  #view: Map<string, PeerLocation> | undefined;
  #watcher: FSWatcher | undefined;
  #debounce: unknown;
  #periodic: unknown;
  #scanning = false;
  #scanAgain = false;
  /** Bumped when watching stops, so a rescan in flight then is discarded. */
  #generation = 0;

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
    if (this.#probe === presumeLive && options.probe !== undefined) this.#goneProbe = options.probe;
    const claim = await this.route.claim(id, kind, { probe });
    let lock;
    try {
      options.signal?.throwIfAborted();
      lock = await fsp.lstat(`${claim.path}.pid`, { bigint: true });
    } catch (err) {
      await claim.release();
      throw err;
    }
    if (this.#reapPerRegister > 0) await this.#reap(probe);
    return new FsRegistration(claim, { dev: lock.dev, ino: lock.ino }, this.#timers, this.#checkIntervalMs, this.#processId);
  }

  /**
   * Reaps what killed processes left (R37), a bounded amount, sharing a
   * reap already in progress in this process and skipping a directory
   * found clean in the last {@link CLEAN_REINSPECT_MS} (on this
   * directory's clock; a time read from another clock says nothing, so the
   * directory is read again). Failures are ignored: housekeeping is not the
   * registrant's problem.
   */
  #reap(probe: EntryProbe): Promise<void> {
    const key = this.route.path;
    const state = reapState.get(key);
    if (state instanceof Promise) return state;
    const clock = this.#clock;
    if (state !== undefined && state.clock === clock && clock.now() - state.at < CLEAN_REINSPECT_MS) return Promise.resolve();
    const reaping = this.route
      .reapStale(probe, { limit: this.#reapPerRegister })
      .then(
        (reaped) => {
          if (reaped.length === 0) reapState.set(key, { at: clock.now(), clock });
          else reapState.delete(key);
        },
        () => {
          reapState.delete(key);
        },
      );
    reapState.set(key, reaping);
    return reaping;
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
   * `probe` option, or else the probe of the last `register` that brought
   * one.
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
    return watchIterable(
      {
        subscribe: (channel) => this.#subscribe(channel, options.ref !== false),
        current: () => [...(this.#view?.values() ?? [])],
      },
      signal,
    );
  }

  close(): Promise<void> {
    this.#closing.abort();
    return Promise.resolve();
  }

  #subscribe(channel: EventChannel, ref: boolean): () => void {
    this.#channels.add(channel);
    this.#fresh.add(channel);
    if (ref) this.#refed.add(channel);
    if (this.#channels.size === 1) this.#start();
    else this.#applyRef();
    // Every new iteration gets a fresh look as its baseline.
    this.#requestScan();
    return () => {
      this.#channels.delete(channel);
      this.#fresh.delete(channel);
      this.#refed.delete(channel);
      if (this.#channels.size === 0) this.#stop();
      else this.#applyRef();
    };
  }

  #start(): void {
    try {
      this.#watcher = fsWatch(this.route.path, { persistent: true }, (_type, name) => {
        // Our own short-lived files (`_tmp.`, `_lock.`, `_reap.`) and stats change no listing.
        if (typeof name === 'string' && (name.startsWith('_') || name.endsWith('.stats'))) return;
        this.#debounced();
      });
      this.#watcher.on('error', () => this.#dropWatcher());
    } catch {
      // No inotify watch to be had (limit reached, unsupported filesystem): the periodic rescan still works.
      this.#watcher = undefined;
    }
    this.#armPeriodic();
    this.#applyRef();
  }

  /** The watcher and its timers keep the process alive only while an iteration asks for it (`ref`). */
  #applyRef(): void {
    const on = this.#refed.size > 0;
    setRef(this.#watcher, on);
    setRef(this.#debounce, on);
    setRef(this.#periodic, on);
  }

  #stop(): void {
    this.#generation++;
    this.#dropWatcher();
    if (this.#debounce !== undefined) this.#timers.clearTimeout(this.#debounce);
    if (this.#periodic !== undefined) this.#timers.clearTimeout(this.#periodic);
    this.#debounce = undefined;
    this.#periodic = undefined;
    this.#view = undefined;
  }

  #dropWatcher(): void {
    this.#watcher?.close();
    this.#watcher = undefined;
  }

  #debounced(): void {
    if (this.#debounce !== undefined || this.#channels.size === 0) return;
    this.#debounce = this.#timers.setTimeout(() => {
      this.#debounce = undefined;
      this.#requestScan();
    }, this.#debounceMs);
    setRef(this.#debounce, this.#refed.size > 0);
  }

  #armPeriodic(): void {
    this.#periodic = this.#timers.setTimeout(() => {
      this.#periodic = undefined;
      if (this.#channels.size === 0) return;
      this.#requestScan();
      this.#armPeriodic();
    }, this.#rescanIntervalMs);
    setRef(this.#periodic, this.#refed.size > 0);
  }

  #requestScan(): void {
    if (this.#scanning) {
      this.#scanAgain = true;
      return;
    }
    this.#scanning = true;
    void this.#scan();
  }

  async #scan(): Promise<void> {
    const generation = this.#generation;
    let peers: PeerLocation[] | undefined;
    let failure: { readonly error: unknown } | undefined;
    try {
      peers = await this.list();
    } catch (error) {
      failure = { error };
    }
    this.#scanning = false;
    if (generation !== this.#generation) {
      // Watching stopped meanwhile; if it started again, that start asked for a scan of its own.
      if (this.#channels.size > 0) this.#requestScan();
      return;
    }
    if (failure !== undefined) {
      for (const channel of [...this.#channels]) channel.fail(failure.error);
      return;
    }
    const after = byId(peers ?? []);
    const events = this.#view === undefined ? [] : diffLocations(this.#view, after);
    this.#view = after;
    for (const channel of [...this.#channels]) {
      if (this.#fresh.delete(channel)) channel.push({ type: 'resync', peers: [...after.values()] });
      else for (const event of events) channel.push(event);
    }
    if (this.#scanAgain) {
      this.#scanAgain = false;
      this.#requestScan();
    }
  }
}
