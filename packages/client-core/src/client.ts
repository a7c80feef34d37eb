import { EventEmitter } from 'node:events';
import type { ConnCache } from '@ipcm/conncache';
import { closeIdleConnections, connections, disconnectConnection, hasConnection, lastActivity, type ConnectionRoleMethods } from '@ipcm/connection-role';
import { broadcast, type BroadcastResult } from './broadcast.js';
import { ClientEngine } from './client-engine.js';
import type { ClientEvents } from './client-events.js';
import { startClient } from './client-start.js';
import type { ClientStats } from './client-stats.js';
import type { MessageQueue } from './message-queue.js';
import type { Message } from './message.js';
import type { ClientOptions, SendOptions } from './options.js';
import type { PeerDirectory } from './peer-directory.js';
import { reachable } from './peer-locator.js';
import type { ContentOf, PeerTypes, RequestOf, ResponseOf } from './peer-types.js';
import type { WaitForPeerOptions } from './peer-watch.js';
import type { ResponseContent } from './request-wire.js';
import type { RequestOptions } from './requests.js';
import type { HandleOptions, RequestHandler } from './responder.js';
import type { RouteAddress } from './route-types.js';
import { publishSend } from './diagnostics.js';
import { closeClient, destroyClient, type CloseOptions } from './shutdown.js';
import type { Transport } from './transport.js';

