import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { ConnectionClosedError, IpcmError } from './errors.js';

/** Most bytes copied into one write: a long queue leaves in batches of about this size. */
const BATCH_BYTES = 256 * 1024;

/**
 * Queued bytes that make a send check whether the write in flight has in
 * fact completed (the kernel took it at once), and if so let the queue out
 * now: a loop that never yields (each `await` on an accepted send is only a
 * microtask) still writes every ~64 KiB instead of holding everything.
 */
const FLUSH_BYTES = 64 * 1024;

/**
 * RAM a queued frame costs beyond its bytes (the Buffer object, its slot in
 * the queue, a waiting send's settlers): counted against `maxPendingBytes`
 * so the bound holds in real memory for tiny messages too (R35).
 */
export const FRAME_OVERHEAD_BYTES = 512;

/** How a send still waiting for its connection is settled. */
export interface Settler {
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
  /** Set when the send was cancelled (abort, timeout): its frame is skipped. */
  cancelled: boolean;
  /** Releases the send's timer and abort listener, if it has them. */
  release: (() => void) | undefined;
}

/** The frames of the one write the socket is working on. */
interface Batch {
  readonly bytes: number;
  /** Byte size of each frame in order; the hello is stored negated (not a message). */
  readonly sizes: number[];
  readonly charge: number;
}

/**
 * A send waiting for room on its connection (past `maxPendingBytes`). Its
 * content is encoded only when room comes, so waiting costs no frame.
 */
export interface Waiter {
  /** Encodes the message and hands it to the connection; throws if it cannot be encoded. */
  readonly admit: () => void;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
  /** Releases the waiter's timer and abort listener; set by whoever adds one. */
  release: (() => void) | undefined;
  settled: boolean;
}

/**
 * The writing half of a `PeerConnection`: frames accepted for the
 * peer, written one batch at a time, and an account of what reached the
 * kernel (R34). A base class rather than a member, so that a frame costs no
 * extra object or indirection on its way out.
 *
 * The socket works on one write at a time. A frame sent while it is idle
 * leaves at once (no added latency); frames sent while a write is in flight
 * queue here and leave together, copied into one buffer, when it completes
 * (a burst becomes one syscall). With at most one write inside the socket,
 * what reached the kernel is known at any moment.
 */
export class ConnectionWriter {
  /** The peer's id: the dialled id, or the id from the peer's hello. */
  peerId: string | undefined;
  socket: Duplex | undefined;
  /** False until an outbound connection is ready or an inbound one said hello. */
  ready = false;
  /** The error that ended the connection, if one did. */
  error: IpcmError | undefined;
  /** Messages accepted for this connection (written, queued or, at the end, unwritten). */
  sentFrames = 0;
  /** Bytes of those messages. */
  sentBytes = 0;
  /** Called when everything accepted has been written (the connection went idle). */
  onDrained: ((conn: this) => void) | undefined;
  /** Accepted messages that were never handed to the kernel (the connection died first). */
  unwritten = 0;
  /** Called when room frees up and sends are waiting. */
  onRoom: ((conn: this) => void) | undefined;
  /** RAM held for unwritten frames: bytes plus {@link FRAME_OVERHEAD_BYTES} each. */
  charge = 0;
  /** Frames accepted and not yet handed to the socket, oldest at #head. */
  #frames: Buffer[] = [];
  #head = 0;
  #queuedBytes = 0;
  /** Before the connection is ready: how each queued send is settled, in step with #frames. */
  #settlers: Settler[] = [];
  /** The hello, sent ahead of the queued frames once the connection is ready. */
  #hello: Buffer | undefined;
  /** Sends waiting for room, oldest at #waitHead. */
  #waiters: Waiter[] = [];
  #waitHead = 0;
  /** Waiters not settled yet (cancelled ones stay in the array until reached). */
  #waiting = 0;
  #batch: Batch | undefined;
  /** Writes retired before their callback ran (they completed synchronously): that many callbacks to skip. */
  #earlyDone = 0;
  /** endWhenFlushed() was called with frames still queued: the socket ends once they are written. */
  #ending = false;
  /** Set once the connection's end has been accounted: nothing more is written or counted. */
  #finished = false;
  readonly #afterWrite: (error?: Error | null) => void;

  constructor(peerId: string | undefined) {
    this.peerId = peerId;
    this.#afterWrite = (error) => this.#writeDone(error ?? undefined);
  }

  /** Bytes accepted for this connection and not yet handed to the kernel. */
  get pendingBytes(): number {
    return this.#queuedBytes + (this.#batch?.bytes ?? 0);
  }

