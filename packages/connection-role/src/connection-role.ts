import { closeIdleConnections } from './close-idle-connections.js';
import type { ConnectionHost, PeerIdOf } from './connection-host.js';
import { connections, disconnectConnection, hasConnection, lastActivity } from './connection-operations.js';

/**
 * A class whose instances are `Host`: what {@link ConnectionRole} accepts
 * and returns.
 *
 * The `any[]` is TypeScript's rule for mixins, not a loophole: a mixin's
 * base constructor must take `...args: any[]` (TS2545) so that the mixed
 * class can pass its arguments through unchanged. The constructor
 * parameters of the class you pass in are kept in the result.
 */
export type ConnectionHostClass<Host> = new (...args: any[]) => Host;

/**
 * The methods {@link ConnectionRole} adds; the same operations as the
 * plain functions of this package, with the host as `this`.
 */
export interface ConnectionRoleMethods<Id extends string = string> {
  /** True iff there is a cached connection to `peerId`. */
  hasConnection(peerId: Id): boolean;
  /** Ids of every peer with a cached connection, sorted ascending. */
  connections(): Id[];
  /** Close the connection to `peerId`; true if one was present. */
  disconnectConnection(peerId: Id): boolean;
  /** `lastActive` of the connection to `peerId`, or `undefined` if none. */
  lastActivity(peerId: Id): number | undefined;
  /**
   * Close connections idle for longer than `maxIdleMs` (strictly older than
   * `now - maxIdleMs`); returns how many were closed. No timer: call it
   * when you want a sweep. See the `closeIdleConnections` function.
   */
  closeIdleConnections(maxIdleMs: number, now?: number): number;
}

/**
 * Mix the connection role into `Base`. The compiler checks the role's
 * requirements: `Base`'s instances must have `connectionTable()` and
 * `closeConnection(peerId)` (see {@link ConnectionHost}).
 *
 * Methods of the same names on `Base` are replaced by the role's.
 *
 * @example
 * ```ts
 * class Client {
 *   readonly #table = new Map<string, { socket: Socket; lastActive: number }>();
 *   connectionTable() { return this.#table; }
 *   closeConnection(peerId: string) {
 *     this.#table.get(peerId)?.socket.destroy();
 *     this.#table.delete(peerId);
 *   }
 * }
 * const RoleClient = ConnectionRole(Client);
 * new RoleClient().closeIdleConnections(60_000);
 * ```
 */
export function ConnectionRole<TBase extends ConnectionHostClass<ConnectionHost<string>>>(
  Base: TBase,
): TBase & ConnectionHostClass<ConnectionRoleMethods<PeerIdOf<InstanceType<TBase>>>> {
  type Id = PeerIdOf<InstanceType<TBase>>;
  // `this` is a ConnectionHost by TBase's constraint; its id type is the
  // one the host declared, which the constraint widens to string.
  const host = (self: unknown): ConnectionHost<Id> => self as ConnectionHost<Id>;

  class WithConnectionRole extends Base implements ConnectionRoleMethods<Id> {
    hasConnection(peerId: Id): boolean {
      return hasConnection(host(this), peerId);
    }

    connections(): Id[] {
      return connections(host(this));
    }

    disconnectConnection(peerId: Id): boolean {
      return disconnectConnection(host(this), peerId);
    }

    lastActivity(peerId: Id): number | undefined {
      return lastActivity(host(this), peerId);
    }

    closeIdleConnections(maxIdleMs: number, now?: number): number {
      return closeIdleConnections(host(this), maxIdleMs, now);
    }
  }
  return WithConnectionRole;
}
