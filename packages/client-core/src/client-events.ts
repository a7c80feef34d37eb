import type { IpcmError } from './errors.js';
import type { Message } from './message.js';
import type { Direction, PeerConnection } from './peer-connection.js';

/** Emitted when a connection is ready: dialled and connected, or accepted and said hello. */
export interface ConnectEvent {
  readonly peerId: string;
  readonly direction: Direction;
}

/**
 * Emitted once for every connection that was announced by `'connect'` and
 * has now left the client. `reason` is a cache drop reason (`'total
 * capacity'`, `'type capacity'`, `'idle'`, `'disconnect'`...), `'closed'`
 * (the peer closed it), `'error'` (with `error`), `'replaced'` (the peer
 * connected again) or `'client closed'`.
 */
export interface DisconnectEvent {
  readonly peerId: string;
  readonly direction: Direction;
  readonly reason: string;
  readonly error?: IpcmError;
  /**
   * Messages whose `send()` had resolved (they were accepted) but that never
   * reached the kernel: the connection died, or `destroy()` discarded them.
   * They are not resent. 0 when everything accepted was written.
   */
  readonly unwritten: number;
}

/**
 * Emitted while someone listens for `'peer'`: a peer became listed in the
 * client's directory (`'up'`) or left it (`'down'`: released its id, or was
 * found dead by the directory's rescan). The first events after the first
 * listener attaches report, as `'up'`, every peer already listed.
 */
export interface PeerEvent {
  readonly id: string;
  readonly type: 'up' | 'down';
}

/** The events of a client and their listener arguments; `C` is the content type (see `PeerTypes`). */
export interface ClientEvents<C = unknown> {
  message: [message: Message<C>];
  connect: [event: ConnectEvent];
  disconnect: [event: DisconnectEvent];
  error: [error: IpcmError];
  peer: [event: PeerEvent];
}

/** The `'disconnect'` event of a connection that left the client for `reason`. */
export function disconnectEvent(conn: PeerConnection, reason: string): DisconnectEvent {
  const base = { peerId: conn.peerId ?? '', direction: conn.direction, reason, unwritten: conn.unwritten };
  return conn.error === undefined ? base : { ...base, error: conn.error };
}
