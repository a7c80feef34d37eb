import type { ConnRecord } from '@ipcm/conncache';
import { ConnectionWriter } from './connection-writer.js';
import { FrameDecoder } from './frame-decoder.js';
import { unref } from './keep-alive.js';
import { ConnectionClosedError } from './errors.js';
import { realTimers, type Timers } from './options.js';

/** Who opened a connection: we dialled it (`'outbound'`) or accepted it (`'inbound'`). */
export type Direction = 'outbound' | 'inbound';

/** What {@link PeerConnection.whenClosed} returns once the socket has closed. */
const CLOSED: Promise<void> = Promise.resolve();

/**
 * One connection to one peer, as the engine sees it. The engine owns all
 * the policy; this object holds per-connection state: the writing (see
 * {@link ConnectionWriter}, which it extends), the reading side's decoder
 * and held frames, and the hello, frame and linger timers.
 */
export class PeerConnection extends ConnectionWriter {
  readonly direction: Direction;
  readonly decoder: FrameDecoder;
  /** The cache record while this connection is in the client's cache. */
  record: ConnRecord<PeerConnection, Direction, string> | undefined;
  /** Whether a 'connect' event announced it (so its 'disconnect' is due). */
  announced = false;
  /** Set once the connection is being closed, with the reason. */
  closing: string | undefined;
  /** Frames read while the client's reading was paused, delivered on resume (R36). */
  readonly held: Buffer[] = [];
  /** A 'disconnect' held back until the socket closes (it was still flushing). */
  disconnectReason: string | undefined;
  /** Messages read from the peer on this connection (delivered or queued). */
  readFrames = 0;
  /** The client's timers: the hello, frame and linger timeouts run on them (tests inject fake ones). */
  readonly #timers: Timers;
  #helloTimer: unknown;
  #frameTimer: unknown;
  #lingerTimer: unknown;
  /** Resolves when the socket has closed ({@link CLOSED} once it has). */
  #closed: Promise<void> | undefined;
  #markClosed: (() => void) | undefined;

  constructor(direction: Direction, peerId: string | undefined, maxFrameBytes: number, timers: Timers = realTimers) {
    super(peerId);
    this.direction = direction;
    this.#timers = timers;
    this.decoder = new FrameDecoder({ maxFrameBytes });
  }

  /** Whether the connection can still carry frames (the cache's `prune()` asks this). */
  ping(): boolean {
    const socket = this.socket;
    return this.closing === undefined && (socket === undefined || (!socket.destroyed && socket.writable));
  }

  /** Resolves once the socket has closed (at once if it already has). */
  whenClosed(): Promise<void> {
    this.#closed ??= new Promise<void>((resolve) => {
      this.#markClosed = resolve;
    });
    return this.#closed;
  }

  /**
   * Arms (or pushes back) the stalled-frame timer while a partial frame is
   * buffered, and disarms it when none is: a connection idle between frames
   * costs nothing, one mid-frame gets `ms` from its last byte.
   */
  watchPartialFrame(ms: number, onStall: () => void): void {
    if (this.decoder.bufferedBytes === 0) {
      if (this.#frameTimer !== undefined) {
        this.#timers.clearTimeout(this.#frameTimer);
        this.#frameTimer = undefined;
      }
    } else if (this.#frameTimer === undefined) {
      this.#frameTimer = unref(this.#timers.setTimeout(onStall, ms));
    } else if (this.#timers === realTimers) {
      // A chunk of a large frame pushes the deadline back: refresh() is
      // cheaper than a new timer per chunk.
      (this.#frameTimer as NodeJS.Timeout).refresh();
    } else {
      this.#timers.clearTimeout(this.#frameTimer);
      this.#frameTimer = this.#timers.setTimeout(onStall, ms);
    }
  }

  startHelloTimer(ms: number, onTimeout: () => void): void {
    this.#helloTimer = unref(this.#timers.setTimeout(onTimeout, ms));
  }

  clearHelloTimer(): void {
    if (this.#helloTimer !== undefined) this.#timers.clearTimeout(this.#helloTimer);
    this.#helloTimer = undefined;
  }

  /**
   * Ends the connection gracefully: queued bytes are flushed, then FIN. If
   * the peer has not closed its side within `lingerMs`, the socket is
   * destroyed.
   */
  end(lingerMs: number): void {
    const socket = this.socket;
    if (socket === undefined || socket.destroyed) return;
    // Frames still queued here go first; the end follows the last of them.
    this.endWhenFlushed();
    if (this.#lingerTimer === undefined) {
      this.#lingerTimer = unref(
        this.#timers.setTimeout(() => {
          this.destroy(new ConnectionClosedError(`connection to ${this.peerId ?? 'a peer'} was not flushed within lingerMs (${lingerMs})`));
        }, lingerMs),
      );
    }
  }

  /** Releases timers; called once the socket has closed. */
  cleanup(): void {
    this.clearHelloTimer();
    if (this.#frameTimer !== undefined) this.#timers.clearTimeout(this.#frameTimer);
    this.#frameTimer = undefined;
    if (this.#lingerTimer !== undefined) this.#timers.clearTimeout(this.#lingerTimer);
    this.#lingerTimer = undefined;
    this.#markClosed?.();
    this.#markClosed = undefined;
    this.#closed = CLOSED;
  }
}
