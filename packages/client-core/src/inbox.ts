import { BadJsonError, ConnectionClosedError, IpcmError, ProtocolError } from './errors.js';
import type { ClientCounters } from './client-stats.js';
import { MessageQueue } from './message-queue.js';
import { isHello, validateMessage, type Message } from './message.js';
import type { PeerConnection } from './peer-connection.js';
import { publishMessage } from './diagnostics.js';
import { decodePayload, type Serializer } from './serializer.js';

/** What the {@link Inbox} needs from its client. */
export interface InboxHost {
  readonly id: string;
  readonly serializer: Serializer;
  /** Every connection not yet closed: paused and resumed together. */
  readonly sockets: ReadonlySet<PeerConnection>;
  readonly counters: ClientCounters;
  /** Takes responses to this client's requests. */
  readonly requests: { accept(message: Message): boolean };
  /** Takes requests while a handler is set; `running` handlers count like queued messages. */
  readonly responder: { accept(message: Message): boolean; readonly running: number };
  hasMessageListeners(): boolean;
  emitMessage(message: Message): void;
  /** Closes a connection for a peer-level error, and reports it. */
  fail(conn: PeerConnection, error: IpcmError): void;
  reportError(error: IpcmError): void;
}

/**
 * Messages from peers on their way to the application: decoded and checked,
 * requests and responses taken aside, the rest delivered to `'message'`
 * listeners, else queued for iterators and `getMessages()`. When the
 * application is behind (`maxQueuedMessages` queued, or as many request
 * handlers running) reading from every peer pauses until it catches up (R36).
 */
export class Inbox {
  readonly queue: MessageQueue<Message>;
  readonly #host: InboxHost;
  /** Handlers running at once before reading from peers pauses (maxQueuedMessages). */
  readonly #maxRunning: number;
  #paused = false;

  constructor(host: InboxHost, maxQueuedMessages: number) {
    this.#host = host;
    this.#maxRunning = maxQueuedMessages;
    this.queue = new MessageQueue(maxQueuedMessages, () => {
      // Running request handlers hold reading paused too (see handle()).
      if (this.#host.responder.running < this.#maxRunning) this.resume();
    });
  }

  /** True while reading from peers is paused because the application is behind. */
  get paused(): boolean {
    return this.#paused;
  }

  /** A message frame from a connection that has said hello. */
  receive(conn: PeerConnection, peerId: string, payload: Buffer): void {
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

  /** A request handler finished: reading resumes if it paused for running handlers. */
  handlerSettled(): void {
    if (this.#paused && !this.queue.high && this.#host.responder.running < this.#maxRunning) this.resume();
  }

  #onMessageFrame(conn: PeerConnection, peerId: string, payload: Buffer): void {
    this.#host.counters.framesIn++;
    let value: unknown;
    try {
      value = decodePayload(payload, this.#host.serializer);
    } catch (error) {
      this.#host.fail(conn, toIpcmError(error)); // R1, R9: the stream can't be trusted past this
      return;
    }
    let message: Message;
    try {
      message = validateMessage(value, { self: this.#host.id, helloId: peerId });
    } catch (error) {
      if (isHello(value)) {
        this.#host.fail(conn, new ProtocolError(`second hello on the connection from ${peerId}`)); // R12
      } else {
        // A well-framed message of the wrong shape does not poison the stream (R2).
        this.#host.reportError(toIpcmError(error));
      }
      return;
    }
    conn.readFrames++;
    publishMessage(this.#host.id, message);
    // Responses never enter the message queue; requests neither, while a
    // handler is set.
    if (this.#host.requests.accept(message)) return;
    if (this.#host.responder.accept(message)) {
      // Running handlers count like queued messages: past the bound, reading
      // pauses until some finish (backpressure reaches the requesters).
      if (this.#host.responder.running >= this.#maxRunning) this.pause();
      return;
    }
    this.#deliver(message);
  }

  #deliver(message: Message): void {
    // Straight to listeners only when nothing older is still queued for them.
    if (this.queue.length === 0 && this.#host.hasMessageListeners()) {
      this.#host.emitMessage(message);
    } else if (this.queue.push(message)) {
      this.pause();
    }
  }

  /** Hands queued messages to 'message' listeners, oldest first, while there are any. */
  flushToListeners(): void {
    while (this.queue.length > 0 && this.#host.hasMessageListeners()) {
      this.#host.emitMessage(this.queue.shift() as Message);
    }
  }

  /** The application is behind: stops reading from peers (R36). */
  pause(): void {
    if (this.#paused) return;
    this.#paused = true;
    for (const conn of this.#host.sockets) {
      // Connections still saying hello keep reading (a hello is small, and
      // bounded by maxHandshakes); every other one, retiring ones included,
      // stops (R36).
      if (conn.peerId !== undefined) conn.socket?.pause();
    }
  }

  /** The application caught up: delivers held frames, then reads again. */
  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    for (const conn of this.#host.sockets) {
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
   * A connection closed while the application was behind: the frames it
   * had read and not delivered, and the bytes it had buffered, are lost.
   * Counted in `stats().undelivered` and reported as an error event (R36).
   */
  dropUnread(conn: PeerConnection): void {
    const frames = conn.held.length;
    const socket = conn.socket;
    const buffered = (socket?.readableLength ?? 0) + conn.decoder.bufferedBytes;
    conn.held.length = 0;
    if (frames === 0 && (buffered === 0 || conn.error !== undefined)) return;
    this.#host.counters.undelivered += frames;
    this.#host.reportError(
      new ConnectionClosedError(
        `connection from ${conn.peerId ?? 'a peer'} closed (${conn.closing ?? 'closed'}) with ${frames} messages and ${buffered} more bytes unread: the application was behind (maxQueuedMessages)`,
      ),
    );
  }
}

/** A decoder's or parser's failure as a coded error. */
export function toIpcmError(error: unknown): IpcmError {
  if (error instanceof IpcmError) return error;
  return new BadJsonError(`cannot decode a frame: ${(error as Error).message}`, { cause: error });
}
