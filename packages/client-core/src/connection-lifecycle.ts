import type { Duplex } from 'node:stream';
import type { ConnCache } from '@ipcm/conncache';
import { ConnectionClosedError, FrameTimeoutError, type IpcmError } from './errors.js';
import type { Acceptor } from './acceptor.js';
import type { ResolvedOptions } from './check-options.js';
import { disconnectEvent, type ConnectEvent, type DisconnectEvent } from './client-events.js';
import type { ClientCounters } from './client-stats.js';
import { debugLifecycle, diag } from './diagnostics.js';
import type { Dialer } from './dialer.js';
import { toIpcmError, type Inbox } from './inbox.js';
import { setRef } from './keep-alive.js';
import type { PeerConnection, Direction } from './peer-connection.js';
import type { PeerDirectory } from './peer-directory.js';
import { peerIsGone } from './peer-locator.js';
import { admitWaiting } from './send-wait.js';

/** What the {@link ConnectionLifecycle} needs from its client. */
export interface ConnectionLifecycleHost {
  readonly id: string;
  readonly options: ResolvedOptions;
  readonly cache: ConnCache<PeerConnection, Direction, string>;
  /** Every connection not yet closed (shared with the inbox, stats and shutdown). */
  readonly sockets: Set<PeerConnection>;
  readonly counters: ClientCounters;
  readonly inbox: Inbox;
  readonly dialer: Dialer;
  readonly acceptor: Acceptor;
  readonly requests: { waitsOn(peerId: string): boolean; peerGone(peerId: string, error: Error): void };
  isRefed(): boolean;
  /** The directory, once the client's start has opened it. */
  readonly currentDirectory: PeerDirectory | undefined;
  emitConnect(event: ConnectEvent): void;
  emitDisconnect(event: DisconnectEvent): void;
  reportError(error: IpcmError): void;
}

/**
 * A connection's life in the client, from its socket to its close: the
 * socket's events wired to the decoder and the inbox, the cache entry and
 * its `'connect'`, retiring (flush, linger, R26/R29/R36) and the
 * `'disconnect'` that says what was lost, and the counts folded at close.
 */
export class ConnectionLifecycle {
  /** Set by a closing client: called once the last socket has closed. */
  onAllClosed: (() => void) | undefined;
  readonly #host: ConnectionLifecycleHost;
  readonly #cache: ConnCache<PeerConnection, Direction, string>;
  readonly #sockets: Set<PeerConnection>;
  readonly #counters: ClientCounters;
  readonly #inbox: Inbox;
  readonly #dialer: Dialer;
  readonly #acceptor: Acceptor;

  constructor(host: ConnectionLifecycleHost) {
    this.#host = host;
    this.#cache = host.cache;
    this.#sockets = host.sockets;
    this.#counters = host.counters;
    this.#inbox = host.inbox;
    this.#dialer = host.dialer;
    this.#acceptor = host.acceptor;
  }

