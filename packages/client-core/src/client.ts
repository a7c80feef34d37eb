import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { ConnCache } from '@ipcm/conncache';
import {
  closeIdleConnections,
  connections,
  disconnectConnection,
  hasConnection,
  lastActivity,
  type ConnectionHost,
  type ConnectionRoleMethods,
} from '@ipcm/connection-role';
import { ClientClosedError, IpcmError, IdInUseError } from './errors.js';
import type { ClientEvents } from './client-events.js';
import { ClientCounters, type ClientStats } from './client-stats.js';
import { MessageEncoder } from './message-encoder.js';
import { reachable } from './peer-locator.js';
import { PeerWatch, type WaitForPeerOptions } from './peer-watch.js';
import { Acceptor } from './acceptor.js';
import { ConnectionLifecycle, setRef } from './connection-lifecycle.js';
import { Dialer } from './dialer.js';
import { Sender } from './sender.js';
import { openDirectory, releaseClaim } from './client-directory.js';
import { Inbox } from './inbox.js';
import { MessageQueue } from './message-queue.js';
import type { Message } from './message.js';
import { PeerConnection, type Direction } from './peer-connection.js';
import type { PeerDirectory, Registration } from './peer-directory.js';
import type { EntryProbe, RouteAddress } from './route-types.js';
import { encodeValueFrame, jsonSerializer, type Serializer } from './serializer.js';
import { realTimers, type ClientOptions, type Clock, type SendOptions, type Timers } from './options.js';
import type { Transport, TransportListener } from './transport.js';
import { checkOptions, type ResolvedOptions } from './check-options.js';
import { createRoleHost } from './role-host.js';
import { debugLifecycle, diag, publishSend } from './diagnostics.js';
import type { ContentOf, PeerTypes, RequestOf, ResponseOf } from './peer-types.js';
import { RequestTable, type RequestOptions } from './requests.js';
import { Responder, type HandleOptions, type RequestHandler } from './responder.js';
import type { ResponseContent } from './request-wire.js';

/** The outcome of a broadcast for one peer. */
export interface BroadcastResult {
  readonly sent: boolean;
  readonly error?: Error;
}

/** Options of `close()`. */
export interface CloseOptions {
  /** Aborting it turns the graceful close into `destroy()` (at once, or in progress). */
  signal?: AbortSignal | undefined;
}

