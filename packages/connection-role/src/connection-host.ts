/**
 * What the role reads from one cached connection. Hosts usually store more
 * (the socket, counters); the role never looks at anything else, so the rest
 * of the entry stays the host's business.
 */
export interface ConnectionEntry {
  /**
   * When the connection last sent or received bytes, in milliseconds on the
   * host's clock (see {@link ConnectionHost.now}): epoch ms by default.
   * The host updates it on every successful read or write.
   */
  readonly lastActive: number;
}

/** Why the role asks its host to close a connection. */
export type CloseReason = 'idle' | 'disconnect';

/**
 * The members a host must have for the role to work on it: what the Perl
 * role calls `_connections` and `_close_connection`. They are public members
 * because TypeScript can only check public members of a mixin's base; keep
 * them off your documented API if you like, the role needs nothing more.
 *
 * @typeParam Id - the host's peer id type; a branded string type is fine.
 *
 * @example
 * ```ts
 * class Client implements ConnectionHost {
 *   readonly #table = new Map<string, { socket: Socket; lastActive: number }>();
 *   connectionTable() { return this.#table; }
 *   closeConnection(peerId: string) {
 *     this.#table.get(peerId)?.socket.destroy();
 *     this.#table.delete(peerId);
 *   }
 * }
 * ```
 */
export interface ConnectionHost<Id extends string = string> {
  /**
   * The live connection table, keyed by peer id. Called at least once per
   * role operation, so it must be cheap (return the host's own `Map`, not a
   * copy). The role never writes to it.
   */
  connectionTable(): ReadonlyMap<Id, ConnectionEntry>;

  /**
   * Close the connection to `peerId` and remove it from the table. The role
   * only calls it for ids present in the table, but it may be called from
   * inside {@link closeIdleConnections} and may itself close or remove other
   * entries; it must be a no-op when the connection is already gone.
   * `reason` says why: `'idle'` from {@link closeIdleConnections},
   * `'disconnect'` from `disconnectConnection` (a host may report it, say
   * in a disconnect event; one that has no use for it may leave it out).
   */
  closeConnection(peerId: Id, reason: CloseReason): void;

  /**
   * Optional: the table in ascending `lastActive` order (oldest first).
   * When present, `closeIdleConnections` reads it only up to the first entry
   * that is not idle, so its cost grows with the number closed rather than
   * with the table size. A `Map` whose entries are deleted and re-inserted
   * whenever `lastActive` is updated is already in this order, so
   * `return this.#table.entries()` is usually enough. If the order is wrong,
   * idle connections after the first non-idle one are left open.
   */
  connectionsByIdleness?(): Iterable<readonly [Id, ConnectionEntry]>;

  /**
   * Optional: the clock `lastActive` is read from, in milliseconds. Used for
   * the idle cut-off when `closeIdleConnections` is not given a time.
   *
   * @default Date.now
   */
  now?(): number;
}

/**
 * The peer id type of a host: `string` for a plain `ConnectionHost`, the
 * branded type for a `ConnectionHost<PeerId>`.
 */
export type PeerIdOf<Host extends ConnectionHost<string>> =
  Host extends ConnectionHost<infer Id extends string> ? Id : never;
