/*
 * The public types of the route directory: what an entry is, how a transport
 * probes one, what a claim offers, and the options of the functions in
 * route-directory.ts. Types only; the layout and locking they describe are
 * explained at the top of entry-store.ts.
 */

/** What a peer's endpoint file D is. */
export type EntryKind = 'socket' | 'address' | 'marker';

/** A probe's verdict on an endpoint. */
export type Liveness = 'live' | 'stale';

/**
 * A peer's address as stored in an `address` entry: a JSON object whose
 * `transport` names the transport that can reach it. Other keys belong to
 * that transport, which alone decides whether they make an address it can
 * dial (its `Transport.canDial`); client-core checks only this shape.
 */
export interface RouteAddress {
  readonly transport: string;
  readonly [key: string]: unknown;
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
   * Removes D and `D.pid`, leaving `D.stats` and `D.name` (as IPC::Manager
   * does, so the counts keep their real id). Close a socket
   * transport's server first. Idempotent; does nothing when called from a
   * process other than the claimant (R32) or when the lock has been taken
   * over meanwhile.
   */
  release(): Promise<void>;
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