  /** Whether everything accepted has reached the kernel (safe to evict). */
  get flushed(): boolean {
    return this.#batch === undefined && this.#head === this.#frames.length;
  }

  /** Sends waiting for room. */
  get waiting(): number {
    return this.#waiting;
  }

  /**
   * Accepts one frame. Ready: it leaves at once if the socket is idle, else
   * it queues for the next batch. Not ready: it queues with `settler`,
   * settled when the connection opens or fails.
   */
  push(frame: Buffer, settler?: Settler): void {
    this.sentFrames++;
    this.sentBytes += frame.length;
    this.charge += frame.length + FRAME_OVERHEAD_BYTES;
    if (this.#batch === undefined && this.ready && this.#head === this.#frames.length) {
      this.#batch = { bytes: frame.length, sizes: [frame.length], charge: frame.length + FRAME_OVERHEAD_BYTES };
      (this.socket as Socket).write(frame, this.#afterWrite);
      return;
    }
    this.#frames.push(frame);
    this.#queuedBytes += frame.length;
    if (!this.ready) {
      this.#settlers.push(settler ?? { resolve: noop, reject: noop, cancelled: false, release: undefined });
    } else if (this.#queuedBytes >= FLUSH_BYTES && this.#batch !== undefined && this.socket?.writableLength === 0) {
      // The write in flight completed synchronously; its callback, still
      // to come, is then ignored (callbacks run in order).
      this.charge -= this.#batch.charge;
      this.#batch = undefined;
      this.#earlyDone++;
      this.#writeBatch();
    }
  }

  /** Adds a send waiting for room; {@link onRoom} admits it later. */
  wait(waiter: Waiter): void {
    this.#waiters.push(waiter);
    this.#waiting++;
  }

  /** A waiting send was cancelled: it is skipped when reached. */
  withdraw(waiter: Waiter): void {
    if (waiter.settled) return;
    waiter.settled = true;
    this.#waiting--;
  }

  /** The oldest waiting send, taken off the queue (skipping settled ones), or undefined. */
  nextWaiter(): Waiter | undefined {
    while (this.#waitHead < this.#waiters.length) {
      const waiter = this.#waiters[this.#waitHead] as Waiter;
      this.#waiters[this.#waitHead++] = undefined as unknown as Waiter;
      if (this.#waitHead === this.#waiters.length) {
        this.#waiters = [];
        this.#waitHead = 0;
      }
      if (!waiter.settled) {
        this.#waiting--;
        return waiter;
      }
    }
    return undefined;
  }

  /** Cancels a send queued before the connection was ready: its frame will not be written. */
  cancel(settler: Settler): void {
    settler.cancelled = true;
  }

  /** The hello to write ahead of everything else when the connection opens. */
  setHello(frame: Buffer): void {
    this.#hello = frame;
  }

  /** Marks the connection ready: the hello and the queued frames leave, and their sends resolve. */
  open(): void {
    this.ready = true;
    const settlers = this.#settlers;
    this.#settlers = [];
    if (settlers.some((settler) => settler.cancelled)) {
      const frames = this.#frames;
      this.#frames = [];
      this.#queuedBytes = 0;
      for (let i = 0; i < frames.length; i++) {
        const frame = frames[i] as Buffer;
        if ((settlers[i] as Settler).cancelled) {
          this.sentFrames--;
          this.sentBytes -= frame.length;
          this.charge -= frame.length + FRAME_OVERHEAD_BYTES;
        } else {
          this.#frames.push(frame);
          this.#queuedBytes += frame.length;
        }
      }
    }
    if (this.#hello !== undefined || this.#head < this.#frames.length) this.#writeBatch();
    for (const settler of settlers) {
      if (settler.cancelled) continue;
      settler.release?.();
      settler.resolve();
    }
  }

  /**
   * The connection is ending (about to be destroyed, or closed): counts the
   * accepted frames that never reached the kernel as unwritten, rejects the
   * sends still waiting, and writes nothing more. Call it before
   * `socket.destroy()` when we destroy: at that moment the kernel's share of
   * the write in flight is still known. Returns the frames counted now.
   */
  finish(error: Error): number {
    if (this.#finished) return 0;
    this.#finished = true;
    let lost = 0;
    const settlers = this.#settlers;
    const frames = this.#frames;
    const head = this.#head;
    this.#settlers = [];
    // Ready: queued frames belong to resolved sends, so they are counted.
    // Not ready: each one's send is still waiting, and is rejected instead.
    if (this.ready) lost += this.#frames.length - this.#head;
    if (this.#batch !== undefined) lost += this.#unwrittenInBatch(this.#batch);
    this.#hello = undefined;
    this.#batch = undefined;
    this.#frames = [];
    this.#head = 0;
    this.#queuedBytes = 0;
    this.charge = 0;
    for (let i = 0; i < settlers.length; i++) {
      const settler = settlers[i] as Settler;
      if (settler.cancelled) continue;
      this.sentFrames--;
      this.sentBytes -= (frames[head + i] as Buffer).length;
      settler.release?.();
      settler.reject(this.#closedError(error));
    }
    for (let waiter = this.nextWaiter(); waiter !== undefined; waiter = this.nextWaiter()) {
      waiter.settled = true;
      waiter.release?.();
      waiter.reject(this.#closedError(error));
    }
    this.unwritten += lost;
    return lost;
  }

  /** True once {@link finish} has run: the connection takes no more frames. */
  get finished(): boolean {
    return this.#finished;
  }

  /** Destroys the socket without flushing, first counting what never reached the kernel (R34). */
  destroy(error: Error): void {
    this.finish(error);
    this.socket?.destroy();
  }

  /** Ends the socket once everything accepted is written: at once when nothing is left (or nothing more will be). */
  endWhenFlushed(): void {
    if (this.flushed || this.#finished) this.socket?.end();
    else this.#ending = true;
  }

  /** Frames of the write in flight that the kernel has not taken whole. */
  #unwrittenInBatch(batch: Batch): number {
    const socket = this.socket;
    let remaining = batch.bytes;
    if (socket !== undefined && !socket.destroyed) {
      // The socket holds only this write: if its length is 0 the write
      // completed (its callback may still be pending); else libuv reports
      // how many of its bytes are still queued.
      if (socket.writableLength === 0) return 0;
      const handle = (socket as unknown as { _handle?: { writeQueueSize?: unknown } })._handle;
      if (typeof handle?.writeQueueSize === 'number') remaining = Math.min(handle.writeQueueSize, batch.bytes);
    }
    let written = batch.bytes - remaining;
    let lost = 0;
    for (const signed of batch.sizes) {
      const size = Math.abs(signed);
      if (written >= size) {
        written -= size;
      } else {
        written = 0;
        if (signed > 0) lost++;
      }
    }
    return lost;
  }

  /** Hands the socket the next batch: the hello if due, then queued frames up to {@link BATCH_BYTES}. */
  #writeBatch(): void {
    const frames = this.#frames;
    const sizes: number[] = [];
    const parts: Buffer[] = [];
    let bytes = 0;
    let charge = 0;
    let helloBytes = 0;
    if (this.#hello !== undefined) {
      helloBytes = this.#hello.length;
      parts.push(this.#hello);
      sizes.push(-helloBytes);
      bytes += helloBytes;
      this.#hello = undefined;
    }
    while (this.#head < frames.length && (bytes === 0 || bytes + (frames[this.#head] as Buffer).length <= BATCH_BYTES)) {
      const frame = frames[this.#head] as Buffer;
      frames[this.#head++] = EMPTY;
      parts.push(frame);
      sizes.push(frame.length);
      bytes += frame.length;
      charge += frame.length + FRAME_OVERHEAD_BYTES;
    }
    if (this.#head === frames.length) {
      this.#frames = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > frames.length) {
      this.#frames = frames.slice(this.#head);
      this.#head = 0;
    }
    this.#queuedBytes -= bytes - helloBytes;
    this.#batch = { bytes, sizes, charge };
    (this.socket as Socket).write(parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, bytes), this.#afterWrite);
  }

  #writeDone(error: Error | undefined): void {
    if (this.#earlyDone > 0) {
      this.#earlyDone--;
      return;
    }
    const batch = this.#batch;
    if (batch === undefined || this.#finished) return;
    // Node completes a write that destroy() cancelled without an error: a
    // write is done only if the socket was still alive to finish it.
    if (error !== undefined || this.socket?.destroyed === true) {
      this.finish(error ?? this.error ?? new Error('the connection was destroyed first'));
      return;
    }
    this.#batch = undefined;
    this.charge -= batch.charge;
    if (this.#head < this.#frames.length) this.#writeBatch();
    else if (this.#ending) this.socket?.end();
    else this.onDrained?.(this);
    if (this.#waitHead < this.#waiters.length) this.onRoom?.(this);
  }

  /** A coded error as it is (the client closed, the dial failed...), else a closed-connection error with the cause. */
  #closedError(cause: Error): Error {
    if (cause instanceof IpcmError) return cause;
    return new ConnectionClosedError(
      `connection to ${this.peerId ?? 'an unidentified peer'} closed before the frame was written (${cause.message})`,
      { cause },
    );
  }
}

const EMPTY = Buffer.alloc(0);

function noop(): void {}