type ClientState = 'starting' | 'open' | 'closing' | 'closed';

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
export class Client<T extends PeerTypes = PeerTypes>
  extends EventEmitter<ClientEvents<ContentOf<T>>>
  implements AsyncDisposable, AsyncIterable<Message<ContentOf<T>>>, ConnectionRoleMethods<string>
{
  /** This peer's id. */
  readonly id: string;
  /** The route directory path, if this client uses one. */
  readonly route: string | undefined;
  /** Whether this client accepts connections. */
  readonly listening: boolean;

  readonly #options: ResolvedOptions;
  readonly #transport: Transport;
  readonly #clock: Clock;
  readonly #timers: Timers;
  /** Peers a transport package configures (TCP's `peers`), looked up before the directory. */
  readonly #configuredPeers: PeerDirectory | undefined;
  readonly #serializer: Serializer;
  readonly #cache: ConnCache<PeerConnection, Direction, string>;
  /** Dialling, and which connection a send to a peer goes over. */
  readonly #dialer: Dialer;
  /** Set by destroy(): nothing is flushed or completed any more. */
  #forced = false;
  /** Accepted connections until their hello (R10, R38). */
  readonly #acceptor: Acceptor;
  /** Every socket not yet closed, so close() can wait for them. */
  readonly #sockets = new Set<PeerConnection>();
  /** Each connection's life from its socket to its close: wiring, caching, retiring. */
  readonly #lifecycle: ConnectionLifecycle;
  /** Messages from peers on their way to the application (queue, pause/resume, delivery). */
  readonly #inbox: Inbox;
  readonly #roleHost: ConnectionHost<string>;
  /** Added to the monotonic clock to give epoch milliseconds. */
  readonly #epochOffset: number;

  #state: ClientState = 'starting';
  #directory: PeerDirectory | undefined;
  /** The directory was made from the `route`/`peers` shorthands: close() closes it. */
  #ownsDirectory = false;
  #registration: Registration | undefined;
  /** waitForPeer() and the watch behind 'peer' events. */
  readonly #peerWatch: PeerWatch;
  /** The listener closed because the id was lost (see #onLost). */
  #lostListenerClosed: Promise<void> | undefined;
  #listener: TransportListener | undefined;
  #closed: Promise<void> | undefined;
  readonly #helloFrame: Buffer;
  readonly #requests: RequestTable<RequestOf<T>, ResponseOf<T>>;
  readonly #responder: Responder<RequestOf<T>, ResponseOf<T>>;
  /** False after unref(): the listener and sockets do not keep the process alive. */
  #refed = true;
  /** True while a graceful close waits for running handlers: their answers (and sends) still go out. */
  #answering = false;

  readonly #counters = new ClientCounters();
  readonly #encoder: MessageEncoder;
  /** The send path: route, dial, room or wait (R35). */
  readonly #sender: Sender;

  /**
   * Use a transport package's factory (`UnixClient.create`, ...) or
   * {@link Client.start} on a subclass; a client must be started before use.
   * `optionNames` are the options the subclass adds to {@link ClientOptions};
   * any other unknown option is refused (`ERR_IPCM_INVALID_OPTION`).
   */
  protected constructor(
    options: ClientOptions,
    transport: Transport,
    optionNames: Iterable<string> = [],
    configuredPeers?: PeerDirectory,
  ) {
    // A rejected promise returned by a listener comes back to
    // [captureRejectionSymbol] below instead of crashing the process.
    super({ captureRejections: true });
    this.#options = checkOptions(options, optionNames);
    this.id = this.#options.id;
    this.route = this.#options.route;
    this.listening = this.#options.listen;
    this.#transport = transport;
    this.#clock = this.#options.clock ?? performance;
    this.#timers = this.#options.timers ?? realTimers;
    this.#configuredPeers = configuredPeers;
    this.#serializer = this.#options.serializer ?? jsonSerializer;
    this.#epochOffset = Date.now() - this.#clock.now();
    this.#encoder = new MessageEncoder(this.id, this.#serializer, this.#options.maxFrameBytes);
    this.#helloFrame = encodeValueFrame({ ...transport.helloFields?.(), hello: this.id }, this.#serializer);
    this.#cache = new ConnCache<PeerConnection, Direction, string>({
      totalCapacity: this.#options.maxConnections,
      capacities: { outbound: this.#options.maxOutbound, inbound: this.#options.maxInbound },
      clock: this.#clock,
      // Prefer to evict connections with nothing left to write (R29).
      isEvictable: (record) => record.conn.flushed,
      dispose: (conn, reason) => this.#lifecycle.retire(conn, reason),
    });
    this.#roleHost = createRoleHost(this.#cache, {
      now: () => this.#clock.now() + this.#epochOffset,
      toEpoch: (monotonic) => monotonic + this.#epochOffset,
    });
    this.#requests = new RequestTable<RequestOf<T>, ResponseOf<T>>({
      send: (peerId, content) => this.#sender.send(peerId, content, false),
      clientId: this.id,
      maxPendingRequests: this.#options.maxPendingRequests,
      timeoutMs: this.#options.requestTimeoutMs,
      // Real timers follow ref()/unref() as the sockets do.
      timers: this.#options.timers ?? {
        setTimeout: (callback, ms) => {
          const timer = setTimeout(callback, ms);
          if (!this.#refed) timer.unref();
          return timer;
        },
        clearTimeout: realTimers.clearTimeout,
      },
    });
    this.#responder = new Responder<RequestOf<T>, ResponseOf<T>>({
      send: (peerId, content) => this.#sender.send(peerId, content, false),
      // Handler failures come as ERR_IPCM_HANDLER and failed answers with the
      // send's coded error; anything else is a bug, surfaced as uncaught.
      onError: (error, peerId) => {
        if (error instanceof IpcmError) this.#reportError(error, peerId);
        else
          process.nextTick(() => {
            throw error;
          });
      },
      // A handler finished: reading resumes if it paused for running handlers.
      onSettled: () => this.#inbox.handlerSettled(),
    });
    this.#inbox = new Inbox(
      {
        id: this.id,
        serializer: this.#serializer,
        sockets: this.#sockets,
        counters: this.#counters,
        requests: this.#requests,
        responder: this.#responder,
        hasMessageListeners: () => this.listenerCount('message') > 0,
        emitMessage: (message) => this.#emit('message', message as Message<ContentOf<T>>),
        fail: (conn, error) => this.#lifecycle.fail(conn, error),
        reportError: (error) => this.#reportError(error),
      },
      this.#options.maxQueuedMessages,
    );
    this.#dialer = new Dialer({
      id: this.id,
      options: this.#options,
      timers: this.#timers,
      transport,
      cache: this.#cache,
      counters: this.#counters,
      helloFrame: this.#helloFrame,
      isForced: () => this.#forced,
      directory: () => this.directory,
      closedError: () => this.#closedError(),
      adopt: (conn, socket) => this.#lifecycle.adopt(conn, socket),
      wire: (conn) => this.#lifecycle.wire(conn),
      cacheConnection: (conn, peerId) => this.#lifecycle.cacheConnection(conn, 'outbound', peerId),
    });
    this.#sender = new Sender({
      options: this.#options,
      encoder: this.#encoder,
      dialer: this.#dialer,
      counters: this.#counters,
      canSend: () => this.#state === 'open' || this.#answering,
      closedError: () => this.#closedError(),
    });
    this.#acceptor = new Acceptor({
      id: this.id,
      options: this.#options,
      timers: this.#timers,
      transport,
      serializer: this.#serializer,
      cache: this.#cache,
      counters: this.#counters,
      isClosed: () => this.closed,
      isPaused: () => this.#inbox.paused,
      adopt: (conn, socket) => this.#lifecycle.adopt(conn, socket),
      wire: (conn) => this.#lifecycle.wire(conn),
      fail: (conn, error) => this.#lifecycle.fail(conn, error),
      cacheConnection: (conn, peerId) => this.#lifecycle.cacheConnection(conn, 'inbound', peerId),
    });
    this.#lifecycle = new ConnectionLifecycle({
      id: this.id,
      options: this.#options,
      transport,
      cache: this.#cache,
      sockets: this.#sockets,
      counters: this.#counters,
      inbox: this.#inbox,
      dialer: this.#dialer,
      acceptor: this.#acceptor,
      requests: this.#requests,
      isRefed: () => this.#refed,
      directory: () => this.#directory,
      emitConnect: (event) => this.#emit('connect', event),
      emitDisconnect: (event) => this.#emit('disconnect', event),
      reportError: (error) => this.#reportError(error),
    });
    this.#peerWatch = new PeerWatch({
      id: this.id,
      transport,
      timers: this.#timers,
      isClosed: () => this.closed,
      directory: () => this.directory,
      describeDirectory: () => this.#directory?.description ?? 'the directory',
      closedError: () => this.#closedError(),
      emitPeer: (event) => this.#emit('peer', event),
      reportError: (error) => this.#reportError(error),
    });
    // Messages queued while nobody listened go to the first 'message' listener.
    (this as EventEmitter).on('newListener', (event: string | symbol) => {
      if (event === 'message' && this.#inbox.queue.length > 0) process.nextTick(() => this.#inbox.flushToListeners());
      if (event === 'peer' && !this.#peerWatch.watching) this.#peerWatch.start();
    });
    // The directory is watched only while someone listens for 'peer'.
    (this as EventEmitter).on('removeListener', (event: string | symbol) => {
      if (event === 'peer' && this.listenerCount('peer') === 0) this.#peerWatch.stop();
    });
  }

  /**
   * Claims the id in the directory (made from `route` and the configured
   * peers unless `directory` was given), starts listening and publishes
   * where this client can be reached. An aborted `signal` stops the start
   * between its steps: what was opened is closed, the claim released, and
   * it rejects with `signal.reason`.
   */
  protected async start(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    const { id, route, listen } = this.#options;
    const transport = this.#transport;
    const probe: EntryProbe = (target) => transport.probe(target);
    const { directory, owned } = await openDirectory(this.#options.directory, this.#configuredPeers, route, probe, this.#timers);
    if (owned) this.#ownsDirectory = true;
    this.#directory = directory;
    let registration: Registration;
    try {
      registration = await directory.register(id, listen ? transport.entryKind : 'marker', {
        probe,
        authenticated: transport.authenticated === true,
      });
    } catch (error) {
      this.#state = 'closed';
      if (this.#ownsDirectory) await directory.close();
      throw error;
    }
    this.#registration = registration;
    try {
      signal?.throwIfAborted();
      if (listen) {
        this.#listener = await transport.listen(registration.path, (socket) => this.#acceptor.accept(socket));
        debugLifecycle('listen', { clientId: id });
        await registration.publish(this.#listener.address);
      } else {
        await registration.publish();
      }
      signal?.throwIfAborted();
    } catch (error) {
      this.#state = 'closed';
      await this.#listener?.close();
      for (const conn of this.#sockets) conn.socket?.destroy(); // accepted while starting
      await registration.release();
      if (this.#ownsDirectory) await directory.close();
      throw error;
    }
    const lost = registration.lost;
    if (lost.aborted) this.#onLost(lost.reason);
    else lost.addEventListener('abort', () => this.#onLost(lost.reason), { once: true });
    this.#state = 'open';
    if (signal?.aborted) {
      await this.destroy().catch(() => undefined);
      throw signal.reason;
    }
  }

  /**
   * The directory could no longer keep this client's id (another process
   * took it over, a TTL key was lost and someone else claimed it): the
   * client reports an `IdInUseError` on `'error'` and stops accepting
   * connections as that id (its listener closes). Connections already open
   * keep working, and sends still dial; `close()` then releases nothing it
   * no longer holds.
   */
  #onLost(reason: unknown): void {
    if (this.closed) return;
    this.#reportError(
      reason instanceof IpcmError
        ? reason
        : new IdInUseError(`${JSON.stringify(this.id)} is no longer held in ${this.directory.description}`, { cause: reason }),
    );
    const listener = this.#listener;
    this.#listener = undefined;
    this.#lostListenerClosed = listener?.close().catch(() => undefined);
  }

  /**
   * Where this client claims its id and finds its peers: the `directory`
   * option, or the one made from `route` (and a TCP client's `peers`).
   */
  get directory(): PeerDirectory {
    if (this.#directory === undefined) throw this.#closedError();
    return this.#directory;
  }

  /** Where this client listens: its socket path or address, as the transport reports it. */
  get address(): RouteAddress | string | undefined {
    return this.#listener?.address ?? this.#registration?.path;
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
  send(peerId: string, content: ContentOf<T>, options?: SendOptions): Promise<void> {
    publishSend(this.id, peerId, content);
    return this.#sender.send(peerId, content, false, options);
  }

  /**
   * Sends `content` to every known peer (listening peers in the route
   * directory, statically configured peers, and peers connected to us) but
   * this one. Each peer's outcome is in the result; it rejects, with nothing
   * sent, when the client is closed, the route directory cannot be read, or
   * the content cannot be sent to anyone (`ERR_IPCM_BAD_CONTENT`,
   * `ERR_IPCM_FRAME_TOO_LARGE`).
   */
  async broadcast(content: ContentOf<T>): Promise<Map<string, BroadcastResult>> {
    if (this.#state !== 'open') throw this.#closedError();
    // Content that no peer could be sent is refused once, before anything is written.
    this.#encoder.encode('', content, true);
    // Peers we are connected to need no look-up; only the others are
    // inspected (alive, listening on our transport).
    const targets = new Set<string>();
    for (const record of this.#cache.records()) targets.add(record.key);
    for (const peerId of this.#dialer.dialing.keys()) targets.add(peerId);
    // The directory lists only live peers (its liveness rule, not ours).
    // Where it can name its ids cheaply, only the peers we have no
    // connection to are looked up (a broadcast to 5,000 connected peers
    // then costs one readdir, not 5,000 liveness checks).
    const directory = this.directory;
    const locations =
      directory.ids === undefined
        ? await directory.list()
        : await Promise.all(
            (await directory.ids()).filter((id) => !targets.has(id) && id !== this.id).map((id) => directory.lookup(id)),
          );
    for (const location of locations) {
      if (location !== undefined && reachable(location, this.#transport)) targets.add(location.id);
    }
    targets.delete(this.id);
    const results = new Map<string, BroadcastResult>();
    await Promise.all(
      [...targets].map(async (peerId) => {
        try {
          await this.#sender.send(peerId, content, true);
          results.set(peerId, { sent: true });
        } catch (error) {
          results.set(peerId, { sent: false, error: error as Error });
        }
      }),
    );
    return results;
  }

  // ---- requests and responses ---------------------------------------------

  /**
   * Sends `value` to `peerId` as an IPC::Manager request (content
   * `{"ipcm_request_id": uuid, "request": value}`, an ordinary message on
   * the same connection, in order with the others) and resolves with the
   * peer's `response` value. The response never reaches `'message'`.
   *
   * Rejects with `ERR_IPCM_REQUEST_TIMEOUT` after `timeoutMs` (default
   * `requestTimeoutMs`), `signal.reason` when aborted, `ERR_IPCM_REMOTE`
   * when the peer's handler failed (its `ipcm_error` text in
   * `remoteMessage`), `ERR_IPCM_TOO_MANY_REQUESTS` past
   * `maxPendingRequests`, `ERR_IPCM_CONNECTION_CLOSED` at once when the
   * peer is known gone (its last connection closed and it is no longer
   * listed, or its process died), `ERR_IPCM_CLIENT_CLOSED` when the client
   * closes first, and whatever `send()` rejects with.
   *
   * @example
   * ```ts
   * const sum = await client.request('calc', { op: 'add', args: [1, 2] }, { timeoutMs: 5000 });
   * ```
   */
  request(peerId: string, value: RequestOf<T>, options?: RequestOptions): Promise<ResponseOf<T>> {
    return this.#requests.request(peerId, value, options);
  }

  /** As {@link request}, but resolves with the whole reply message (`content.response` is the value). */
  requestMessage(
    peerId: string,
    value: RequestOf<T>,
    options?: RequestOptions,
  ): Promise<Message<ResponseContent<ResponseOf<T>>>> {
    return this.#requests.requestMessage(peerId, value, options);
  }

  /**
   * Answers requests: `handler(request, message)` returns (or resolves
   * with) the response value, sent back to `message.from`; if it throws,
   * the requester gets `ipcm_error`: the error's message when
   * `exposeErrorDetails` (default: the client option, `false`), else
   * IPC::Manager's generic `"Internal service error"`, and this client
   * reports an `ERR_IPCM_HANDLER` error. Requests are then never delivered
   * as messages; `handle(null)` stops answering (requests are delivered as
   * plain messages again).
   *
   * Handlers run concurrently. Running handlers count against
   * `maxQueuedMessages` like queued messages: at the bound, reading from
   * peers pauses until some finish.
   *
   * @example
   * ```ts
   * client.handle(async ({ op, args: [a, b] }) => (op === 'add' ? a + b : Promise.reject(new Error(op))));
   * ```
   */
  handle(handler: RequestHandler<RequestOf<T>, ResponseOf<T>> | null, options?: HandleOptions): this {
    const expose = options?.exposeErrorDetails ?? this.#options.exposeErrorDetails;
    this.#responder.handle(handler, { exposeErrorDetails: expose });
    return this;
  }

  /**
   * Lets the process exit while this client's listener, connections and
   * request timers are all that is left (as `net.Server#unref`): for a
   * process that only answers when asked. Without it, a client keeps the
   * process alive until `close()`.
   */
  unref(): this {
    this.#refed = false;
    this.#listener?.unref?.();
    for (const conn of this.#sockets) setRef(conn.socket, false);
    return this;
  }

  /** Undoes {@link unref}: the client keeps the process alive again. */
  ref(): this {
    this.#refed = true;
    this.#listener?.ref?.();
    for (const conn of this.#sockets) setRef(conn.socket, true);
    return this;
  }

  // ---- receiving ----------------------------------------------------------

  /**
   * Emits an event to the application. A listener that throws is the
   * application's bug, not the peer's: it must not be taken for bad input
   * (and close the peer's connection) or break the engine mid-operation, so
   * it is rethrown on its own, as an uncaught exception.
   */
  #emit<E extends keyof ClientEvents>(event: E, ...args: ClientEvents<ContentOf<T>>[E]): void {
    try {
      (this.emit as (event: E, ...args: ClientEvents<ContentOf<T>>[E]) => boolean)(event, ...args);
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

  /**
   * Messages that have arrived and not been taken yet, oldest first; the
   * queue is emptied. Messages go to `'message'` listeners when there are
   * any, else to a waiting async iterator, else to this queue.
   */
  getMessages(): Message<ContentOf<T>>[] {
    return this.#inbox.queue.drain() as Message<ContentOf<T>>[];
  }

  /**
   * Iterates over arriving messages until the client closes.
   *
   * @example
   * ```ts
   * for await (const message of client) console.log(message.from, message.content);
   * ```
   */
  [Symbol.asyncIterator](): AsyncIterator<Message<ContentOf<T>>> {
    return { next: () => this.#inbox.queue.next() as Promise<IteratorResult<Message<ContentOf<T>>>> };
  }

  /** The same as iterating the client: `for await (const m of client.messages())`. */
  messages(): AsyncIterableIterator<Message<ContentOf<T>>> {
    const queue = this.#inbox.queue as MessageQueue<Message<ContentOf<T>>>;
    return {
      next: () => queue.next(),
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }

  // ---- errors -------------------------------------------------------------

  #reportError(error: IpcmError, peerId?: string): void {
    this.#counters.errors++;
    diag.error(() => ({ clientId: this.id, error, peerId }));
    debugLifecycle('error', { clientId: this.id, peerId, error });
    // Peer-level errors never crash the process: without a listener they
    // are only counted (and carried by the 'disconnect' event).
    if (this.listenerCount('error') > 0) this.#emit('error', error);
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
    return closeIdleConnections(this.#roleHost, maxIdleMs, now);
  }

  /**
   * Bytes sent to `peerId` that have not been handed to the kernel yet (0
   * when there is no connection). A connection with pending bytes is never
   * reaped as idle and is the last candidate for eviction.
   */
  pendingBytes(peerId: string): number {
    return this.#dialer.connectionTo(peerId)?.pendingBytes ?? 0;
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

  /** Ids of the live peers in the directory (route directory, configured peers...), this one excluded. */
  async peers(): Promise<string[]> {
    return (await this.directory.list()).map((location) => location.id).filter((peerId) => peerId !== this.id);
  }

  /** Ids of the peers that can be dialled: listed, alive and listening on this client's transport. */
  async listeningPeers(): Promise<string[]> {
    return (await this.directory.list())
      .filter((location) => location.id !== this.id && reachable(location, this.#transport))
      .map((location) => location.id);
  }

  /** True when the directory lists `peerId` as alive (a configured peer always is). */
  async peerExists(peerId: string): Promise<boolean> {
    return (await this.directory.lookup(peerId)) !== undefined;
  }

  /** True when `peerId` is listed, alive and listens (on any transport). */
  async peerIsListener(peerId: string): Promise<boolean> {
    return (await this.directory.lookup(peerId))?.listening === true;
  }

  /** True when the directory lists `peerId` as alive; the same as {@link peerExists}, kept for IPC::Manager's `peer_active`. */
  async peerActive(peerId: string): Promise<boolean> {
    return (await this.directory.lookup(peerId)) !== undefined;
  }

  /**
   * Resolves when `peerId` is listed in the directory, alive and listening
   * on this client's transport (so a `send()` to it would dial it), at once
   * if it already is. Watches the directory (no polling here: the directory
   * decides how it notices; the route directory uses `fs.watch` and a
   * periodic rescan).
   *
   * Rejects with `ERR_IPCM_WAIT_TIMEOUT` after `timeoutMs`, with the
   * signal's reason when `signal` aborts, `ERR_IPCM_CLIENT_CLOSED` when the
   * client closes, and at once with `ERR_IPCM_WRONG_TRANSPORT` when the
   * peer is found listening on another transport (waiting longer would not
   * help: an id is held by one process). A peer listed but not listening
   * (a marker) is waited for. `ERR_IPCM_INVALID_ID` for an id no peer may have.
   *
   * @example
   * ```ts
   * const worker = spawnWorker('worker-1');
   * await client.waitForPeer('worker-1', { timeoutMs: 5000 });
   * await client.send('worker-1', job);
   * ```
   */
  async waitForPeer(peerId: string, options: WaitForPeerOptions = {}): Promise<void> {
    if (this.#state !== 'open') throw this.#closedError();
    return this.#peerWatch.waitFor(peerId, options);
  }

  // ---- stats and shutdown -------------------------------------------------

  /** Counters: per-peer sent/read, connects, reuses, drops by reason, frames and bytes. */
  stats(): ClientStats {
    return this.#counters.snapshot(this.#cache, this.#sockets, this.#requests.stats(), this.#responder.stats());
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
   *
   * Requests: the handler is removed first; answers of handlers already
   * running are still sent (waiting for them at most `lingerMs`; sends made
   * meanwhile still go out); requests still waiting for a response are
   * rejected with `ERR_IPCM_CLIENT_CLOSED` once the connections have closed
   * (a response may still arrive while they flush).
   *
   * An aborted `signal` turns the close into {@link destroy}.
   */
  close(options?: CloseOptions): Promise<void> {
    const signal = options?.signal;
    if (signal?.aborted) return this.destroy();
    this.#closed ??= this.#shutdown(false);
    if (signal !== undefined && this.#state !== 'closed') {
      const onAbort = (): void => void this.destroy();
      signal.addEventListener('abort', onAbort, { once: true });
      this.#closed.then(
        () => signal.removeEventListener('abort', onAbort),
        () => signal.removeEventListener('abort', onAbort),
      );
    }
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
      this.#answering = false;
      const closedError = this.#closedError();
      this.#requests.close(closedError);
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
    debugLifecycle('close', { clientId: this.id, reason: force ? 'destroy' : 'close' });
    this.#responder.handle(null);
    if (force) {
      this.#requests.close(this.#closedError());
    } else if (this.#responder.running > 0) {
      // Answers to requests already taken go out before the connections end.
      this.#answering = true;
      await withTimeout(this.#responder.whenIdle(), this.#options.lingerMs);
      this.#answering = false;
    }
    const listenerClosed = this.#listener?.close();
    this.#acceptor.destroyAll();
    if (force) {
      for (const conn of this.#dialer.dialing.values()) conn.socket?.destroy();
    } else if (this.#dialer.dials.size > 0) {
      // Messages queued on a connection still being opened are flushed too
      // (R27), within the linger time.
      await withTimeout(Promise.allSettled(this.#dialer.dials), this.#options.lingerMs);
    }
    const closedError = this.#closedError();
    for (const conn of this.#dialer.dialing.values()) conn.destroy(closedError);
    this.#dialer.dialing.clear();
    const allClosed = new Promise<void>((resolve) => {
      this.#lifecycle.onAllClosed = resolve;
    });
    // Forced: each connection counts what it discards before its socket
    // goes, while the kernel's share of the write in flight is still known.
    if (force) for (const conn of this.#sockets) conn.destroy(closedError);
    this.#cache.drop((): boolean => true, 'client closed');
    if (this.#sockets.size === 0) this.#lifecycle.onAllClosed?.();
    await Promise.all([listenerClosed, allClosed, this.#lostListenerClosed]);
    this.#requests.close(this.#closedError());
    // Whatever happens to the files, the client ends closed and iteration ends.
    let failure: IpcmError | undefined;
    const registration = this.#registration;
    this.#peerWatch.close();
    try {
      if (registration !== undefined) {
        failure = await releaseClaim(registration, `${JSON.stringify(this.id)} in ${this.directory.description}`, this.#counters);
      }
      if (this.#ownsDirectory) await this.#directory?.close();
    } finally {
      this.#inbox.queue.close();
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
