import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { ConnCache, type ConnCacheStats } from '@ipcm/conncache';
import {
  closeIdleConnections,
  connections,
  disconnectConnection,
  hasConnection,
  lastActivity,
  type ConnectionHost,
} from '@ipcm/connection-role';
import {
  FrameTimeoutError,
  BadHelloError,
  BadJsonError,
  ClientClosedError,
  ConnectError,
  ConnectionClosedError,
  FrameTooLargeError,
  BackpressureError,
  BadContentError,
  HelloTimeoutError,
  SendAbortedError,
  SendTimeoutError,
  IpcmError,
  PeerNotListeningError,
  ProtocolError,
  RouteError,
  UnknownPeerError,
  WrongTransportError,
} from './errors.js';
import { FRAME_HEADER_BYTES } from './frame-encoder.js';
import { MessageQueue } from './message-queue.js';
import { createMessage, encodeJsonMessageFrame, isHello, parseHello, validateMessage, validatePeerId, type Message } from './message.js';
import { PeerConnection, type Direction, type Settler, type Waiter } from './peer-connection.js';
import { RouteDirectory } from './route-directory.js';
import type { PeerEntry, RouteAddress, RouteClaim } from './route-types.js';
import { decodePayload, encodeValueFrame, jsonSerializer, toAsciiJson, type Serializer } from './serializer.js';
import type { ClientOptions, Clock, SendOptions } from './options.js';
import type { DialTarget, Transport, TransportListener } from './transport.js';
import { checkOptions, type ResolvedOptions } from './check-options.js';
import { badContent, ContentProblem, encodingProblem, wireContent } from './content-check.js';
import { createRoleHost } from './role-host.js';

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

/** The events of a client and their listener arguments. */
export interface ClientEvents {
  message: [message: Message];
  connect: [event: ConnectEvent];
  disconnect: [event: DisconnectEvent];
  error: [error: IpcmError];
}

/** The outcome of a broadcast for one peer. */
export interface BroadcastResult {
  readonly sent: boolean;
  readonly error?: Error;
}

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
}

type ClientState = 'starting' | 'open' | 'closing' | 'closed';

/**
 * Largest first frame an accepted connection may send: a hello with an id
 * and a token of 1 KiB each, every character escaped as \uXXXX.
 */
const MAX_HELLO_BYTES = 16 * 1024;

/** The end of a broadcast message's JSON (see encodeJsonMessageFrame). */
const BROADCAST_TAIL = ',"broadcast":true}';

/** Dead entries (and temporary files) a client's start removes at most (R37). */
const REAP_PER_START = 16;

/**
 * The transport-agnostic client engine. A transport package wraps it with a
 * transport (see {@link Transport}) and a factory; users normally meet it as
 * `UnixClient` or `TcpClient`.
 *
 * Connections live in one {@link ConnCache} (total capacity
 * `maxConnections`, per-direction capacities `maxOutbound`/`maxInbound`) and
 * the `@ipcm/connection-role` operations (`hasConnection`, `connections`,
 * `disconnectConnection`, `lastActivity`, `closeIdleConnections`) work over
 * it; there is no second table.
 */
export class Client extends EventEmitter<ClientEvents> implements AsyncDisposable, AsyncIterable<Message> {
  /** This peer's id. */
  readonly id: string;
  /** The route directory path, if this client uses one. */
  readonly route: string | undefined;
  /** Whether this client accepts connections. */
  readonly listening: boolean;

  readonly #options: ResolvedOptions;
  readonly #transport: Transport;
  readonly #clock: Clock;
  readonly #serializer: Serializer;
  readonly #cache: ConnCache<PeerConnection, Direction, string>;
  /** Outbound connections from first send until ready; not in the cache (R29). */
  readonly #dialing = new Map<string, PeerConnection>();
  /** Connections leaving the cache with bytes still to flush, by peer. */
  readonly #retiring = new Map<string, PeerConnection>();
  /** The dials in progress, so a graceful close can let them finish and flush. */
  readonly #dials = new Set<Promise<void>>();
  /** Set by destroy(): nothing is flushed or completed any more. */
  #forced = false;
  /** Accepted connections waiting for their hello; never cached (R10). */
  readonly #handshakes = new Set<PeerConnection>();
  /** Every socket not yet closed, so close() can wait for them. */
  readonly #sockets = new Set<PeerConnection>();
  readonly #queue: MessageQueue<Message>;
  readonly #roleHost: ConnectionHost<string>;
  /** Added to the monotonic clock to give epoch milliseconds. */
  readonly #epochOffset: number;

  #state: ClientState = 'starting';
  #routeDir: RouteDirectory | undefined;
  #claim: RouteClaim | undefined;
  #listener: TransportListener | undefined;
  #closed: Promise<void> | undefined;
  #socketsClosed: (() => void) | undefined;
  #paused = false;
  /** Reason used when the role asks us to close a connection. */
  #roleReason = 'disconnect';
  readonly #helloFrame: Buffer;

  /** Messages accepted per peer, from connections that have closed (open ones keep their own count). */
  readonly #sent = new Map<string, number>();
  /** Messages read per peer, from connections that have closed (open ones keep their own count). */
  readonly #read = new Map<string, number>();
  #connects = 0;
  #accepts = 0;
  #reuses = 0;
  #framesIn = 0;
  #bytesIn = 0;
  /** Frames and bytes accepted on connections that have closed (open ones keep their own counts). */
  #framesOut = 0;
  #bytesOut = 0;
  #unwritten = 0;
  #errors = 0;
  #undelivered = 0;
  readonly #drops: Record<string, number> = {};
  /** `,"from":<our id>,"content":`, the middle of every message's JSON (see encodeJsonMessageFrame). */
  readonly #fromPart: string;
  #tailPeer: string | undefined;
  #tail = '';
  /** What #connectionTo last found, while it is cached: one look-up per send to the same peer. */
  #lastRoute: PeerConnection | undefined;

