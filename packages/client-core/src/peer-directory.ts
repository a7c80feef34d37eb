/*
 * The PeerDirectory interface: the one way a client claims its id, publishes
 * how to reach it, looks peers up, lists them and watches them come and go.
 * The engine knows no directory in particular: the filesystem route
 * directory (shared with IPC::Manager), a static map and Redis are three
 * implementations, and a user may write a fourth against this file alone.
 *
 * Liveness belongs to the directory, not the engine: `lookup` and `list`
 * return only peers the directory believes alive (the `D.pid` check for the
 * filesystem; a TTL for Redis; "always" for a static map), and `isGone`
 * answers the engine's one liveness question (may a request to a peer whose
 * connection closed fail now?) with whatever closer check the directory
 * has (the filesystem's connect probe of `D`).
 *
 * A client looks a peer up only when it dials, never per message.
 */
import type { EntryKind, EntryProbe, PeerStats, RouteAddress } from './route-types.js';

/**
 * Where and how a listed peer can be reached.
 *
 * - `listening: false`: the peer does not listen (a marker entry); it can be
 *   reached only over a connection it opened itself.
 * - `path`: a filesystem path where the peer's socket listens (the route
 *   directory's `D` for a Unix peer).
 * - `address`: the address the peer published, for address transports
 *   (`address.transport` names the transport that can reach it).
 */
export interface PeerLocation {
  /** The peer's id. */
  readonly id: string;
  /** Whether the peer accepts connections. */
  readonly listening: boolean;
  /** The socket path of a listening peer on a shared filesystem. */
  readonly path?: string | undefined;
  /** The published address of a listening peer of an address transport. */
  readonly address?: RouteAddress | undefined;
}

/** Options of {@link PeerDirectory.register}. */
export interface RegisterOptions {
  /**
   * Decides whether a leftover endpoint at the id still has a listener, so a
   * dead holder's entry may be taken over (filesystem directories). Given by
   * the transport; directories with their own liveness (a TTL) ignore it.
   */
  readonly probe?: EntryProbe | undefined;
  /** Gives up a registration still in progress, rejecting with the signal's reason. */
  readonly signal?: AbortSignal | undefined;
  /**
   * The registrant's listener requires a token or TLS. A directory shared
   * across hosts (Redis) refuses to publish a non-loopback address without
   * it; the others ignore it.
   */
  readonly authenticated?: boolean | undefined;
}

/**
 * An id held by this client in a directory, returned by
 * {@link PeerDirectory.register}. `await using` releases it.
 */
export interface Registration extends AsyncDisposable {
  /** The registered peer id. */
  readonly id: string;
  /** The kind of endpoint this registration publishes. */
  readonly kind: EntryKind;
  /**
   * Where a socket transport binds its listener, for directories that place
   * sockets in the filesystem (the route directory's `D`); `undefined` for
   * directories that only hold addresses.
   */
  readonly path: string | undefined;
  /**
   * Aborted, with a coded {@link IpcmError} as its reason, when the claim can
   * no longer be kept (the entry was taken over, a TTL key was lost and
   * someone else holds the id). Never aborted by {@link release}.
   */
  readonly lost: AbortSignal;
  /**
   * Makes the endpoint visible to other peers: `'socket'` after the
   * transport listens at {@link path}; `'address'` with the address to
   * publish (may be called again to change it); `'marker'` with no argument.
   */
  publish(address?: RouteAddress): Promise<void>;
  /**
   * Stores this client's message counts at close, where the directory keeps
   * them (the route directory's `D.stats`, read by IPC::Manager's
   * `all_stats`). Absent when the directory keeps no stats.
   */
  writeStats?(stats: PeerStats): Promise<void>;
  /** Gives the id up. Idempotent; never throws for an id already lost. */
  release(): Promise<void>;
}

