import type { Duplex } from 'node:stream';
import type { ConnCache } from '@ipcm/conncache';
import { BadHelloError, HelloTimeoutError, type IpcmError } from './errors.js';
import type { ResolvedOptions } from './check-options.js';
import type { ClientCounters } from './client-stats.js';
import { debugLifecycle } from './diagnostics.js';
import { toIpcmError } from './inbox.js';
import { parseHello } from './message.js';
import type { Timers } from './options.js';
import { PeerConnection, type Direction } from './peer-connection.js';
import { decodePayload, type Serializer } from './serializer.js';
import type { Transport } from './transport.js';

/**
 * Largest first frame an accepted connection may send: a hello with an id
 * and a token of 1 KiB each, every character escaped as \uXXXX.
 */
const MAX_HELLO_BYTES = 16 * 1024;

/** What the {@link Acceptor} needs from its client. */
export interface AcceptorHost {
  readonly id: string;
  readonly options: ResolvedOptions;
  readonly timers: Timers;
  readonly transport: Transport;
  readonly serializer: Serializer;
  readonly cache: ConnCache<PeerConnection, Direction, string>;
  readonly counters: ClientCounters;
  isClosed(): boolean;
  /** True while reading from peers is paused (the application is behind). */
  isPaused(): boolean;
  /** Wires the socket's events to the client. */
  adopt(conn: PeerConnection, socket: Duplex): void;
  /** Hooks the connection's send side to the client. */
  wire(conn: PeerConnection): void;
  fail(conn: PeerConnection, error: IpcmError): void;
  /** Caches a connection that said hello, and announces it. */
  cacheConnection(conn: PeerConnection, peerId: string): void;
}

/**
 * Accepting connections and their hello: a stranger gets a small frame
 * limit, `helloTimeoutMs` and one of `maxHandshakes` slots (R38) until it
 * says who it is; then it replaces any older connection from the same peer
 * (R13) and joins the cache. Accepted connections are never cached before
 * their hello (R10).
 */
export class Acceptor {
  readonly #host: AcceptorHost;
  /** Accepted connections waiting for their hello, oldest first. */
  readonly #handshakes = new Set<PeerConnection>();

  constructor(host: AcceptorHost) {
    this.#host = host;
  }

  /** A socket the listener accepted: it has `helloTimeoutMs` to say who it is. */
  accept(socket: Duplex): void {
    // Until the hello is read, a frame may be no larger than a hello can be:
    // a stranger can't make us buffer maxFrameBytes before saying who it is.
    const conn = new PeerConnection('inbound', undefined, Math.min(this.#host.options.maxFrameBytes, MAX_HELLO_BYTES), this.#host.timers);
    debugLifecycle('accept', { clientId: this.#host.id });
    this.#host.adopt(conn, socket);
    if (this.#host.isClosed()) {
      conn.closing = 'client closed';
      socket.destroy();
      return;
    }
    if (this.#handshakes.size >= this.#host.options.maxHandshakes) {
      // The slots are full: the oldest handshake has had the longest to say
      // hello, so it goes, not the newcomer; a flood of silent sockets then
      // cannot keep a prompt peer out (R38).
      const oldest = this.#handshakes.values().next().value as PeerConnection;
      this.#handshakes.delete(oldest);
      oldest.closing = 'too many handshakes';
      oldest.socket?.destroy();
    }
    this.#handshakes.add(conn);
    conn.startHelloTimer(this.#host.options.helloTimeoutMs, () => {
      this.#host.fail(conn, new HelloTimeoutError(`no hello within ${this.#host.options.helloTimeoutMs} ms`));
    });
  }

  /** The first frame of an accepted connection: its hello (R11), or the reason it is closed. */
  hello(conn: PeerConnection, payload: Buffer): void {
    let peerId: string;
    try {
      let hello: unknown;
      try {
        hello = decodePayload(payload, this.#host.serializer);
      } catch (cause) {
        throw new BadHelloError(`first frame is not a hello: ${(cause as Error).message}`, { cause });
      }
      peerId = parseHello(hello); // R11
      // The transport may refuse the peer (a wrong token) before it is
      // cached or any of its messages is delivered (R21).
      this.#host.transport.verifyHello?.(hello as Readonly<Record<string, unknown>>);
    } catch (error) {
      this.#host.fail(conn, toIpcmError(error));
      return;
    }
    conn.clearHelloTimer();
    this.#handshakes.delete(conn);
    conn.peerId = peerId;
    debugLifecycle('hello', { clientId: this.#host.id, peerId, direction: 'inbound' });
    this.#host.wire(conn);
    conn.decoder.maxFrameBytes = this.#host.options.maxFrameBytes; // from the next frame on
    if (this.#host.isPaused()) conn.socket?.pause();
    // A peer connecting again replaces its old connection; whatever the old
    // one still delivers is read before it closes (R13).
    const old = this.#host.cache.find('inbound', peerId);
    if (old !== undefined) this.#host.cache.dropRecord(old, 'replaced');
    conn.open();
    this.#host.counters.accepts++;
    this.#host.cacheConnection(conn, peerId);
  }

  /** A connection closed: it holds no handshake slot any more. */
  forget(conn: PeerConnection): void {
    this.#handshakes.delete(conn);
  }

  /** The client is closing: connections that have not said hello go at once. */
  destroyAll(): void {
    for (const conn of this.#handshakes) conn.socket?.destroy();
  }
}
