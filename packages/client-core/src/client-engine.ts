import type { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import { ConnCache } from '@ipcm/conncache';
import type { ConnectionHost } from '@ipcm/connection-role';
import { Acceptor, type AcceptorHost } from './acceptor.js';
import { checkOptions, type ResolvedOptions } from './check-options.js';
import type { ClientEvents, ConnectEvent, DisconnectEvent, PeerEvent } from './client-events.js';
import { ClientCounters } from './client-stats.js';
import { ConnectionLifecycle, type ConnectionLifecycleHost } from './connection-lifecycle.js';
import { debugLifecycle, diag } from './diagnostics.js';
import { Dialer, type DialerHost } from './dialer.js';
import { ClientClosedError, IpcmError } from './errors.js';
import { Inbox, type InboxHost } from './inbox.js';
import { setRef } from './keep-alive.js';
import { MessageEncoder } from './message-encoder.js';
import type { Message } from './message.js';
import { realTimers, type ClientOptions, type Clock, type Timers } from './options.js';
import type { Direction, PeerConnection } from './peer-connection.js';
import type { PeerDirectory, Registration } from './peer-directory.js';
import type { ContentOf, PeerTypes, RequestOf, ResponseOf } from './peer-types.js';
import { PeerWatch, type PeerWatchHost } from './peer-watch.js';
import { RequestTable } from './requests.js';
import { Responder } from './responder.js';
import { createRoleHost } from './role-host.js';
import { Sender, type SenderHost } from './sender.js';
import { encodeValueFrame, jsonSerializer, type Serializer } from './serializer.js';
import type { Transport, TransportListener } from './transport.js';

/** Where a client is in its life: start() opens it, close()/destroy() close it. */
type ClientState = 'starting' | 'open' | 'closing' | 'closed';

/**
 * What one client is made of, built once: its settings, clock and timers,
 * transport, connection cache and counters; the collaborators that do the
 * work (dialling, accepting, sending, the inbox, connections' lives,
 * requests, the peer watch); and the state the start and shutdown
 * sequences (`client-start.ts`, `shutdown.ts`) move it through.
 *
 * It is the one context every collaborator is handed: it is the host each
 * of them declares it needs (the compiler checks that it is all of them),
 * so none takes a list of callbacks. The `Client` facade holds it and
 * delegates to it. Its state is plain fields for the package's modules
 * that move it (start, shutdown); the engine itself is not exported, and a
 * client keeps it in a `#private` field.
 */
export class ClientEngine<T extends PeerTypes = PeerTypes>
  implements DialerHost, AcceptorHost, SenderHost, InboxHost, ConnectionLifecycleHost, PeerWatchHost
{
  readonly id: string;
  readonly options: ResolvedOptions;
  readonly transport: Transport;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly serializer: Serializer;
  /** Peers a transport package configures (TCP's `peers`), looked up before the directory. */
  readonly configuredPeers: PeerDirectory | undefined;
  /** The hello an outbound connection sends first. */
  readonly helloFrame: Buffer;
  readonly counters = new ClientCounters();
  /** Every connection whose socket has not closed yet, so close() can wait for them. */
  readonly sockets = new Set<PeerConnection>();
  readonly cache: ConnCache<PeerConnection, Direction, string>;
  /** The cache seen as the `@ipcm/connection-role` connection table. */
  readonly roleHost: ConnectionHost<string>;
  readonly encoder: MessageEncoder;
  readonly requests: RequestTable<RequestOf<T>, ResponseOf<T>>;
  readonly responder: Responder<RequestOf<T>, ResponseOf<T>>;
  /** Messages from peers on their way to the application (queue, pause/resume, delivery). */
  readonly inbox: Inbox;
  /** Dialling, and which connection a send to a peer goes over. */
  readonly dialer: Dialer;
  /** The send path: route, dial, room or wait (R35). */
  readonly sender: Sender;
  /** Accepted connections until their hello (R10, R38). */
  readonly acceptor: Acceptor;
  /** Each connection's life from its socket to its close: wiring, caching, retiring. */
  readonly lifecycle: ConnectionLifecycle;
  /** waitForPeer() and the watch behind 'peer' events. */
  readonly peerWatch: PeerWatch;

  state: ClientState = 'starting';
  /** Set by destroy(): nothing is flushed or completed any more. */
  forced = false;
  /** True while a graceful close waits for running handlers: their answers (and sends) still go out. */
  answering = false;
  /** False after unref(): the listener and sockets do not keep the process alive. */
  refed = true;
  /** The directory, once start() has opened it. */
  currentDirectory: PeerDirectory | undefined;
  /** The directory was made from the `route`/`peers` shorthands: the shutdown closes it. */
  ownsDirectory = false;
  registration: Registration | undefined;
  listener: TransportListener | undefined;
  /** The listener closed because the id was lost (see `onLost` in client-start.ts). */
  lostListenerClosed: Promise<void> | undefined;
  /** The shutdown, once close() or destroy() has begun it. */
  shutdown: Promise<void> | undefined;

  /** The client, as the emitter its events go out on. */
  readonly #events: EventEmitter<ClientEvents<ContentOf<T>>>;

  constructor(
    events: EventEmitter<ClientEvents<ContentOf<T>>>,
    options: ClientOptions,
    transport: Transport,
    optionNames: Iterable<string>,
    configuredPeers: PeerDirectory | undefined,
  ) {
    this.#events = events;
    this.options = checkOptions(options, optionNames);
    this.id = this.options.id;
    this.transport = transport;
    this.clock = this.options.clock ?? performance;
    this.timers = this.options.timers ?? realTimers;
    this.configuredPeers = configuredPeers;
    this.serializer = this.options.serializer ?? jsonSerializer;
    // Added to the monotonic clock to give epoch milliseconds.
    const epochOffset = Date.now() - this.clock.now();
    this.encoder = new MessageEncoder(this.id, this.serializer, this.options.maxFrameBytes);
    this.helloFrame = encodeValueFrame({ ...transport.helloFields?.(), hello: this.id }, this.serializer);
    this.cache = new ConnCache<PeerConnection, Direction, string>({
      totalCapacity: this.options.maxConnections,
      capacities: { outbound: this.options.maxOutbound, inbound: this.options.maxInbound },
      clock: this.clock,
      // Prefer to evict connections with nothing left to write (R29).
      isEvictable: (record) => record.conn.flushed,
      dispose: (conn, reason) => this.lifecycle.retire(conn, reason),
    });
    this.roleHost = createRoleHost(this.cache, {
      now: () => this.clock.now() + epochOffset,
      toEpoch: (monotonic) => monotonic + epochOffset,
    });
    this.requests = new RequestTable<RequestOf<T>, ResponseOf<T>>({
      send: (peerId, content) => this.sender.send(peerId, content, false),
      clientId: this.id,
      maxPendingRequests: this.options.maxPendingRequests,
      timeoutMs: this.options.requestTimeoutMs,
      // Real timers follow ref()/unref() as the sockets do.
      timers: this.options.timers ?? {
        setTimeout: (callback, ms) => {
          const timer = setTimeout(callback, ms);
          if (!this.refed) timer.unref();
          return timer;
        },
        clearTimeout: realTimers.clearTimeout,
      },
    });
    this.responder = new Responder<RequestOf<T>, ResponseOf<T>>({
      send: (peerId, content) => this.sender.send(peerId, content, false),
      // Handler failures come as ERR_IPCM_HANDLER and failed answers with the
      // send's coded error; anything else is a bug, surfaced as uncaught.
      onError: (error, peerId) => {
        if (error instanceof IpcmError) this.reportError(error, peerId);
        else
          process.nextTick(() => {
            throw error;
          });
      },
      // A handler finished: reading resumes if it paused for running handlers.
      onSettled: () => this.inbox.handlerSettled(),
    });
    // In this order: each reads, when it is made, those made before it.
    this.inbox = new Inbox(this, this.options.maxQueuedMessages);
    this.dialer = new Dialer(this);
    this.sender = new Sender(this);
    this.acceptor = new Acceptor(this);
    this.lifecycle = new ConnectionLifecycle(this);
    this.peerWatch = new PeerWatch(this);
    const emitter = events as EventEmitter;
    // Messages queued while nobody listened go to the first 'message' listener.
    emitter.on('newListener', (event: string | symbol) => {
      if (event === 'message' && this.inbox.queue.length > 0) process.nextTick(() => this.inbox.flushToListeners());
      if (event === 'peer' && !this.peerWatch.watching) this.peerWatch.start();
    });
    // The directory is watched only while someone listens for 'peer'.
    emitter.on('removeListener', (event: string | symbol) => {
      if (event === 'peer' && emitter.listenerCount('peer') === 0) this.peerWatch.stop();
    });
  }

  // ---- the hosts' questions -----------------------------------------------

  /** True once close() or destroy() has begun. */
  isClosed(): boolean {
    return this.state === 'closing' || this.state === 'closed';
  }

  isForced(): boolean {
    return this.forced;
  }

  isRefed(): boolean {
    return this.refed;
  }

  isPaused(): boolean {
    return this.inbox.paused;
  }

  canSend(): boolean {
    return this.state === 'open' || this.answering;
  }

  /** The directory; throws the client-closed error before start() has opened one. */
  directory(): PeerDirectory {
    if (this.currentDirectory === undefined) throw this.closedError();
    return this.currentDirectory;
  }

  describeDirectory(): string {
    return this.currentDirectory?.description ?? 'the directory';
  }

  closedError(): ClientClosedError {
    return new ClientClosedError(`client ${JSON.stringify(this.id)} is closed`);
  }

  /** Whether the listener, the sockets, the request timers and the 'peer' watch keep the process alive (`ref()`/`unref()`). */
  keepAlive(on: boolean): void {
    this.refed = on;
    if (on) this.listener?.ref?.();
    else this.listener?.unref?.();
    for (const conn of this.sockets) setRef(conn.socket, on);
    this.peerWatch.setRef(on);
  }

  // ---- connections (see ConnectionLifecycle) ------------------------------

  adopt(conn: PeerConnection, socket: Duplex): void {
    this.lifecycle.adopt(conn, socket);
  }

  wire(conn: PeerConnection): void {
    this.lifecycle.wire(conn);
  }

  fail(conn: PeerConnection, error: IpcmError): void {
    this.lifecycle.fail(conn, error);
  }

  cacheConnection(conn: PeerConnection, peerId: string): void {
    this.lifecycle.cacheConnection(conn, conn.direction, peerId);
  }

  // ---- events -------------------------------------------------------------

  hasMessageListeners(): boolean {
    return this.#events.listenerCount('message') > 0;
  }

  emitMessage(message: Message): void {
    this.emit('message', message as Message<ContentOf<T>>);
  }

  emitConnect(event: ConnectEvent): void {
    this.emit('connect', event);
  }

  emitDisconnect(event: DisconnectEvent): void {
    this.emit('disconnect', event);
  }

  emitPeer(event: PeerEvent): void {
    this.emit('peer', event);
  }

  /**
   * Emits an event to the application. A listener that throws is the
   * application's bug, not the peer's: it must not be taken for bad input
   * (and close the peer's connection) or break the engine mid-operation, so
   * it is rethrown on its own, as an uncaught exception.
   */
  emit<E extends keyof ClientEvents>(event: E, ...args: ClientEvents<ContentOf<T>>[E]): void {
    try {
      (this.#events.emit as (event: E, ...args: ClientEvents<ContentOf<T>>[E]) => boolean).call(this.#events, event, ...args);
    } catch (error) {
      process.nextTick(() => {
        throw error;
      });
    }
  }

  /** A listener's promise rejected: see the client's `[captureRejectionSymbol]` for where it goes. */
  listenerRejected(error: unknown, event: unknown): void {
    if (error instanceof IpcmError && event !== 'error') {
      this.reportError(error);
      return;
    }
    throw error;
  }

  /**
   * A peer-level error: counted in `stats().errors`, and emitted as
   * `'error'` when someone listens. It never crashes the process: without
   * a listener it is only counted (and carried by the 'disconnect' event).
   */
  reportError(error: IpcmError, peerId?: string): void {
    this.counters.errors++;
    diag.error(() => ({ clientId: this.id, error, peerId }));
    debugLifecycle('error', { clientId: this.id, peerId, error });
    if (this.#events.listenerCount('error') > 0) this.emit('error', error);
  }
}
