import type { Socket } from 'node:net';
import type { ConnRecord } from '@ipcm/conncache';
import { FrameDecoder } from './frame-decoder.js';
import { ConnectionClosedError, type IpcmError } from './errors.js';

/** Who opened a connection: we dialled it (`'outbound'`) or accepted it (`'inbound'`). */
export type Direction = 'outbound' | 'inbound';

/** Bytes a burst may queue in one corked batch before it is let out. */
const UNCORK_BYTES = 64 * 1024;

/** A frame waiting for its connection to become ready. */
interface QueuedWrite {
  readonly frame: Buffer;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/**
 * One connection to one peer, as the engine sees it. The engine owns all
 * the policy; this object only holds per-connection state and does the
 * corked writing, so the hot path (one send) is a few field updates and one
 * `socket.write`.
 */
export class PeerConnection {
  readonly direction: Direction;
  /** The peer's id: the dialled id, or the id from the peer's hello. */
  peerId: string | undefined;
  socket: Socket | undefined;
  readonly decoder: FrameDecoder;
  /** The cache record while this connection is in the client's cache. */
  record: ConnRecord<PeerConnection, Direction, string> | undefined;
  /** False until an outbound connection is ready or an inbound one said hello. */
  ready = false;
  /** Whether a 'connect' event announced it (so its 'disconnect' is due). */
  announced = false;
  /** Set once the connection is being closed, with the reason. */
  closing: string | undefined;
  /** The error that ended the connection, if one did. */
  error: IpcmError | undefined;
  /** Frames read while the client's reading was paused, delivered on resume (R36). */
  readonly held: Buffer[] = [];
  /** Frames handed to `socket.write` whose callback has not run yet. */
  inFlight = 0;
  /** Called with the size of each frame once it has been handed to the kernel. */
  written: ((bytes: number) => void) | undefined;
  /** Frames queued before the connection was ready, and their byte count. */
  #queue: QueuedWrite[] = [];
  #queuedBytes = 0;
  /** A frame has been written in this event-loop turn. */
  #inTurn = false;
  /** Later frames of this turn are corked, to leave together at its end. */
  #corked = false;
  /** Bytes written since the socket was corked. */
  #corkedBytes = 0;
  #helloTimer: NodeJS.Timeout | undefined;
  #frameTimer: NodeJS.Timeout | undefined;
  #lingerTimer: NodeJS.Timeout | undefined;
  #closed: Promise<void> | undefined;
  #markClosed: (() => void) | undefined;
  #isClosed = false;

  constructor(direction: Direction, peerId: string | undefined, maxFrameBytes: number) {
    this.direction = direction;
    this.peerId = peerId;
    this.decoder = new FrameDecoder({ maxFrameBytes });
  }

  /** Bytes accepted for this connection and not yet handed to the kernel. */
  get pendingBytes(): number {
    return this.#queuedBytes + (this.socket?.writableLength ?? 0);
  }

  /** Whether everything written has reached the kernel (safe to evict). */
  get flushed(): boolean {
    return this.inFlight === 0 && this.#queue.length === 0 && (this.socket?.writableLength ?? 0) === 0;
  }

  /** Whether the connection can still carry frames (the cache's `prune()` asks this). */
  ping(): boolean {
    const socket = this.socket;
    return this.closing === undefined && (socket === undefined || (!socket.destroyed && socket.writable));
  }

  /** Resolves once the socket has closed (at once if it already has). */
  whenClosed(): Promise<void> {
    if (this.#isClosed) return Promise.resolve();
    this.#closed ??= new Promise<void>((resolve) => {
      this.#markClosed = resolve;
    });
    return this.#closed;
  }

  /**
   * Writes one frame, or queues it until the connection is ready. The first
   * frame of an event-loop turn leaves at once; the rest of the turn's are
   * corked and leave together (in batches of about 64 KiB) on the next tick.
   */
  write(frame: Buffer, resolve: () => void, reject: (error: Error) => void): void {
    if (!this.ready) {
      this.#queue.push({ frame, resolve, reject });
      this.#queuedBytes += frame.length;
      return;
    }
    this.#writeNow(frame, resolve, reject);
  }

