import { FrameTooLargeError, TruncatedFrameError } from './errors.js';
import { FRAME_HEADER_BYTES, MAX_FRAME_PAYLOAD_BYTES } from './frame-encoder.js';

/** A frame spanning chunks starts with a buffer this large (or its length, if smaller). */
const INITIAL_FRAME_BYTES = 64 * 1024;

/** Default {@link FrameDecoderOptions.maxFrameBytes}: 64 MiB. */
export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024 * 1024;

/** Options of {@link FrameDecoder}. */
export interface FrameDecoderOptions {
  /**
   * Largest payload accepted, in bytes. A frame whose length header is larger
   * fails with {@link FrameTooLargeError} as soon as the 4 header bytes are
   * in, before any of its payload is buffered; a frame of exactly this size
   * is accepted. A positive integer up to 0xFFFFFFFF.
   * @default 67108864 (64 MiB)
   */
  maxFrameBytes?: number | undefined;
}

/** Receives each complete frame's payload, in stream order. */
export type FrameHandler = (payload: Buffer) => void;

const OPEN = 0;
const DECODING = 1;
const FAILED = 2;
const CLOSED = 3;
type State = typeof OPEN | typeof DECODING | typeof FAILED | typeof CLOSED;

function checkMaxFrameBytes(value: unknown): number {
  if (value === undefined) return DEFAULT_MAX_FRAME_BYTES;
  if (typeof value !== 'number') {
    throw new TypeError(`maxFrameBytes must be a number, got ${typeof value} (${String(value)})`);
  }
  if (!Number.isSafeInteger(value) || value <= 0 || value > MAX_FRAME_PAYLOAD_BYTES) {
    throw new RangeError(
      `maxFrameBytes must be an integer from 1 to ${MAX_FRAME_PAYLOAD_BYTES}, got ${String(value)}`,
    );
  }
  return value;
}

/**
 * Splits a byte stream into frames: a 4-byte big-endian unsigned length N,
 * then N payload bytes.
 *
 * - Frames lying wholly inside one chunk are delivered as `subarray` views of
 *   that chunk (no copy), so a payload keeps its chunk alive while it is
 *   referenced, and the chunk must not be modified after it is fed in. A frame
 *   that spans chunks is copied into one buffer that grows (doubling) with
 *   the bytes that arrive, never past the header's length: what a peer
 *   announces costs nothing until it is sent.
 * - A zero-length frame yields an empty payload (the message layer then
 *   reports it as bad JSON).
 * - Too large is decided from the header alone; at most
 *   `4 + maxFrameBytes` bytes are ever held ({@link bufferedBytes}).
 * - After an error the decoder is dead: it frees its buffer and every later
 *   {@link decode}/{@link push} throws the same error again. After
 *   {@link end} or {@link destroy} they throw a plain `Error`.
 *
 * @example
 * ```ts
 * const decoder = new FrameDecoder({ maxFrameBytes: 1 << 20 });
 * socket.on('data', (chunk: Buffer) => {
 *   try {
 *     decoder.decode(chunk, (payload) => handle(payload));
 *   } catch (err) {
 *     socket.destroy(err as Error); // FrameTooLargeError
 *   }
 * });
 * socket.on('end', () => decoder.end()); // throws TruncatedFrameError mid-frame
 * ```
 */
export class FrameDecoder {
  #maxFrameBytes: number;
  /**
   * Header bytes of the next frame when a chunk ended inside them. Made on
   * first use: most connections never split a header, and a client may hold
   * thousands of decoders.
   */
  #header: Buffer | null = null;
  #headerFill = 0;
  /**
   * The frame being assembled across chunks, and its announced length. The
   * buffer grows (doubling) with what actually arrives, up to that length:
   * a peer that announces a large frame and sends little of it holds little.
   */
  #frame: Buffer | null = null;
  #frameFill = 0;
  #frameSize = 0;
  #state: State = OPEN;
  #error: unknown = undefined;

