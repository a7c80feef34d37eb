import type { Duplex } from 'node:stream';
import type { ConnCache } from '@ipcm/conncache';
import { ConnectError, ConnectionClosedError } from './errors.js';
import type { ResolvedOptions } from './check-options.js';
import type { ClientCounters } from './client-stats.js';
import { debugLifecycle } from './diagnostics.js';
import type { Timers } from './options.js';
import { PeerConnection, type Direction } from './peer-connection.js';
import type { PeerDirectory } from './peer-directory.js';
import { dialTargetFor, resolvePeer } from './peer-locator.js';
import type { Transport } from './transport.js';

/** What the {@link Dialer} needs from its client. */
export interface DialerHost {
  readonly id: string;
  readonly options: ResolvedOptions;
  readonly timers: Timers;
  readonly transport: Transport;
  readonly cache: ConnCache<PeerConnection, Direction, string>;
  readonly counters: ClientCounters;
  /** The hello an outbound connection sends first. */
  readonly helloFrame: Buffer;
  /** True once destroy() was called: nothing is completed any more. */
  isForced(): boolean;
  /** The client's directory; throws the client-closed error when there is none. */
  directory(): PeerDirectory;
  closedError(): Error;
  /** Wires the socket's events to the client. */
  adopt(conn: PeerConnection, socket: Duplex): void;
  /** Hooks the connection's send side to the client. */
  wire(conn: PeerConnection): void;
  /** Caches a connection that is ready, and announces it. */
  cacheConnection(conn: PeerConnection, peerId: string): void;
}

/**
 * Dialling peers, and which connection a send to a peer goes over: the
 * one we dialled (cached, or still being opened), else one the peer opened.
 */
export class Dialer {
  /** Outbound connections from first send until ready; not in the cache (R29). */
  readonly dialing = new Map<string, PeerConnection>();
  /** Connections leaving the cache with bytes still to flush, by peer: a new dial waits for them (R26). */
  readonly retiring = new Map<string, PeerConnection>();
  /** The dials in progress, so a graceful close can let them finish and flush. */
  readonly dials = new Set<Promise<void>>();
  readonly #host: DialerHost;
  readonly #cache: ConnCache<PeerConnection, Direction, string>;
  /** What connectionTo last found, while it is cached: one look-up per send to the same peer. */
  #lastRoute: PeerConnection | undefined;

  constructor(host: DialerHost) {
    this.#host = host;
    this.#cache = host.cache;
  }

  /** A connection was cached: it may take precedence over the last route found. */
  routeChanged(): void {
    this.#lastRoute = undefined;
  }

  /** The connection a message to `peerId` goes over: the one we dialled, else one the peer opened. */
  connectionTo(peerId: string): PeerConnection | undefined {
    // The answer for the last peer, while its connection stays cached and
    // no connection was deposited or dialled since (either could change it).
    const last = this.#lastRoute;
    if (last !== undefined && last.peerId === peerId && last.record !== undefined) return last;
    const conn =
      this.#cache.find('outbound', peerId)?.conn ??
      this.dialing.get(peerId) ??
      this.#cache.find('inbound', peerId)?.conn;
    this.#lastRoute = conn?.record !== undefined ? conn : undefined;
    return conn;
  }

  /**
   * Starts dialling `peerId`. The connection object exists at once so sends
   * made while the peer is looked up queue on it in order (R26).
   */
  dial(peerId: string): PeerConnection {
    this.#lastRoute = undefined;
    const conn = new PeerConnection('outbound', peerId, this.#host.options.maxFrameBytes, this.#host.timers);
    debugLifecycle('dial', { clientId: this.#host.id, peerId });
    this.#host.wire(conn);
    this.dialing.set(peerId, conn);
    const dial = this.#connect(conn, peerId);
    this.dials.add(dial);
    void dial.finally(() => this.dials.delete(dial));
    return conn;
  }

  async #connect(conn: PeerConnection, peerId: string): Promise<void> {
    // After every await: a close() may have given up on this dial meanwhile.
    const abandoned = (): boolean => this.#host.isForced() || this.dialing.get(peerId) !== conn;
    try {
      const target = await dialTargetFor(this.#host.directory(), peerId, this.#host.transport);
      if (abandoned()) throw this.#host.closedError();
      const { socket, ready } = this.#host.transport.connect(target);
      this.#host.adopt(conn, socket);
      try {
        await ready;
      } catch (cause) {
        // Say why in the route directory's terms when it can tell (not
        // listening, gone, another transport); else it is a connect error.
        if (!target.resolved) await resolvePeer(this.#host.directory(), peerId, this.#host.transport);
        throw new ConnectError(`cannot connect to ${peerId} over ${this.#host.transport.name}: ${(cause as Error).message}`, {
          cause,
        });
      }
      if (conn.closing !== undefined || socket.destroyed) {
        throw conn.error ?? new ConnectionClosedError(`connection to ${peerId} closed while connecting`);
      }
      // An evicted connection to this peer may still be flushing: let it
      // finish before anything newer goes out, or the peer could read the
      // two interleaved (R26). It is destroyed after lingerMs at the latest.
      const predecessor = this.retiring.get(peerId);
      if (predecessor !== undefined) await predecessor.whenClosed();
      if (abandoned()) throw this.#host.closedError();
      if (socket.destroyed) throw conn.error ?? new ConnectionClosedError(`connection to ${peerId} closed while connecting`);
    } catch (error) {
      if (this.dialing.get(peerId) === conn) this.dialing.delete(peerId);
      conn.closing ??= 'connect failed';
      conn.destroy(error as Error);
      return;
    }
    this.dialing.delete(peerId);
    conn.setHello(this.#host.helloFrame);
    conn.open();
    this.#host.counters.connects++;
    this.#host.cacheConnection(conn, peerId);
  }
}