  /** Writes a frame ahead of the queue (the hello), with no completion callback. */
  writeFirst(frame: Buffer): void {
    this.#beforeWrite();
    (this.socket as Socket).write(frame);
  }

  /** Marks the connection ready and writes what was queued, in order. */
  open(): void {
    this.ready = true;
    const queued = this.#queue;
    this.#queue = [];
    this.#queuedBytes = 0;
    for (const { frame, resolve, reject } of queued) this.#writeNow(frame, resolve, reject);
  }

  /** Rejects everything still queued (the connection never became ready). */
  failQueued(error: Error): void {
    const queued = this.#queue;
    this.#queue = [];
    this.#queuedBytes = 0;
    for (const { reject } of queued) reject(error);
  }

  /**
   * Arms (or pushes back) the stalled-frame timer while a partial frame is
   * buffered, and disarms it when none is: a connection idle between frames
   * costs nothing, one mid-frame gets `ms` from its last byte.
   */
  watchPartialFrame(ms: number, onStall: () => void): void {
    if (this.decoder.bufferedBytes === 0) {
      if (this.#frameTimer !== undefined) {
        clearTimeout(this.#frameTimer);
        this.#frameTimer = undefined;
      }
    } else if (this.#frameTimer === undefined) {
      this.#frameTimer = setTimeout(onStall, ms);
      this.#frameTimer.unref();
    } else {
      this.#frameTimer.refresh();
    }
  }

  startHelloTimer(ms: number, onTimeout: () => void): void {
    this.#helloTimer = setTimeout(onTimeout, ms);
    this.#helloTimer.unref();
  }

  clearHelloTimer(): void {
    if (this.#helloTimer !== undefined) clearTimeout(this.#helloTimer);
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
    socket.end();
    if (this.#lingerTimer === undefined) {
      this.#lingerTimer = setTimeout(() => socket.destroy(), lingerMs);
      this.#lingerTimer.unref();
    }
  }

  /** Releases timers; called once the socket has closed. */
  cleanup(): void {
    this.clearHelloTimer();
    if (this.#frameTimer !== undefined) clearTimeout(this.#frameTimer);
    this.#frameTimer = undefined;
    if (this.#lingerTimer !== undefined) clearTimeout(this.#lingerTimer);
    this.#lingerTimer = undefined;
    this.#isClosed = true;
    this.#markClosed?.();
  }

  #writeNow(frame: Buffer, resolve: () => void, reject: (error: Error) => void): void {
    this.#beforeWrite();
    this.inFlight++;
    const socket = this.socket as Socket;
    socket.write(frame, (error) => {
      this.inFlight--;
      // Node completes writes that destroy() cancelled without an error:
      // a frame is "sent" only if the socket was still alive to send it.
      if (error || socket.destroyed) {
        reject(this.#closedError(error ?? this.error ?? new Error('the connection was destroyed first')));
      } else {
        this.written?.(frame.length);
        resolve();
      }
    });
    if (!this.#corked) return;
    // A huge burst in one turn would otherwise become one giant writev and
    // hold every frame until all of them are copied: let it out in batches.
    this.#corkedBytes += frame.length;
    if (this.#corkedBytes >= UNCORK_BYTES) {
      this.#corkedBytes = 0;
      socket.uncork();
      socket.cork();
    }
  }

  #closedError(cause: Error): ConnectionClosedError {
    return new ConnectionClosedError(
      `connection to ${this.peerId ?? 'an unidentified peer'} closed before the frame was written (${cause.message})`,
      { cause },
    );
  }

  /**
   * The first frame of an event-loop turn goes straight out (no added
   * latency for a lone message); the ones after it in the same turn are
   * corked and leave together when the turn ends (one writev for a burst).
   */
  #beforeWrite(): void {
    if (this.#corked) return;
    if (!this.#inTurn) {
      this.#inTurn = true;
      process.nextTick(endTurn, this);
      return;
    }
    this.#corked = true;
    this.#corkedBytes = 0;
    (this.socket as Socket).cork();
  }

  /** @internal Called at the end of the turn in which this connection wrote. */
  endTurn(): void {
    this.#inTurn = false;
    if (!this.#corked) return;
    this.#corked = false;
    this.socket?.uncork();
  }
}

function endTurn(connection: PeerConnection): void {
  connection.endTurn();
}
