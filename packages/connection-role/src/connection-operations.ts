import type { ConnectionHost } from './connection-host.js';

/**
 * True iff there is a cached connection to `peerId`.
 *
 * @example
 * ```ts
 * if (!hasConnection(client, 'worker-1')) console.log('will connect on send');
 * ```
 */
export function hasConnection<Id extends string>(host: ConnectionHost<Id>, peerId: Id): boolean {
  return host.connectionTable().has(peerId);
}

/**
 * The ids of every peer with a cached connection, sorted ascending in
 * default string order (UTF-16 code units, as `Array.prototype.sort`).
 * A new array each call.
 *
 * @example
 * ```ts
 * console.log(connections(client)); // ['alpha', 'beta']
 * ```
 */
export function connections<Id extends string>(host: ConnectionHost<Id>): Id[] {
  return [...host.connectionTable().keys()].sort();
}

/**
 * Close the connection to `peerId` if there is one.
 *
 * @returns true if a connection was present (and `closeConnection` was
 *   called), false if there was none (and the host was not called).
 *
 * @example
 * ```ts
 * disconnectConnection(client, 'worker-1'); // true, then false
 * ```
 */
export function disconnectConnection<Id extends string>(host: ConnectionHost<Id>, peerId: Id): boolean {
  if (!host.connectionTable().has(peerId)) return false;
  host.closeConnection(peerId, 'disconnect');
  return true;
}

/**
 * When the connection to `peerId` last sent or received bytes (its entry's
 * `lastActive`, epoch ms unless the host uses another clock), or
 * `undefined` if there is no such connection.
 *
 * @example
 * ```ts
 * const at = lastActivity(client, 'worker-1');
 * if (at !== undefined) console.log(new Date(at).toISOString());
 * ```
 */
export function lastActivity<Id extends string>(host: ConnectionHost<Id>, peerId: Id): number | undefined {
  return host.connectionTable().get(peerId)?.lastActive;
}