  constructor(options: FrameDecoderOptions = {}) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`FrameDecoder options must be an object, got ${String(options)}`);
    }
    this.#maxFrameBytes = checkMaxFrameBytes(options.maxFrameBytes);
  }

  /**
   * The largest payload accepted, in bytes. It may be changed at any time,
   * even from inside `onFrame`: the new limit applies from the next header
   * read (a client accepts only a small first frame, the hello, then raises
   * it).
   */
  get maxFrameBytes(): number {
    return this.#maxFrameBytes;
  }

  set maxFrameBytes(value: number) {
    this.#maxFrameBytes = checkMaxFrameBytes(value);
  }

  /**
   * Bytes of an incomplete frame received and held (its header included);
   * 0 between frames. Never more than `4 + maxFrameBytes`. A caller can use
   * `bufferedBytes > 0` to tell that a partial frame is pending (frame timeout).
   */
  get bufferedBytes(): number {
    return this.#frame === null ? this.#headerFill : FRAME_HEADER_BYTES + this.#frameFill;
  }

  /** True once {@link end} or {@link destroy} was called, or an error killed the decoder. */
  get closed(): boolean {
    return this.#state === FAILED || this.#state === CLOSED;
  }

  /**
   * Feeds one chunk and calls `onFrame` synchronously for every frame it
   * completes, in order. This is the hot path: no array per chunk, and the
   * frames before a bad header are delivered before the error is thrown.
   *
   * If `onFrame` calls {@link destroy}, decoding stops at once (the rest of
   * the chunk is dropped). If `onFrame` throws, the decoder dies with that
   * error and it propagates.
   *
   * @throws {@link FrameTooLargeError} when a header announces more than `maxFrameBytes`.
   * @example
   * ```ts
   * decoder.decode(chunk, (payload) => queue.push(jsonSerializer.decode(payload)));
   * ```
   */
  decode(chunk: Buffer, onFrame: FrameHandler): void {
    if (this.#state !== OPEN) this.#throwUnusable();
    this.#state = DECODING;
    try {
      this.#consume(chunk, onFrame);
    } catch (err) {
      this.#fail(err);
      throw err;
    }
    if (this.#state === DECODING) this.#state = OPEN;
  }

  /**
   * Feeds one chunk and returns the payloads it completes, in order. Simpler
   * than {@link decode} but allocates an array per chunk, and when the chunk
   * holds good frames followed by a bad header it throws without returning
   * the good ones; use {@link decode} where that matters.
   *
   * @throws {@link FrameTooLargeError} when a header announces more than `maxFrameBytes`.
   * @example
   * ```ts
   * for (const payload of decoder.push(chunk)) handle(payload);
   * ```
   */
  push(chunk: Buffer): Buffer[] {
    const frames: Buffer[] = [];
    this.decode(chunk, (payload) => {
      frames.push(payload);
    });
    return frames;
  }

  /**
   * Declares the end of the stream and frees the buffer. Does nothing when
   * the decoder is already dead or closed (its error, if any, was thrown).
   *
   * @throws {@link TruncatedFrameError} when the stream ended inside a frame or its header.
   * @example
   * ```ts
   * socket.on('end', () => {
   *   try { decoder.end(); } catch (err) { report(err); }
   * });
   * ```
   */
  end(): void {
    if (this.#state === DECODING) throw new Error('FrameDecoder.end() called from inside decode()');
    if (this.#state !== OPEN) return;
    const frame = this.#frame;
    const frameFill = this.#frameFill;
    const frameSize = this.#frameSize;
    const headerFill = this.#headerFill;
    this.#release();
    this.#state = CLOSED;
    if (frame !== null) {
      throw new TruncatedFrameError(
        `stream ended inside a frame: ${frameFill} of ${frameSize} payload bytes received`,
      );
    }
    if (headerFill !== 0) {
      throw new TruncatedFrameError(
        `stream ended inside a frame header: ${headerFill} of ${FRAME_HEADER_BYTES} header bytes received`,
      );
    }
  }

  /**
   * Frees the buffer and closes the decoder without checking for a partial
   * frame (for a connection torn down for another reason). Idempotent; may be
   * called from inside `onFrame` to stop decoding the current chunk.
   */
  destroy(): void {
    this.#release();
    this.#state = CLOSED;
  }

  #consume(chunk: Buffer, onFrame: FrameHandler): void {
    const length = chunk.length;
    let pos = 0;

    if (this.#frame !== null) {
      const fill = this.#frameFill;
      const size = this.#frameSize;
      const n = Math.min(size - fill, length);
      const frame = this.#reserve(fill + n);
      chunk.copy(frame, fill, 0, n);
      if (fill + n < size) {
        this.#frameFill = fill + n;
        return;
      }
      this.#frame = null;
      this.#frameFill = 0;
      pos = n;
      onFrame(frame);
      if (this.#state !== DECODING) return;
    } else if (this.#headerFill !== 0) {
      const fill = this.#headerFill;
      const n = Math.min(FRAME_HEADER_BYTES - fill, length);
      const header = this.#header as Buffer; // allocated when headerFill became non-zero
      chunk.copy(header, fill, 0, n);
      if (fill + n < FRAME_HEADER_BYTES) {
        this.#headerFill = fill + n;
        return;
      }
      this.#headerFill = 0;
      pos = n;
      const size = header.readUInt32BE(0);
      if (size > this.#maxFrameBytes) this.#tooLarge(size);
      if (length - pos < size) {
        this.#startFrame(chunk, pos, size);
        return;
      }
      const start = pos;
      pos += size;
      onFrame(chunk.subarray(start, pos));
      if (this.#state !== DECODING) return;
    }

    while (length - pos >= FRAME_HEADER_BYTES) {
      const size = chunk.readUInt32BE(pos);
      if (size > this.#maxFrameBytes) this.#tooLarge(size);
      const start = pos + FRAME_HEADER_BYTES;
      if (length - start < size) {
        this.#startFrame(chunk, start, size);
        return;
      }
      pos = start + size;
      onFrame(chunk.subarray(start, pos));
      if (this.#state !== DECODING) return;
    }

    if (pos < length) {
      chunk.copy((this.#header ??= Buffer.alloc(FRAME_HEADER_BYTES)), 0, pos, length);
      this.#headerFill = length - pos;
    }
  }

  #startFrame(chunk: Buffer, start: number, size: number): void {
    const received = chunk.length - start;
    // Unsafe is fine: every byte is overwritten before the frame is delivered.
    const frame = Buffer.allocUnsafe(Math.min(size, Math.max(INITIAL_FRAME_BYTES, 2 * received)));
    this.#frameFill = chunk.copy(frame, 0, start, chunk.length);
    this.#frameSize = size;
    this.#frame = frame;
  }

  /** The frame buffer, grown if needed to hold `needed` bytes (at most the frame's length). */
  #reserve(needed: number): Buffer {
    const frame = this.#frame as Buffer;
    if (needed <= frame.length) return frame;
    const grown = Buffer.allocUnsafe(Math.min(this.#frameSize, Math.max(needed, 2 * frame.length)));
    frame.copy(grown, 0, 0, this.#frameFill);
    this.#frame = grown;
    return grown;
  }

  #tooLarge(size: number): never {
    throw new FrameTooLargeError(
      `frame length ${size} exceeds maxFrameBytes (${this.#maxFrameBytes})`,
    );
  }

  #fail(err: unknown): void {
    this.#release();
    // A destroy() from inside onFrame wins over an error thrown after it.
    if (this.#state === CLOSED) return;
    this.#state = FAILED;
    this.#error = err;
  }

  #release(): void {
    this.#frame = null;
    this.#frameFill = 0;
    this.#frameSize = 0;
    this.#headerFill = 0;
  }

  #throwUnusable(): never {
    if (this.#state === FAILED) throw this.#error;
    if (this.#state === DECODING) throw new Error('FrameDecoder.decode() called from inside decode()');
    throw new Error('FrameDecoder is closed (end() or destroy() was called)');
  }
}