  /**
   * Use a transport package's factory (`UnixClient.create`, ...) or
   * {@link Client.start} on a subclass; a client must be started before use.
   * `optionNames` are the options the subclass adds to {@link ClientOptions};
   * any other unknown option is refused (`ERR_IPCM_INVALID_OPTION`).
   */
  protected constructor(options: ClientOptions, transport: Transport, optionNames: Iterable<string> = []) {
    // A rejected promise returned by a listener comes back to
    // [captureRejectionSymbol] below instead of crashing the process.
    super({ captureRejections: true });
    this.#options = checkOptions(options, optionNames);
    this.id = this.#options.id;
    this.route = this.#options.route;
    this.listening = this.#options.listen;
    this.#transport = transport;
    this.#clock = this.#options.clock ?? performance;
    this.#serializer = this.#options.serializer ?? jsonSerializer;
    this.#epochOffset = Date.now() - this.#clock.now();
    this.#fromPart = `,"from":${toAsciiJson(this.id)},"content":`;
    this.#helloFrame = encodeValueFrame({ ...transport.helloFields?.(), hello: this.id }, this.#serializer);
    this.#queue = new MessageQueue(this.#options.maxQueuedMessages, () => this.#resumeReading());
    this.#cache = new ConnCache<PeerConnection, Direction, string>({
      totalCapacity: this.#options.maxConnections,
      capacities: { outbound: this.#options.maxOutbound, inbound: this.#options.maxInbound },
      clock: this.#clock,
      // Prefer to evict connections with nothing left to write (R29).
      isEvictable: (record) => record.conn.flushed,
      dispose: (conn, reason) => this.#retire(conn, reason),
    });
    this.#roleHost = createRoleHost(this.#cache, {
      now: () => this.#clock.now() + this.#epochOffset,
      toEpoch: (monotonic) => monotonic + this.#epochOffset,
      reason: () => this.#roleReason,
    });
    // Messages queued while nobody listened go to the first 'message' listener.
    (this as EventEmitter).on('newListener', (event: string | symbol) => {
      if (event === 'message' && this.#queue.length > 0) process.nextTick(() => this.#flushToListeners());
    });
  }

  /** Claims the id in the route directory and starts listening. */
  protected async start(): Promise<void> {
    const { id, route, listen } = this.#options;
    const transport = this.#transport;
    const claim =
      route === undefined
        ? undefined
        : await (this.#routeDir = await RouteDirectory.open(route)).claim(id, listen ? transport.entryKind : 'marker', {
            probe: (target) => transport.probe(target),
          });
    this.#claim = claim;
    try {
      if (listen) {
        this.#listener = await transport.listen(claim?.path, (socket) => this.#accept(socket));
        await claim?.publish(this.#listener.address);
      } else {
        await claim?.publish();
      }
    } catch (error) {
      this.#state = 'closed';
      await this.#listener?.close();
      for (const conn of this.#sockets) conn.socket?.destroy(); // accepted while starting
      await claim?.release();
      throw error;
    }
    // Whoever starts next reaps what killed processes left (their entries,
    // the temporary files of a claim cut short), a bounded amount per start
    // and never a live entry (R37). Reaping is housekeeping: its failure is
    // not this client's.
    await this.#routeDir?.reapStale((target) => transport.probe(target), { limit: REAP_PER_START }).catch(() => undefined);
    this.#state = 'open';
  }

  /** Where this client listens: its socket path or address, as the transport reports it. */
  get address(): RouteAddress | string | undefined {
    return this.#listener?.address ?? this.#claim?.path;
  }

  // ---- sending ------------------------------------------------------------

  /**
   * Sends `content` to `peerId`. Opens a connection on the first send and
   * reuses it after.
   *
   * The promise resolves when the message is **accepted**: encoded and queued
   * on the peer's connection, in order, within `maxPendingBytes` of RAM. With
   * room (the usual case) it is an already-resolved promise and the frame
   * leaves in this turn, so `for (...) await send()` runs at batched speed.
   * Without room the send waits, its content not yet encoded, until the
   * reader catches up: an awaited loop slows to the reader's pace and never
   * fails for going fast. Past `maxWaitingSends` waiting sends it rejects
   * with `ERR_IPCM_BACKPRESSURE`. A first send resolves once the connection
   * is open (dial errors reject it).
   *
   * An accepted message that then never reaches the kernel (the connection
   * dies, `destroy()` discards it) is counted in the `'disconnect'` event's
   * `unwritten` and in `stats().unwritten`; sends still waiting are rejected.
   *
   * Rejects with `ERR_IPCM_CLIENT_CLOSED` after `close()`,
   * `ERR_IPCM_UNKNOWN_PEER` / `ERR_IPCM_PEER_NOT_LISTENING` /
   * `ERR_IPCM_WRONG_TRANSPORT` when the peer cannot be dialled,
   * `ERR_IPCM_CONNECT` when dialling fails, `ERR_IPCM_CONNECTION_CLOSED` when
   * the connection closes while the send waits (it is not resent),
   * `ERR_IPCM_BACKPRESSURE` past `maxWaitingSends`,
   * `ERR_IPCM_SEND_TIMEOUT` / `ERR_IPCM_SEND_ABORTED` when `timeoutMs` or
   * `signal` cancel a waiting send, and `ERR_IPCM_FRAME_TOO_LARGE` past
   * `maxFrameBytes`, and `ERR_IPCM_BAD_CONTENT` for content that cannot be
   * sent (no JSON form, `null`, or the serializer threw); then nothing is
   * written and no connection is opened.
   *
   * @example
   * ```ts
   * for (const job of jobs) await client.send('worker-1', job); // paced by the worker
   * await client.send('worker-1', 'urgent', { timeoutMs: 1000 });
   * ```
   */
  send(peerId: string, content: unknown, options?: SendOptions): Promise<void> {
    return this.#sendMessage(peerId, content, false, options);
  }

  /**
   * Sends `content` to every known peer (listening peers in the route
   * directory, statically configured peers, and peers connected to us) but
   * this one. Each peer's outcome is in the result; it rejects, with nothing
   * sent, when the client is closed, the route directory cannot be read, or
   * the content cannot be sent to anyone (`ERR_IPCM_BAD_CONTENT`,
   * `ERR_IPCM_FRAME_TOO_LARGE`).
   */
  async broadcast(content: unknown): Promise<Map<string, BroadcastResult>> {
    if (this.#state !== 'open') throw this.#closedError();
    // Content that no peer could be sent is refused once, before anything is written.
    this.#encode('', content, true);
    // Peers we are connected to need no look-up; only the others are
    // inspected (alive, listening on our transport).
    const targets = new Set<string>(this.#transport.staticPeers?.() ?? []);
    for (const record of this.#cache.records()) targets.add(record.key);
    for (const peerId of this.#dialing.keys()) targets.add(peerId);
    const routeDir = this.#routeDir;
    if (routeDir !== undefined) {
      const others = (await routeDir.ids()).filter((peerId) => !targets.has(peerId) && peerId !== this.id);
      for (const entry of await Promise.all(others.map((peerId) => routeDir.lookup(peerId)))) {
        if (entry !== undefined && entry.alive && this.#reachable(entry)) targets.add(entry.id);
      }
    }
    targets.delete(this.id);
    const results = new Map<string, BroadcastResult>();
    await Promise.all(
      [...targets].map(async (peerId) => {
        try {
          await this.#sendMessage(peerId, content, true);
          results.set(peerId, { sent: true });
        } catch (error) {
          results.set(peerId, { sent: false, error: error as Error });
        }
      }),
    );
    return results;
  }

  #sendMessage(peerId: string, content: unknown, broadcast: boolean, options?: SendOptions): Promise<void> {
    if (this.#state !== 'open') return Promise.reject(this.#closedError());
    if (options !== undefined) {
      try {
        checkSendOptions(options);
      } catch (error) {
        return Promise.reject(error);
      }
      if (options.signal?.aborted === true) return Promise.reject(abortedError(peerId, options.signal));
    }
    let conn = this.#connectionTo(peerId);
    let frame: Buffer | undefined;
    if (conn === undefined) {
      // Content that cannot be sent opens no connection: a new connection
      // has room, so the frame is encoded before dialling.
      try {
        validatePeerId(peerId); // ids with a connection were checked when it was made
        frame = this.#encode(peerId, content, broadcast);
      } catch (error) {
        return Promise.reject(error);
      }
      conn = this.#dial(peerId);
    } else {
      if (conn.finished) return Promise.reject(new ConnectionClosedError(`connection to ${peerId} is closing`));
      this.#reuses++;
      // No touch here: a connection with bytes to write counts as active
      // now (see role-host.ts), and the write completing touches it
      // (onDrained), so sending reads no clock.
    }
    const target = conn;
    if (frame !== undefined || (target.waiting === 0 && target.charge < this.#options.maxPendingBytes)) {
      try {
        frame ??= this.#encode(peerId, content, broadcast);
      } catch (error) {
        return Promise.reject(error);
      }
      const accepted = frame;
      if (target.ready) {
        target.push(accepted);
        return RESOLVED;
      }
      // Not open yet: the send settles when the dial does.
      return new Promise<void>((resolve, reject) => {
        const settler: Settler = { resolve, reject, cancelled: false, release: undefined };
        if (options !== undefined) {
          cancelWith(options, peerId, settler, (error) => {
            target.cancel(settler);
            reject(error);
          });
        }
        target.push(accepted, settler);
      });
    }
    // No room: refused before anything is encoded (R35), or waits for room.
    if (target.waiting >= this.#options.maxWaitingSends) {
      return Promise.reject(
        new BackpressureError(
          `connection to ${peerId} holds ${target.pendingBytes} bytes (maxPendingBytes ${this.#options.maxPendingBytes}) and ${target.waiting} sends wait (maxWaitingSends ${this.#options.maxWaitingSends})`,
        ),
      );
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        admit: () => target.push(this.#encode(peerId, content, broadcast)),
        resolve,
        reject,
        release: undefined,
        settled: false,
      };
      target.wait(waiter);
      if (options !== undefined) {
        cancelWith(options, peerId, waiter, (error) => {
          target.withdraw(waiter);
          reject(error);
        });
      }
    });
  }

  /** Encodes a message to `peerId` into a frame, checking `maxFrameBytes`. */


  /** Room has freed up on `conn`: admits waiting sends, oldest first, while there is room. */
  #admit(conn: PeerConnection): void {
    while (conn.charge < this.#options.maxPendingBytes && !conn.finished) {
      const waiter = conn.nextWaiter();
      if (waiter === undefined) return;
      waiter.settled = true;
      waiter.release?.();
      try {
        waiter.admit();
      } catch (error) {
        waiter.reject(error as Error);
        continue;
      }
      waiter.resolve();
    }
  }

  /**
   * The send path's encode step: the whole frame of a new message holding
   * `content`, to `to` (a broadcast when undefined). Refuses, with a coded
   * error and nothing written, content that cannot be sent
   * (`ERR_IPCM_BAD_CONTENT`) and a message over `maxFrameBytes`.
   */
  #encode(peerId: string, content: unknown, broadcast: boolean): Buffer {
    const json = this.#serializer === jsonSerializer;
    let frame: Buffer;
    try {
      const value = wireContent(content, json);
      if (value instanceof ContentProblem) throw badContent(sendSubject(peerId, broadcast), value.problem);
      // JSON: only the content is serialized; the envelope is written around it.
      const fast = json ? encodeJsonMessageFrame(this.#fromPart, value, broadcast ? BROADCAST_TAIL : this.#toTail(peerId)) : undefined;
      if (fast !== undefined) {
        frame = fast;
      } else {
        const message = broadcast
          ? createMessage({ from: this.id, broadcast: true, content: value })
          : createMessage({ from: this.id, to: peerId, content: value });
        frame = encodeValueFrame(message, this.#serializer);
      }
    } catch (cause) {
      if (cause instanceof BadContentError) throw cause;
      // A BigInt, a circular object, a throwing toJSON() or a custom serializer's failure.
      throw badContent(sendSubject(peerId, broadcast), encodingProblem(cause, json), cause);
    }
    if (frame.length - FRAME_HEADER_BYTES > this.#options.maxFrameBytes) {
      throw new FrameTooLargeError(
        `${sendSubject(peerId, broadcast)} is ${frame.length - FRAME_HEADER_BYTES} bytes, over maxFrameBytes (${this.#options.maxFrameBytes})`,
      );
    }
    return frame;
  }

  /** The end of a message's JSON to `peerId` (`,"to":"<id>"}`), kept for the last peer sent to. */
  #toTail(peerId: string): string {
    if (peerId !== this.#tailPeer) {
      this.#tail = `,"to":${toAsciiJson(peerId)}}`;
      this.#tailPeer = peerId;
    }
    return this.#tail;
  }


  /** The connection a message to `peerId` goes over: the one we dialled, else one the peer opened. */
  #connectionTo(peerId: string): PeerConnection | undefined {
    // The answer for the last peer, while its connection stays cached and
    // no connection was deposited or dialled since (either could change it).
    const last = this.#lastRoute;
    if (last !== undefined && last.peerId === peerId && last.record !== undefined) return last;
    const conn =
      this.#cache.find('outbound', peerId)?.conn ??
      this.#dialing.get(peerId) ??
      this.#cache.find('inbound', peerId)?.conn;
    this.#lastRoute = conn?.record !== undefined ? conn : undefined;
    return conn;
  }

  /**
   * Starts dialling `peerId`. The connection object exists at once so sends
   * made while the peer is looked up queue on it in order (R26).
   */
  #dial(peerId: string): PeerConnection {
    this.#lastRoute = undefined;
    const conn = new PeerConnection('outbound', peerId, this.#options.maxFrameBytes);
    this.#wire(conn);
    this.#dialing.set(peerId, conn);
    const dial = this.#connect(conn, peerId);
    this.#dials.add(dial);
    void dial.finally(() => this.#dials.delete(dial));
    return conn;
  }

  async #connect(conn: PeerConnection, peerId: string): Promise<void> {
    // After every await: a close() may have given up on this dial meanwhile.
    const abandoned = (): boolean => this.#forced || this.#dialing.get(peerId) !== conn;
    try {
      const target = await this.#target(peerId);
      if (abandoned()) throw this.#closedError();
      const { socket, ready } = this.#transport.connect(target);
      this.#adopt(conn, socket);
      try {
        await ready;
      } catch (cause) {
        // Say why in the route directory's terms when it can tell (not
        // listening, gone, another transport); else it is a connect error.
        if (!target.resolved) await this.#resolve(peerId);
        throw new ConnectError(`cannot connect to ${peerId} over ${this.#transport.name}: ${(cause as Error).message}`, {
          cause,
        });
      }
      if (conn.closing !== undefined || socket.destroyed) {
        throw conn.error ?? new ConnectionClosedError(`connection to ${peerId} closed while connecting`);
      }
      // An evicted connection to this peer may still be flushing: let it
      // finish before anything newer goes out, or the peer could read the
      // two interleaved (R26). It is destroyed after lingerMs at the latest.
      const predecessor = this.#retiring.get(peerId);
      if (predecessor !== undefined) await predecessor.whenClosed();
      if (abandoned()) throw this.#closedError();
      if (socket.destroyed) throw conn.error ?? new ConnectionClosedError(`connection to ${peerId} closed while connecting`);
    } catch (error) {
      if (this.#dialing.get(peerId) === conn) this.#dialing.delete(peerId);
      conn.closing ??= 'connect failed';
      conn.destroy(error as Error);
      return;
    }
    this.#dialing.delete(peerId);
    conn.setHello(this.#helloFrame);
    conn.open();
    this.#connects++;
    this.#cacheConnection(conn, 'outbound', peerId);
  }

  /**
   * Puts a ready connection in the cache, which may evict others first, and
   * announces it. At capacity 0 the cache drops it at once: then it is
   * never announced, and no 'disconnect' follows either.
   */
  #cacheConnection(conn: PeerConnection, direction: Direction, peerId: string): void {
    this.#lastRoute = undefined; // a new connection may take precedence (see #connectionTo)
    const record = this.#cache.deposit(direction, peerId, conn);
    if (conn.closing !== undefined) return;
    conn.record = record;
    conn.announced = true;
    this.#emit('connect', { peerId, direction });
  }

  /**
   * Where to dial `peerId`. A socket transport's entry path follows from
   * the id alone, so it is dialled straight away and the route directory is
   * read only if that fails (`resolved: false`); an address must be read
   * from the directory first.
   */
  async #target(peerId: string): Promise<DialTarget & { resolved: boolean }> {
    const fixed = this.#transport.resolveStatic?.(peerId);
    if (fixed !== undefined) return { ...fixed, resolved: true };
    if (this.#transport.entryKind === 'socket' && this.#routeDir !== undefined) {
      return { id: peerId, path: this.#routeDir.entryPath(peerId), resolved: false };
    }
    return { ...(await this.#resolve(peerId)), resolved: true };
  }

  /** Looks `peerId` up in the route directory; throws the coded reason it cannot be dialled. */
  async #resolve(peerId: string): Promise<DialTarget> {
    const fixed = this.#transport.resolveStatic?.(peerId);
    if (fixed !== undefined) return fixed;
    const entry = await this.#routeDir?.lookup(peerId);
    if (entry === undefined) {
      throw new UnknownPeerError(
        this.route === undefined
          ? `no peer ${JSON.stringify(peerId)} among the configured peers`
          : `no peer ${JSON.stringify(peerId)} in route directory ${this.route}`,
      );
    }
    if (entry.pid !== undefined && !entry.alive) {
      throw new UnknownPeerError(`peer ${JSON.stringify(peerId)} is not running (its process ${entry.pid} is gone)`);
    }
    if (entry.kind === 'marker') {
      throw new PeerNotListeningError(
        `peer ${JSON.stringify(peerId)} does not listen; it can be reached only over a connection it opened`,
      );
    }
    if (!this.#reachable(entry)) {
      throw new WrongTransportError(
        `peer ${JSON.stringify(peerId)} listens on another transport (${entry.kind === 'socket' ? 'a Unix socket' : 'an address'}), not ${this.#transport.name}`,
      );
    }
    return entry.kind === 'address'
      ? { id: peerId, path: entry.path, address: entry.address }
      : { id: peerId, path: entry.path };
  }

  /** A listening entry this client's transport can dial: same kind and, for addresses, same transport. */
  #reachable(entry: PeerEntry): boolean {
    return (
      entry.kind === this.#transport.entryKind &&
      (entry.kind !== 'address' || entry.address.transport === this.#transport.name)
    );
  }

  // ---- receiving ----------------------------------------------------------

  #accept(socket: Socket): void {
    // Until the hello is read, a frame may be no larger than a hello can be:
    // a stranger can't make us buffer maxFrameBytes before saying who it is.
    const conn = new PeerConnection('inbound', undefined, Math.min(this.#options.maxFrameBytes, MAX_HELLO_BYTES));
    this.#adopt(conn, socket);
    if (this.closed) {
      conn.closing = 'client closed';
      socket.destroy();
      return;
    }
    if (this.#handshakes.size >= this.#options.maxHandshakes) {
      // The slots are full: the oldest handshake has had the longest to say
      // hello, so it goes, not the newcomer; a flood of silent sockets then
      // cannot keep a prompt peer out (R38).
      const oldest = this.#handshakes.values().next().value as PeerConnection;
      this.#handshakes.delete(oldest);
      oldest.closing = 'too many handshakes';
      oldest.socket?.destroy();
    }
    this.#handshakes.add(conn);
    conn.startHelloTimer(this.#options.helloTimeoutMs, () => {
      this.#fail(conn, new HelloTimeoutError(`no hello within ${this.#options.helloTimeoutMs} ms`));
    });
  }

  /** Wires a socket's events to the engine. Every socket gets an 'error' listener at once. */
  #adopt(conn: PeerConnection, socket: Socket): void {
    conn.socket = socket;
    this.#sockets.add(conn);
    // Reading pauses while the application is behind, but never for a
    // connection that has yet to say hello: it would time out for our fault.
    if (this.#paused && conn.peerId !== undefined) socket.pause();
    const onFrame = (payload: Buffer): void => this.#onFrame(conn, payload);
    // Idle between frames is fine; a partial frame that stalls is not (R6).
    const onStall = (): void => {
      this.#fail(conn, new FrameTimeoutError(`a partial frame stalled for ${this.#options.frameTimeoutMs} ms`));
    };
    socket.on('data', (chunk: Buffer) => {
      this.#bytesIn += chunk.length;
      this.#touch(conn);
      try {
        conn.decoder.decode(chunk, onFrame);
      } catch (error) {
        this.#fail(conn, toIpcmError(error));
        return;
      }
      conn.watchPartialFrame(this.#options.frameTimeoutMs, onStall);
    });
    socket.on('end', () => {
      try {
        conn.decoder.end();
      } catch (error) {
        this.#fail(conn, toIpcmError(error));
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
      this.#onHello(conn, payload); // only accepted connections start without an id
      return;
    }
    // While the application is behind, nothing more is delivered from any
    // connection, whatever its state: frames already read stay with their
    // connection (at most the rest of one read), and its socket is paused (R36).
    if (this.#paused || conn.held.length > 0) {
      conn.held.push(payload);
      conn.socket?.pause();
      return;
    }
    this.#onMessageFrame(conn, peerId, payload);
  }

  #onMessageFrame(conn: PeerConnection, peerId: string, payload: Buffer): void {
    this.#framesIn++;
    let value: unknown;
    try {
      value = decodePayload(payload, this.#serializer);
    } catch (error) {
      this.#fail(conn, toIpcmError(error)); // R1, R9: the stream can't be trusted past this
      return;
    }
    let message: Message;
    try {
      message = validateMessage(value, { self: this.id, helloId: peerId });
    } catch (error) {
      if (isHello(value)) {
        this.#fail(conn, new ProtocolError(`second hello on the connection from ${peerId}`)); // R12
      } else {
        // A well-framed message of the wrong shape does not poison the stream (R2).
        this.#reportError(toIpcmError(error));
      }
      return;
    }
    conn.readFrames++;
    this.#deliver(message);
  }

  #onHello(conn: PeerConnection, payload: Buffer): void {
    let peerId: string;
    try {
      let hello: unknown;
      try {
        hello = decodePayload(payload, this.#serializer);
      } catch (cause) {
        throw new BadHelloError(`first frame is not a hello: ${(cause as Error).message}`, { cause });
      }
      peerId = parseHello(hello); // R11
      // The transport may refuse the peer (a wrong token) before it is
      // cached or any of its messages is delivered (R21).
      this.#transport.verifyHello?.(hello as Readonly<Record<string, unknown>>);
    } catch (error) {
      this.#fail(conn, toIpcmError(error));
      return;
    }
    conn.clearHelloTimer();
    this.#handshakes.delete(conn);
    conn.peerId = peerId;
    this.#wire(conn);
    conn.decoder.maxFrameBytes = this.#options.maxFrameBytes; // from the next frame on
    if (this.#paused) conn.socket?.pause();
    // A peer connecting again replaces its old connection; whatever the old
    // one still delivers is read before it closes (R13).
    const old = this.#cache.find('inbound', peerId);
    if (old !== undefined) this.#cache.dropRecord(old, 'replaced');
    conn.open();
    this.#accepts++;
    this.#cacheConnection(conn, 'inbound', peerId);
  }

  #deliver(message: Message): void {
    // Straight to listeners only when nothing older is still queued for them.
    if (this.#queue.length === 0 && this.listenerCount('message') > 0) {
      this.#emit('message', message);
    } else if (this.#queue.push(message)) {
      this.#pauseReading();
    }
  }

  #flushToListeners(): void {
    while (this.#queue.length > 0 && this.listenerCount('message') > 0) {
      this.#emit('message', this.#queue.shift() as Message);
    }
  }

  /**
   * Emits an event to the application. A listener that throws is the
   * application's bug, not the peer's: it must not be taken for bad input
   * (and close the peer's connection) or break the engine mid-operation, so
   * it is rethrown on its own, as an uncaught exception.
   */
  #emit<E extends keyof ClientEvents>(event: E, ...args: ClientEvents[E]): void {
    try {
      (this.emit as (event: E, ...args: ClientEvents[E]) => boolean)(event, ...args);
    } catch (error) {
      process.nextTick(() => {
        throw error;
      });
    }
  }

  /**
   * Where a promise returned by a listener goes when it rejects (the client
   * is an EventEmitter with `captureRejections`), so the reply pattern
   * `client.on('message', async (m) => { await client.send(m.from, ...) })`
   * cannot crash the process when the requester has left. A coded error (a
   * failed send) is handled like every peer-level error: emitted as
   * `'error'` when there is a listener, else only counted in
   * `stats().errors`. Anything else is the application's own bug: it is
   * rethrown as an uncaught exception, as a listener that throws
   * synchronously is (see #emit); so is a rejection from an `'error'`
   * listener, which must not loop back to itself.
   */
  override [EventEmitter.captureRejectionSymbol](error: unknown, event: unknown, ..._args: unknown[]): void {
    if (error instanceof IpcmError && event !== 'error') {
      this.#reportError(error);
      return;
    }
    throw error;
  }

  #pauseReading(): void {
    if (this.#paused) return;
    this.#paused = true;
    for (const conn of this.#sockets) {
      // Connections still saying hello keep reading (a hello is small, and
      // bounded by maxHandshakes); every other one, retiring ones included,
      // stops (R36).
      if (conn.peerId !== undefined) conn.socket?.pause();
    }
  }

  #resumeReading(): void {
    if (!this.#paused) return;
    this.#paused = false;
    for (const conn of this.#sockets) {
      // Frames held while paused go first, in order; if they put the
      // application behind again, the remaining connections stay paused.
      while (conn.held.length > 0 && !this.#paused && conn.error === undefined) {
        this.#onMessageFrame(conn, conn.peerId as string, conn.held.shift() as Buffer);
      }
      if (this.#paused) return;
      conn.held.length = 0; // a connection that failed meanwhile delivers nothing more
      conn.socket?.resume();
    }
  }

  /**
   * Messages that have arrived and not been taken yet, oldest first; the
   * queue is emptied. Messages go to `'message'` listeners when there are
   * any, else to a waiting async iterator, else to this queue.
   */
  getMessages(): Message[] {
    return this.#queue.drain();
  }

  /**
   * Iterates over arriving messages until the client closes.
   *
   * @example
   * ```ts
   * for await (const message of client) console.log(message.from, message.content);
   * ```
   */
  [Symbol.asyncIterator](): AsyncIterator<Message> {
    return { next: () => this.#queue.next() };
  }

  /** The same as iterating the client: `for await (const m of client.messages())`. */
  messages(): AsyncIterableIterator<Message> {
    const queue = this.#queue;
    return {
      next: () => queue.next(),
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }

  // ---- connection lifecycle -----------------------------------------------

  /** Hooks a connection's send side to the engine: waiting sends are admitted as room frees. */
  #wire(conn: PeerConnection): void {
    conn.onRoom = this.#onRoom;
    conn.onDrained = this.#onDrained;
  }

  /**
   * A connection closed while the application was behind: the frames it
   * had read and not delivered, and the bytes it had buffered, are lost.
   * Counted in `stats().undelivered` and reported as an error event (R36).
   */
  #dropUnread(conn: PeerConnection): void {
    const frames = conn.held.length;
    const socket = conn.socket;
    const buffered = (socket?.readableLength ?? 0) + conn.decoder.bufferedBytes;
    conn.held.length = 0;
    if (frames === 0 && (buffered === 0 || conn.error !== undefined)) return;
    this.#undelivered += frames;
    this.#reportError(
      new ConnectionClosedError(
        `connection from ${conn.peerId ?? 'a peer'} closed (${conn.closing ?? 'closed'}) with ${frames} messages and ${buffered} more bytes unread: the application was behind (maxQueuedMessages)`,
      ),
    );
  }

  readonly #onRoom = (conn: PeerConnection): void => this.#admit(conn);
  /** A connection's last accepted frame was written: it is idle from now (its last activity). */
  readonly #onDrained = (conn: PeerConnection): void => this.#touch(conn);

  /** Marks a cached connection used now (its record's time is its last activity). */
  #touch(conn: PeerConnection): void {
    if (conn.record !== undefined) this.#cache.touch(conn.record);
  }

  /** Closes one connection because of a peer-level error, and reports it. */
  #fail(conn: PeerConnection, error: IpcmError): void {
    if (conn.error !== undefined && conn.socket?.destroyed) return;
    conn.error ??= error;
    this.#reportError(error);
    conn.socket?.destroy();
  }

  #reportError(error: IpcmError): void {
    this.#errors++;
    // Peer-level errors never crash the process: without a listener they
    // are only counted (and carried by the 'disconnect' event).
    if (this.listenerCount('error') > 0) this.#emit('error', error);
  }

  /** The cache's dispose: a connection is leaving the cache for `reason`. */
  #retire(conn: PeerConnection, reason: string): void {
    this.#drops[reason] = (this.#drops[reason] ?? 0) + 1;
    conn.record = undefined;
    conn.closing ??= reason;
    const peerId = conn.peerId as string;
    // Until it has closed, a new connection to the peer waits (see #connect).
    if (!conn.flushed) this.#retiring.set(peerId, conn);
    // Closed after lingerMs at the latest; what it could not deliver by then
    // is counted and reported when it closes (see #onClose).
    conn.end(this.#options.lingerMs);
    // Read what the peer still sends until it closes (those messages were
    // sent before it saw our end), but not while the application is behind:
    // a peer reconnecting again and again must not get more read (R36).
    if (!this.#paused) conn.socket?.resume();
    if (!conn.announced) return;
    // Still flushing: the event waits for the socket to close, to say how
    // many accepted messages it could not write.
    if (!conn.flushed && conn.socket !== undefined && !conn.socket.destroyed) conn.disconnectReason = reason;
    else this.#emit('disconnect', disconnectEvent(conn, reason));
  }

  #onClose(conn: PeerConnection): void {
    conn.cleanup();
    this.#dropUnread(conn);
    if (conn.peerId !== undefined && this.#retiring.get(conn.peerId) === conn) this.#retiring.delete(conn.peerId);
    this.#sockets.delete(conn);
    this.#handshakes.delete(conn);
    // A dial in progress fails its queued sends itself, with the reason.
    if (this.#dialing.get(conn.peerId ?? '') !== conn) {
      conn.finish(conn.error ?? new ConnectionClosedError(`connection to ${conn.peerId ?? 'a peer'} closed`));
    }
    if (conn.record !== undefined) {
      this.#cache.dropRecord(conn.record, conn.error === undefined ? 'closed' : 'error');
    }
    if (conn.disconnectReason !== undefined) {
      const reason = conn.disconnectReason;
      conn.disconnectReason = undefined;
      this.#emit('disconnect', disconnectEvent(conn, reason));
    }
    this.#foldCounts(conn);
    if (this.#sockets.size === 0) this.#socketsClosed?.();
  }

  /** Moves a closed connection's send counts into the client's totals. */
  #foldCounts(conn: PeerConnection): void {
    if (conn.peerId !== undefined && conn.sentFrames > 0) {
      this.#sent.set(conn.peerId, (this.#sent.get(conn.peerId) ?? 0) + conn.sentFrames);
    }
    if (conn.peerId !== undefined && conn.readFrames > 0) {
      this.#read.set(conn.peerId, (this.#read.get(conn.peerId) ?? 0) + conn.readFrames);
    }
    conn.readFrames = 0;
    this.#framesOut += conn.sentFrames;
    this.#bytesOut += conn.sentBytes;
    this.#unwritten += conn.unwritten;
    conn.sentFrames = 0;
    conn.sentBytes = 0;
    conn.unwritten = 0;
  }

  // ---- the connection role ------------------------------------------------

  /** True when a connection to `peerId` is open (dialled or accepted). */
  hasConnection(peerId: string): boolean {
    return hasConnection(this.#roleHost, peerId);
  }

  /** Ids of the peers with an open connection, sorted. */
  connections(): string[] {
    return connections(this.#roleHost);
  }

  /** Closes the connections to `peerId` (flushing first); true if there was one. */
  disconnectConnection(peerId: string): boolean {
    return disconnectConnection(this.#roleHost, peerId);
  }

  /** When the connection to `peerId` last sent or received bytes (epoch ms), or `undefined`. */
  lastActivity(peerId: string): number | undefined {
    return lastActivity(this.#roleHost, peerId);
  }

  /**
   * Closes every connection idle for longer than `maxIdleMs` and returns how
   * many. No timer runs: call it when it suits you. Costs O(number closed).
   * `now` (epoch ms) defaults to the client's clock.
   */
  closeIdleConnections(maxIdleMs: number, now?: number): number {
    this.#roleReason = 'idle';
    try {
      return closeIdleConnections(this.#roleHost, maxIdleMs, now);
    } finally {
      this.#roleReason = 'disconnect';
    }
  }

  /**
   * Bytes sent to `peerId` that have not been handed to the kernel yet (0
   * when there is no connection). A connection with pending bytes is never
   * reaped as idle and is the last candidate for eviction.
   */
  pendingBytes(peerId: string): number {
    return this.#connectionTo(peerId)?.pendingBytes ?? 0;
  }

  /** The connection cache's limits: `maxConnections` (get, or set and get the previous value). */
  maxConnections(limit?: number | null): number | null {
    return limit === undefined ? this.#cache.totalCapacity() : this.#cache.totalCapacity(limit);
  }

  /** Drops cached connections whose socket is no longer usable; returns how many. */
  prune(): number {
    return this.#cache.prune();
  }

  // ---- peers --------------------------------------------------------------

  /** Ids of the live peers in the route directory and the configured peers, this one excluded. */
  async peers(): Promise<string[]> {
    const ids = new Set<string>(this.#transport.staticPeers?.() ?? []);
    for (const entry of (await this.#routeDir?.list()) ?? []) ids.add(entry.id);
    ids.delete(this.id);
    return [...ids].sort();
  }

  /** Ids of the peers that can be dialled: listening on this client's transport, or configured. */
  async listeningPeers(): Promise<string[]> {
    const ids = new Set<string>(this.#transport.staticPeers?.() ?? []);
    for (const entry of (await this.#routeDir?.list()) ?? []) {
      if (this.#reachable(entry)) ids.add(entry.id);
    }
    ids.delete(this.id);
    return [...ids].sort();
  }

  /** True when `peerId` has a live entry in the route directory or is configured. */
  async peerExists(peerId: string): Promise<boolean> {
    if (this.#transport.resolveStatic?.(peerId) !== undefined) return true;
    const entry = await this.#routeDir?.lookup(peerId);
    return entry !== undefined && entry.alive;
  }

  /** True when `peerId` listens (a socket or address entry, or a configured address). */
  async peerIsListener(peerId: string): Promise<boolean> {
    if (this.#transport.resolveStatic?.(peerId) !== undefined) return true;
    const entry = await this.#routeDir?.lookup(peerId);
    return entry !== undefined && entry.kind !== 'marker';
  }

  /** True when the process holding `peerId`'s route entry is alive. */
  async peerActive(peerId: string): Promise<boolean> {
    const entry = await this.#routeDir?.lookup(peerId);
    return entry !== undefined && entry.alive;
  }

  // ---- stats and shutdown -------------------------------------------------

  /** Counters: per-peer sent/read, connects, reuses, drops by reason, frames and bytes. */
  stats(): ClientStats {
    let outbound = 0;
    let inbound = 0;
    for (const record of this.#cache.records()) {
      if (record.type === 'outbound') outbound++;
      else inbound++;
    }
    const sent = new Map(this.#sent);
    const read = new Map(this.#read);
    let framesOut = this.#framesOut;
    let bytesOut = this.#bytesOut;
    let unwritten = this.#unwritten;
    for (const conn of this.#sockets) {
      if (conn.peerId !== undefined && conn.sentFrames > 0) sent.set(conn.peerId, (sent.get(conn.peerId) ?? 0) + conn.sentFrames);
      if (conn.peerId !== undefined && conn.readFrames > 0) read.set(conn.peerId, (read.get(conn.peerId) ?? 0) + conn.readFrames);
      framesOut += conn.sentFrames;
      bytesOut += conn.sentBytes;
      unwritten += conn.unwritten;
    }
    return {
      sent: Object.fromEntries(sent),
      unwritten,
      read: Object.fromEntries(read),
      connects: this.#connects,
      accepts: this.#accepts,
      reuses: this.#reuses,
      drops: { ...this.#drops },
      framesIn: this.#framesIn,
      framesOut,
      bytesIn: this.#bytesIn,
      bytesOut,
      errors: this.#errors,
      undelivered: this.#undelivered,
      open: { outbound, inbound },
      cache: this.#cache.stats(),
    };
  }

  /** True once `close()` or `destroy()` has been called. */
  get closed(): boolean {
    return this.#state === 'closing' || this.#state === 'closed';
  }

  /**
   * Closes gracefully: stops listening and removes the route entry, flushes
   * and ends every connection (destroying those that linger past
   * `lingerMs`), writes the `.stats` file and ends message iteration.
   * Later sends reject with `ERR_IPCM_CLIENT_CLOSED`. Idempotent.
   */
  close(): Promise<void> {
    this.#closed ??= this.#shutdown(false);
    return this.#closed;
  }

  /**
   * Closes at once: destroys every connection without flushing. Idempotent.
   * Truthful about what it discards (R34): sends still waiting reject with
   * `ERR_IPCM_CLIENT_CLOSED`; accepted messages that had not reached the
   * kernel are counted in each connection's `'disconnect'` event
   * (`unwritten`) and in `stats().unwritten`; whatever reached the kernel is
   * neither (the peer may well receive it).
   */
  destroy(): Promise<void> {
    if (this.#closed === undefined) {
      this.#closed = this.#shutdown(true);
    } else if (this.#state === 'closing') {
      // A graceful close in progress becomes a forced one.
      this.#forced = true;
      const closedError = this.#closedError();
      for (const conn of this.#sockets) conn.destroy(closedError);
    }
    return this.#closed;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #shutdown(force: boolean): Promise<void> {
    this.#state = 'closing';
    this.#forced = force;
    const listenerClosed = this.#listener?.close();
    for (const conn of this.#handshakes) conn.socket?.destroy();
    if (force) {
      for (const conn of this.#dialing.values()) conn.socket?.destroy();
    } else if (this.#dials.size > 0) {
      // Messages queued on a connection still being opened are flushed too
      // (R27), within the linger time.
      await withTimeout(Promise.allSettled(this.#dials), this.#options.lingerMs);
    }
    const closedError = this.#closedError();
    for (const conn of this.#dialing.values()) conn.destroy(closedError);
    this.#dialing.clear();
    const allClosed = new Promise<void>((resolve) => {
      this.#socketsClosed = resolve;
    });
    // Forced: each connection counts what it discards before its socket
    // goes, while the kernel's share of the write in flight is still known.
    if (force) for (const conn of this.#sockets) conn.destroy(closedError);
    this.#cache.drop((): boolean => true, 'client closed');
    if (this.#sockets.size === 0) this.#socketsClosed?.();
    await Promise.all([listenerClosed, allClosed]);
    // Whatever happens to the files, the client ends closed and iteration ends.
    let failure: RouteError | undefined;
    const claim = this.#claim;
    try {
      if (claim !== undefined) {
        try {
          await claim.writeStats({ sent: Object.fromEntries(this.#sent), read: Object.fromEntries(this.#read) });
        } catch (cause) {
          failure = new RouteError(`cannot write ${claim.path}.stats: ${(cause as Error).message}`, { cause });
        }
        try {
          await claim.release();
        } catch (cause) {
          failure ??= new RouteError(`cannot remove the route entry ${claim.path}: ${(cause as Error).message}`, { cause });
        }
      }
    } finally {
      this.#queue.close();
      this.#state = 'closed';
    }
    if (failure !== undefined) throw failure;
  }

  #closedError(): ClientClosedError {
    return new ClientClosedError(`client ${JSON.stringify(this.id)} is closed`);
  }
}

/** Waits for `promise`, or `ms` milliseconds, whichever comes first. */
async function withTimeout(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

/** What a send is, in errors: `a broadcast` or `a message to "bob"`. */
function sendSubject(peerId: string, broadcast: boolean): string {
  return broadcast ? 'a broadcast' : `a message to ${JSON.stringify(peerId)}`;
}

function toIpcmError(error: unknown): IpcmError {
  if (error instanceof IpcmError) return error;
  return new BadJsonError(`cannot decode a frame: ${(error as Error).message}`, { cause: error });
}

/** The promise an accepted send returns: already resolved and shared (it carries no state). */
const RESOLVED: Promise<void> = Promise.resolve();

/** Checks a send's options, naming the option and the value. */
function checkSendOptions(options: SendOptions): void {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`send options must be an object; received ${String(options)}`);
  }
  const { timeoutMs, signal } = options;
  if (timeoutMs !== undefined && (!Number.isInteger(timeoutMs) || timeoutMs < 0)) {
    throw new RangeError(`timeoutMs must be an integer >= 0; received ${String(timeoutMs)}`);
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError(`signal must be an AbortSignal; received ${String(signal)}`);
  }
}

function abortedError(peerId: string, signal: AbortSignal): SendAbortedError {
  return new SendAbortedError(`send to ${peerId} aborted while waiting`, { cause: signal.reason });
}

/**
 * Arms `timeoutMs` and `signal` for a waiting send: the first to fire calls
 * `cancel` with a coded error. Both are released when the send settles
 * another way (the waiter's `release`, or the settler's resolve/reject).
 */
function cancelWith(options: SendOptions, peerId: string, holder: Waiter | Settler, cancel: (error: Error) => void): void {
  const { timeoutMs, signal } = options;
  if (timeoutMs === undefined && signal === undefined) return;
  let timer: NodeJS.Timeout | undefined;
  const release = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  };
  const onAbort = (): void => {
    release();
    cancel(abortedError(peerId, signal as AbortSignal));
  };
  if (timeoutMs !== undefined) {
    timer = setTimeout(() => {
      release();
      cancel(new SendTimeoutError(`send to ${peerId} still waiting after timeoutMs (${timeoutMs})`));
    }, timeoutMs);
    timer.unref();
  }
  signal?.addEventListener('abort', onAbort, { once: true });
  holder.release = release;
}

function disconnectEvent(conn: PeerConnection, reason: string): DisconnectEvent {
  const base = { peerId: conn.peerId ?? '', direction: conn.direction, reason, unwritten: conn.unwritten };
  return conn.error === undefined ? base : { ...base, error: conn.error };
}