export type { BroadcastResult } from './broadcast.js';
export type { CloseOptions } from './shutdown.js';

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

  // What this client is made of, built once (client-engine.ts); the start
  // and shutdown sequences are client-start.ts and shutdown.ts.
  readonly #engine: ClientEngine<T>;

  /**
   * Use a transport package's factory (`UnixClient.create`, ...) or
   * {@link Client.start} on a subclass; a client must be started before use.
   * `optionNames` are the options the subclass adds to {@link ClientOptions};
   * any other unknown option is refused (`ERR_IPCM_INVALID_OPTION`).
   */
  protected constructor(options: ClientOptions, transport: Transport, optionNames: Iterable<string> = [], configuredPeers?: PeerDirectory) {
    // A rejected promise returned by a listener comes back to
    // [captureRejectionSymbol] below instead of crashing the process.
    super({ captureRejections: true });
    this.#engine = new ClientEngine<T>(this, options, transport, optionNames, configuredPeers);
    this.id = this.#engine.id;
    this.route = this.#engine.options.route;
    this.listening = this.#engine.options.listen;
  }

  /**
   * Claims the id in the directory (made from `route` and the configured
   * peers unless `directory` was given), starts listening and publishes
   * where this client can be reached. An aborted `signal` stops the start
   * between its steps: what was opened is closed, the claim released, and
   * it rejects with `signal.reason`.
   */
  protected async start(signal?: AbortSignal): Promise<void> {
    return startClient(this.#engine, signal, () => this.destroy());
  }

  /**
   * Where this client claims its id and finds its peers: the `directory`
   * option, or the one made from `route` (and a TCP client's `peers`).
   */
  get directory(): PeerDirectory {
    return this.#engine.directory();
  }

  /** Where this client listens: its socket path or address, as the transport reports it. */
  get address(): RouteAddress | string | undefined {
    return this.#engine.listener?.address ?? this.#engine.registration?.path;
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
   * written and no connection is opened. A `timeoutMs` that is not an
   * integer from 0 to 2147483647, or a `signal` that is not an
   * `AbortSignal`, rejects with `ERR_IPCM_INVALID_OPTION` at once.
   *
   * @example
   * ```ts
   * for (const job of jobs) await client.send('worker-1', job); // paced by the worker
   * await client.send('worker-1', 'urgent', { timeoutMs: 1000 });
   * ```
   */
  send(peerId: string, content: ContentOf<T>, options?: SendOptions): Promise<void> {
    publishSend(this.id, peerId, content);
    return this.#engine.sender.send(peerId, content, false, options);
  }

  /**
   * Sends `content` to every known peer (listening peers in the route
   * directory, statically configured peers, and peers connected to us) but
   * this one. Each peer's outcome is in the result; it rejects, with nothing
   * sent, when the client is closed, the route directory cannot be read, or
   * the content cannot be sent to anyone (`ERR_IPCM_BAD_CONTENT`,
   * `ERR_IPCM_FRAME_TOO_LARGE`).
   */
  broadcast(content: ContentOf<T>): Promise<Map<string, BroadcastResult>> {
    return broadcast(this.#engine, content);
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
    return this.#engine.requests.request(peerId, value, options);
  }

  /** As {@link request}, but resolves with the whole reply message (`content.response` is the value). */
  requestMessage(peerId: string, value: RequestOf<T>, options?: RequestOptions): Promise<Message<ResponseContent<ResponseOf<T>>>> {
    return this.#engine.requests.requestMessage(peerId, value, options);
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
    const expose = options?.exposeErrorDetails ?? this.#engine.options.exposeErrorDetails;
    this.#engine.responder.handle(handler, { exposeErrorDetails: expose });
    return this;
  }

  /**
   * Lets the process exit while this client's listener, connections and
   * request timers are all that is left (as `net.Server#unref`): for a
   * process that only answers when asked. Without it, a client keeps the
   * process alive until `close()`.
   */
  unref(): this {
    this.#engine.keepAlive(false);
    return this;
  }

  /** Undoes {@link unref}: the client keeps the process alive again. */
  ref(): this {
    this.#engine.keepAlive(true);
    return this;
  }

  // ---- receiving ----------------------------------------------------------

  /**
   * Where a promise returned by a listener goes when it rejects (the client
   * is an EventEmitter with `captureRejections`), so the reply pattern
   * `client.on('message', async (m) => { await client.send(m.from, ...) })`
   * cannot crash the process when the requester has left. A coded error (a
   * failed send) is handled like every peer-level error: emitted as
   * `'error'` when there is a listener, else only counted in
   * `stats().errors`. Anything else is the application's own bug: it is
   * rethrown as an uncaught exception, as a listener that throws
   * synchronously is; so is a rejection from an `'error'` listener, which
   * must not loop back to itself.
   */
  override [EventEmitter.captureRejectionSymbol](error: unknown, event: unknown, ..._args: unknown[]): void {
    this.#engine.listenerRejected(error, event);
  }

  /**
   * Messages that have arrived and not been taken yet, oldest first; the
   * queue is emptied. Messages go to `'message'` listeners when there are
   * any, else to a waiting async iterator, else to this queue.
   */
  getMessages(): Message<ContentOf<T>>[] {
    return this.#engine.inbox.queue.drain() as Message<ContentOf<T>>[];
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
    return { next: () => this.#engine.inbox.queue.next() as Promise<IteratorResult<Message<ContentOf<T>>>> };
  }

  /** The same as iterating the client: `for await (const m of client.messages())`. */
  messages(): AsyncIterableIterator<Message<ContentOf<T>>> {
    const queue = this.#engine.inbox.queue as MessageQueue<Message<ContentOf<T>>>;
    return {
      next: () => queue.next(),
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }

  // ---- the connection role ------------------------------------------------

  /** True when a connection to `peerId` is open (dialled or accepted). */
  hasConnection(peerId: string): boolean {
    return hasConnection(this.#engine.roleHost, peerId);
  }

  /** Ids of the peers with an open connection, sorted. */
  connections(): string[] {
    return connections(this.#engine.roleHost);
  }

  /** Closes the connections to `peerId` (flushing first); true if there was one. */
  disconnectConnection(peerId: string): boolean {
    return disconnectConnection(this.#engine.roleHost, peerId);
  }

  /** When the connection to `peerId` last sent or received bytes (epoch ms), or `undefined`. */
  lastActivity(peerId: string): number | undefined {
    return lastActivity(this.#engine.roleHost, peerId);
  }

  /**
   * Closes every connection idle for longer than `maxIdleMs` and returns how
   * many. No timer runs: call it when it suits you. Costs O(number closed).
   * `now` (epoch ms) defaults to the client's clock.
   */
  closeIdleConnections(maxIdleMs: number, now?: number): number {
    return closeIdleConnections(this.#engine.roleHost, maxIdleMs, now);
  }

  /**
   * Bytes sent to `peerId` that have not been handed to the kernel yet (0
   * when there is no connection). A connection with pending bytes is never
   * reaped as idle and is the last candidate for eviction.
   */
  pendingBytes(peerId: string): number {
    return this.#engine.dialer.connectionTo(peerId)?.pendingBytes ?? 0;
  }

  /** The connection cache's limits: `maxConnections` (get, or set and get the previous value). */
  maxConnections(limit?: number | null): number | null {
    return limit === undefined ? this.#engine.cache.totalCapacity() : this.#engine.cache.totalCapacity(limit);
  }

  /** Drops cached connections whose socket is no longer usable; returns how many. */
  prune(): number {
    return this.#engine.cache.prune();
  }

  // ---- peers --------------------------------------------------------------

  /** Ids of the live peers in the directory (route directory, configured peers...), this one excluded. */
  async peers(): Promise<string[]> {
    return (await this.directory.list()).map((location) => location.id).filter((peerId) => peerId !== this.id);
  }

  /** Ids of the peers that can be dialled: listed, alive and listening on this client's transport. */
  async listeningPeers(): Promise<string[]> {
    return (await this.directory.list())
      .filter((location) => location.id !== this.id && reachable(location, this.#engine.transport))
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
   * help: an id is held by one process), or at an address the transport
   * refuses (`Transport.canDial`). A peer listed but not listening (a
   * marker) is waited for. When the directory's watch fails it rejects with
   * the directory's coded error (`ERR_IPCM_ROUTE`,
   * `ERR_IPCM_DIRECTORY_UNAVAILABLE`). At once: `ERR_IPCM_INVALID_ID` for an
   * id no peer may have, `ERR_IPCM_INVALID_OPTION` for a `timeoutMs` that is
   * not an integer from 0 to 2147483647 or a `signal` that is not an
   * `AbortSignal`.
   *
   * @example
   * ```ts
   * const worker = spawnWorker('worker-1');
   * await client.waitForPeer('worker-1', { timeoutMs: 5000 });
   * await client.send('worker-1', job);
   * ```
   */
  async waitForPeer(peerId: string, options: WaitForPeerOptions = {}): Promise<void> {
    if (this.#engine.state !== 'open') throw this.#engine.closedError();
    return this.#engine.peerWatch.waitFor(peerId, options);
  }

  // ---- stats and shutdown -------------------------------------------------

  /** Counters: per-peer sent/read, connects, reuses, drops by reason, frames and bytes. */
  stats(): ClientStats {
    const { counters, cache, sockets, requests, responder } = this.#engine;
    return counters.snapshot(cache, sockets, requests.stats(), responder.stats());
  }

  /** True once `close()` or `destroy()` has been called. */
  get closed(): boolean {
    return this.#engine.isClosed();
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
    return closeClient(this.#engine, options, () => this.destroy());
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
    return destroyClient(this.#engine);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