/** What {@link PeerDirectory.watch} reports. */
export type DirectoryEvent =
  /** A peer became listed (or changed its published location). */
  | { readonly type: 'up'; readonly id: string; readonly location: PeerLocation }
  /** A peer is no longer listed (released, or found dead). */
  | { readonly type: 'down'; readonly id: string }
  /**
   * The watch may have missed events (a reconnect, an overflowed queue):
   * `peers` is the full current list; a consumer replaces its view with it.
   */
  | { readonly type: 'resync'; readonly peers: readonly PeerLocation[] };

/** Options of {@link PeerDirectory.watch}. */
export interface WatchOptions {
  /** Ends the iteration (the iterator returns) when aborted. */
  readonly signal?: AbortSignal | undefined;
  /**
   * Whether this iteration keeps the process alive, as `fs.watch`'s
   * `persistent` and a timer's `ref()` do. A client passes `false` after
   * its `unref()`; a combined directory passes it on. Directories that hold
   * nothing of the kind ignore it, and a connection to a server (Redis)
   * stays as ref'd as the connection it was made from.
   * @default true
   */
  readonly ref?: boolean | undefined;
}

/**
 * Who exists, where to reach them and whether they are alive. Every method
 * may reject with a coded {@link IpcmError} naming the cause (a
 * `RouteError` for an unreadable directory, a directory-specific code for
 * an unreachable store); none throws for an unknown id.
 */
export interface PeerDirectory {
  /** Names the directory in errors and logs, e.g. `route directory /tmp/ipcm-x1`. */
  readonly description: string;
  /**
   * Claims `id` for this client. Rejects with `IdInUseError` when a live
   * holder has it (a live id is never taken over), `InvalidIdError` for an
   * id no peer may have, and a coded error when `kind` cannot be kept by
   * this directory (a socket entry in a directory without a filesystem).
   */
  register(id: string, kind: EntryKind, options?: RegisterOptions): Promise<Registration>;
  /** The peer's location when it is listed and alive, else `undefined`. */
  lookup(id: string): Promise<PeerLocation | undefined>;
  /** Every listed, live peer, sorted by id. */
  list(): Promise<PeerLocation[]>;
  /**
   * Optional: whether `id` is known gone: not listed, or listed but found
   * dead by a check cheaper than waiting for the listing to lapse (the route
   * directory probes the endpoint at `D`: a killed process's socket refuses
   * connections before its pid is reaped). Asked when the last connection to
   * a peer closes while requests wait on it: `true` rejects them at once.
   * Without it, a peer is gone when {@link lookup} does not list it.
   */
  isGone?(id: string): Promise<boolean>;
  /**
   * Optional: the ids listed, without checking liveness, where that is much
   * cheaper than {@link list} (the route directory: one `readdir`). A
   * broadcast then looks up only the peers it has no connection to.
   */
  ids?(): Promise<string[]>;
  /**
   * Peers coming and going. The first event of every iteration is a
   * `resync` with the current list (the baseline the later events apply
   * to, so nothing falls between a `list()` and the watch); then `up` and
   * `down` as peers come and go, and a further `resync` whenever events may
   * have been missed. Events may be coalesced: a peer that came and went
   * between two looks may not be reported at all. The iteration ends when
   * the signal aborts, the consumer stops (`break`), or the directory
   * closes; a store that becomes unreadable ends it with a coded error.
   * Costs nothing while nobody iterates (the watching starts on the first
   * `next()` and stops when the last iteration ends).
   */
  watch(options?: WatchOptions): AsyncIterable<DirectoryEvent>;
  /**
   * Optional: where a socket-transport peer with this id listens, computed
   * without I/O (the route directory's `D`). A Unix client dials this path
   * before any lookup, and looks up only when the dial fails: the first
   * message to a peer costs no directory read.
   */
  entryPath?(id: string): string;
  /**
   * Stats a peer left at close, where the directory keeps them (the route
   * directory's `D.stats`).
   */
  stats?(id: string): Promise<PeerStats | undefined>;
  /**
   * Releases what the directory holds open (watchers, a Redis connection
   * it created). Does not release registrations. Idempotent.
   */
  close(): Promise<void>;
}
