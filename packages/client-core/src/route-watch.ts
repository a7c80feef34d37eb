/*
 * The watch behind FsDirectory.watch: `fs.watch` on the route directory (an
 * entry appearing, changing or going away triggers a rescan, debounced) with
 * a periodic rescan as the safety net: a SIGKILLed peer leaves its files
 * behind, so no filesystem event says it died; the rescan's pid check does.
 * Each rescan is one `list()`, diffed against the previous one.
 */
import { watch as fsWatch, type FSWatcher } from 'node:fs';
import { byId, diffLocations, type EventChannel } from './directory-events.js';
import type { Timers } from './options.js';
import type { PeerLocation } from './peer-directory.js';
import { setRef } from './keep-alive.js';

/** What a {@link RouteWatch} needs from its directory. */
export interface RouteWatchOptions {
  /** The route directory to watch. */
  readonly path: string;
  /** The peers as the directory lists them now (liveness-filtered): one call per rescan. */
  readonly list: () => Promise<PeerLocation[]>;
  readonly timers: Timers;
  /** How long after a filesystem event to rescan (`FsDirectoryOptions.debounceMs`). */
  readonly debounceMs: number;
  /** How often to rescan with no event (`FsDirectoryOptions.rescanIntervalMs`). */
  readonly rescanIntervalMs: number;
}

/**
 * One watcher serving every iteration of a directory's watch: it runs only
 * while at least one channel is subscribed, and keeps the process alive only
 * while a subscriber asks for it (`ref`). Each new subscriber gets a
 * `resync` with a fresh look as its baseline, then the `up`/`down` events of
 * later rescans; a failed rescan ends every iteration with its error.
 */
export class RouteWatch {
  readonly #path: string;
  readonly #list: () => Promise<PeerLocation[]>;
  readonly #timers: Timers;
  readonly #debounceMs: number;
  readonly #rescanIntervalMs: number;
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

  constructor(options: RouteWatchOptions) {
    this.#path = options.path;
    this.#list = options.list;
    this.#timers = options.timers;
    this.#debounceMs = options.debounceMs;
    this.#rescanIntervalMs = options.rescanIntervalMs;
  }

  /** The peers as the last rescan saw them (none while not watching), for a channel's overflow `resync`. */
  current(): PeerLocation[] {
    return [...(this.#view?.values() ?? [])];
  }

  /** Starts feeding `channel` (and watching, if it is the first); returns how to stop. */
  subscribe(channel: EventChannel, ref: boolean): () => void {
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
      this.#watcher = fsWatch(this.#path, { persistent: true }, (_type, name) => {
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
      peers = await this.#list();
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
