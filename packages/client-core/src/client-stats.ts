import type { ConnCache, ConnCacheStats } from '@ipcm/conncache';
import type { Direction, PeerConnection } from './peer-connection.js';
import type { RequestStats } from './requests.js';
import type { ResponderStats } from './responder.js';

/** Counters of a client, from `client.stats()`. */
export interface ClientStats {
  /** Messages accepted for each peer (their `send()` resolved); see `unwritten` for those then lost. */
  readonly sent: Record<string, number>;
  /** Accepted messages that never reached the kernel (the connection died or was destroyed), all peers. */
  readonly unwritten: number;
  /** Messages read from each peer. */
  readonly read: Record<string, number>;
  /** Outbound connections established. */
  readonly connects: number;
  /** Inbound connections accepted (after their hello). */
  readonly accepts: number;
  /** Sends that used a connection already open. */
  readonly reuses: number;
  /** Connections dropped from the cache, by reason. */
  readonly drops: Readonly<Record<string, number>>;
  readonly framesIn: number;
  readonly framesOut: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** Peer-level errors (bad frames, bad hellos, bad messages...), and coded errors that rejected a listener's promise. */
  readonly errors: number;
  /**
   * Messages read off a connection while the application was behind (see
   * `maxQueuedMessages`) and dropped undelivered because that connection
   * closed first: a replaced, evicted or reaped connection is closed after
   * `lingerMs` even if it was not read to its end (R36).
   */
  readonly undelivered: number;
  /** Connections currently open, by direction. */
  readonly open: { readonly outbound: number; readonly inbound: number };
  /** The connection cache's own counters. */
  readonly cache: ConnCacheStats<Direction>;
  /** Requests this client made (`request()`): pending, answered, timed out, late responses... */
  readonly requests: RequestStats;
  /** Requests this client answered (`handle()`): received, running, responded, handler errors... */
  readonly responder: ResponderStats;
}

/**
 * The client's own counters. Open connections keep their send and read
 * counts themselves (see {@link PeerConnection}); they are folded in here
 * when the connection closes. Drops and open connections are the cache's
 * facts: {@link ClientCounters.snapshot} reads them from it.
 */
export class ClientCounters {
  /** Messages accepted per peer, from connections that have closed. */
  readonly sent = new Map<string, number>();
  /** Messages read per peer, from connections that have closed. */
  readonly read = new Map<string, number>();
  connects = 0;
  accepts = 0;
  reuses = 0;
  framesIn = 0;
  bytesIn = 0;
  /** Frames and bytes accepted on connections that have closed. */
  framesOut = 0;
  bytesOut = 0;
  unwritten = 0;
  errors = 0;
  undelivered = 0;

  /** Moves a closed connection's counts into the totals. */
  fold(conn: PeerConnection): void {
    if (conn.peerId !== undefined && conn.sentFrames > 0) {
      this.sent.set(conn.peerId, (this.sent.get(conn.peerId) ?? 0) + conn.sentFrames);
    }
    if (conn.peerId !== undefined && conn.readFrames > 0) {
      this.read.set(conn.peerId, (this.read.get(conn.peerId) ?? 0) + conn.readFrames);
    }
    conn.readFrames = 0;
    this.framesOut += conn.sentFrames;
    this.bytesOut += conn.sentBytes;
    this.unwritten += conn.unwritten;
    conn.sentFrames = 0;
    conn.sentBytes = 0;
    conn.unwritten = 0;
  }

  /** The totals, the open connections' own counts, and the cache's facts (open connections, drops). */
  snapshot(
    cache: ConnCache<PeerConnection, Direction, string>,
    sockets: Iterable<PeerConnection>,
    requests: RequestStats,
    responder: ResponderStats,
  ): ClientStats {
    const sent = new Map(this.sent);
    const read = new Map(this.read);
    let framesOut = this.framesOut;
    let bytesOut = this.bytesOut;
    let unwritten = this.unwritten;
    for (const conn of sockets) {
      if (conn.peerId !== undefined && conn.sentFrames > 0) sent.set(conn.peerId, (sent.get(conn.peerId) ?? 0) + conn.sentFrames);
      if (conn.peerId !== undefined && conn.readFrames > 0) read.set(conn.peerId, (read.get(conn.peerId) ?? 0) + conn.readFrames);
      framesOut += conn.sentFrames;
      bytesOut += conn.sentBytes;
      unwritten += conn.unwritten;
    }
    const cacheStats = cache.stats();
    return {
      sent: Object.fromEntries(sent),
      unwritten,
      read: Object.fromEntries(read),
      connects: this.connects,
      accepts: this.accepts,
      reuses: this.reuses,
      // Every drop goes through the cache's dispose; the cache counts them,
      // the built-in reasons from 0: only those that happened are listed.
      drops: Object.fromEntries(Object.entries(cacheStats.drops).filter(([, count]) => count > 0)),
      framesIn: this.framesIn,
      framesOut,
      bytesIn: this.bytesIn,
      bytesOut,
      errors: this.errors,
      undelivered: this.undelivered,
      open: { outbound: cacheStats.sizeByType.outbound ?? 0, inbound: cacheStats.sizeByType.inbound ?? 0 },
      cache: cacheStats,
      requests,
      responder,
    };
  }
}