  /**
   * Puts a ready connection in the cache, which may evict others first, and
   * announces it. At capacity 0 the cache drops it at once: then it is
   * never announced, and no 'disconnect' follows either.
   */
  cacheConnection(conn: PeerConnection, direction: Direction, peerId: string): void {
    this.#dialer.routeChanged(); // a new connection may take precedence
    const record = this.#cache.deposit(direction, peerId, conn);
    if (conn.closing !== undefined) return;
    conn.record = record;
    conn.announced = true;
    diag.connect(() => ({ clientId: this.#host.id, peerId, direction }));
    this.#host.emitConnect({ peerId, direction });
  }

  /** Wires a socket's events to the engine. Every socket gets an 'error' listener at once. */
  adopt(conn: PeerConnection, socket: Duplex): void {
    conn.socket = socket;
    this.#sockets.add(conn);
    if (!this.#host.isRefed()) setRef(socket, false);
    // Reading pauses while the application is behind, but never for a
    // connection that has yet to say hello: it would time out for our fault.
    if (this.#inbox.paused && conn.peerId !== undefined) socket.pause();
    const onFrame = (payload: Buffer): void => this.#onFrame(conn, payload);
    // Idle between frames is fine; a partial frame that stalls is not (R6).
    const onStall = (): void => {
      this.fail(conn, new FrameTimeoutError(`a partial frame stalled for ${this.#host.options.frameTimeoutMs} ms`));
    };
    socket.on('data', (chunk: Buffer) => {
      this.#counters.bytesIn += chunk.length;
      this.#touch(conn);
      try {
        conn.decoder.decode(chunk, onFrame);
      } catch (error) {
        this.fail(conn, toIpcmError(error));
        return;
      }
      conn.watchPartialFrame(this.#host.options.frameTimeoutMs, onStall);
    });
    socket.on('end', () => {
      try {
        conn.decoder.end();
      } catch (error) {
        this.fail(conn, toIpcmError(error));
      }
      // The peer is done: no new send may pick this connection (R24); the
      // next one dials afresh.
      if (conn.record !== undefined) this.#cache.dropRecord(conn.record, conn.error === undefined ? 'closed' : 'error');
    });
    socket.on('error', (error) => {
      conn.error ??= new ConnectionClosedError(`connection to ${conn.peerId ?? 'a peer'} failed: ${error.message}`, {
        cause: error,
      });
    });
    socket.on('close', () => this.#onClose(conn));
  }

  #onFrame(conn: PeerConnection, payload: Buffer): void {
    if (conn.error !== undefined) return;
    const peerId = conn.peerId;
    if (peerId === undefined) {
      this.#acceptor.hello(conn, payload); // only accepted connections start without an id
      return;
    }
    this.#inbox.receive(conn, peerId, payload);
  }

  /** Hooks a connection's send side to the engine: waiting sends are admitted as room frees. */
  wire(conn: PeerConnection): void {
    conn.onRoom = this.#onRoom;
    conn.onDrained = this.#onDrained;
  }

  readonly #onRoom = (conn: PeerConnection): void => admitWaiting(conn, this.#host.options.maxPendingBytes);
  /** A connection's last accepted frame was written: it is idle from now (its last activity). */
  readonly #onDrained = (conn: PeerConnection): void => this.#touch(conn);

  /** Marks a cached connection used now (its record's time is its last activity). */
  #touch(conn: PeerConnection): void {
    if (conn.record !== undefined) this.#cache.touch(conn.record);
  }

  /** Closes one connection because of a peer-level error, and reports it. */
  fail(conn: PeerConnection, error: IpcmError): void {
    if (conn.error !== undefined && conn.socket?.destroyed) return;
    conn.error ??= error;
    this.#host.reportError(error);
    conn.socket?.destroy();
  }

  /** The cache's dispose: a connection is leaving the cache for `reason`. */
  retire(conn: PeerConnection, reason: string): void {
    debugLifecycle('evict', { clientId: this.#host.id, peerId: conn.peerId, direction: conn.direction, reason });
    conn.record = undefined;
    conn.closing ??= reason;
    const peerId = conn.peerId as string;
    // Until it has closed, a new connection to the peer waits (see Dialer.dial).
    if (!conn.flushed) this.#dialer.retiring.set(peerId, conn);
    // Closed after lingerMs at the latest; what it could not deliver by then
    // is counted and reported when it closes (see #onClose).
    conn.end(this.#host.options.lingerMs);
    // Read what the peer still sends until it closes (those messages were
    // sent before it saw our end), but not while the application is behind:
    // a peer reconnecting again and again must not get more read (R36).
    if (!this.#inbox.paused) conn.socket?.resume();
    if (!conn.announced) return;
    // Still flushing: the event waits for the socket to close, to say how
    // many accepted messages it could not write.
    if (!conn.flushed && conn.socket !== undefined && !conn.socket.destroyed) conn.disconnectReason = reason;
    else this.#disconnected(conn, reason);
  }

  #onClose(conn: PeerConnection): void {
    debugLifecycle('close', {
      clientId: this.#host.id,
      peerId: conn.peerId,
      direction: conn.direction,
      reason: conn.closing ?? 'closed',
      error: conn.error,
    });
    conn.cleanup();
    this.#inbox.dropUnread(conn);
    if (conn.peerId !== undefined && this.#dialer.retiring.get(conn.peerId) === conn) this.#dialer.retiring.delete(conn.peerId);
    this.#sockets.delete(conn);
    this.#acceptor.forget(conn);
    // A dial in progress fails its queued sends itself, with the reason.
    if (this.#dialer.dialing.get(conn.peerId ?? '') !== conn) {
      conn.finish(conn.error ?? new ConnectionClosedError(`connection to ${conn.peerId ?? 'a peer'} closed`));
    }
    if (conn.record !== undefined) {
      this.#cache.dropRecord(conn.record, conn.error === undefined ? 'closed' : 'error');
    }
    if (conn.disconnectReason !== undefined) {
      const reason = conn.disconnectReason;
      conn.disconnectReason = undefined;
      this.#disconnected(conn, reason);
    }
    this.#counters.fold(conn);
    if (conn.peerId !== undefined) this.#checkPeerGone(conn.peerId);
    if (this.#sockets.size === 0) this.onAllClosed?.();
  }

  /** Announces that an announced connection left the client. */
  #disconnected(conn: PeerConnection, reason: string): void {
    diag.disconnect(() => ({ clientId: this.#host.id, peerId: conn.peerId ?? '', direction: conn.direction, reason, error: conn.error }));
    this.#host.emitDisconnect(disconnectEvent(conn, reason));
  }

  /**
   * The last connection to `peerId` closed while requests wait on it: if
   * the peer is gone (no longer listed, or its process died), they are
   * rejected at once instead of waiting out their timeout. A peer still
   * listed may answer over a new connection, so its requests wait.
   */
  #checkPeerGone(peerId: string): void {
    if (!this.#host.requests.waitsOn(peerId) || this.#dialer.connectionTo(peerId) !== undefined) return;
    peerIsGone(this.#host.currentDirectory, peerId).then(
      (gone) => {
        if (!gone || this.#dialer.connectionTo(peerId) !== undefined) return;
        this.#host.requests.peerGone(
          peerId,
          new ConnectionClosedError(`peer ${JSON.stringify(peerId)} is gone (its connection closed and it is no longer listed or running)`),
        );
      },
      () => undefined, // the directory cannot be read: the timeout still applies
    );
  }
}
