import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';

/** What every benchmark message carries. */
export interface Content {
  seq: number;
  text: string;
}

/**
 * A message of IPC::Manager's shape, as the bare baseline builds it; `C` is
 * {@link Content}, or in the request/response trial a request or response
 * wrapping one.
 */
export interface BareMessage<C = Content> {
  id: string;
  stamp: number;
  stamp_ord: number;
  from: string;
  content: C;
  to: string;
}

/** IPC::Manager's request content, as the bare request/response baseline builds it. */
export interface RequestWire {
  ipcm_request_id: string;
  request: Content;
}

/** IPC::Manager's response content, as the bare baseline builds it. */
export interface ResponseWire {
  ipcm_response_id: string;
  response: Content;
}

/** Peer ids: short, so the messages stay small. */
export const PARENT_ID = 'p';
export const CHILD_ID = 'c';
export const TEXT = 'hi';

/**
 * A `text` of exactly `bytes` ASCII characters for the message-size sweep:
 * letters and digits in a fixed pseudo-random order (the same for every
 * implementation and run), nothing JSON must escape, so `bytes` is also
 * what it adds to the JSON.
 */
export function textOfSize(bytes: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  let state = 0x9e3779b9;
  let text = '';
  for (let i = 0; i < bytes; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    text += alphabet[(state >>> 16) % alphabet.length];
  }
  return text;
}

/**
 * Milliseconds on the system-wide monotonic clock (CLOCK_MONOTONIC, via
 * `process.hrtime`), so times taken in two processes of one machine can be
 * subtracted: a one-way trial runs from the sender's mark to the receiver's
 * last message. (`performance.now()` counts from each process's own start.)
 */
export function sharedNow(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

let stampOrd = 0;
// Ids as cheap as @ipcm's (a per-process random prefix and a counter, no
// random bytes per message; @ipcm's are monotonic UUIDv7s), still 36
// characters of UUID shape.
const ID_PREFIX = randomUUID().slice(0, 24);
let idCounter = 0;

/**
 * A fresh message, built the way @ipcm's `createMessage` builds one (a new
 * UUID-shaped id from a per-process prefix and counter, an epoch-seconds
 * stamp, a per-process counter), but written here so the baseline does not
 * move when @ipcm changes. Keys in @ipcm's order, so the frames are byte for
 * byte the same size.
 */
export function bareMessage<C = Content>(from: string, to: string, content: C): BareMessage<C> {
  const id = ID_PREFIX + (idCounter++).toString(16).padStart(12, '0');
  return { id, stamp: Date.now() / 1000, stamp_ord: stampOrd++, from, content, to };
}

/** `JSON.stringify`, then a 4-byte big-endian length and the bytes, in one buffer. */
export function encodeBareFrame(message: BareMessage<unknown>): Buffer {
  const json = JSON.stringify(message);
  const bytes = Buffer.byteLength(json);
  const frame = Buffer.allocUnsafe(4 + bytes);
  frame.writeUInt32BE(bytes, 0);
  frame.write(json, 4);
  return frame;
}

/** The simplest length-prefix parser: buffer what is left over, cut frames, `JSON.parse` each. */
export function bareFrameParser(onMessage: (message: BareMessage) => void): (chunk: Buffer) => void {
  let rest: Buffer | null = null;
  return (chunk) => {
    const buf: Buffer = rest === null ? chunk : Buffer.concat([rest, chunk]);
    let pos = 0;
    while (buf.length - pos >= 4) {
      const size = buf.readUInt32BE(pos);
      if (buf.length - pos - 4 < size) break;
      onMessage(JSON.parse(buf.toString('utf8', pos + 4, pos + 4 + size)) as BareMessage);
      pos += 4 + size;
    }
    rest = pos === buf.length ? null : buf.subarray(pos);
  };
}

/**
 * Writes frames to a socket, one `socket.write` each. With `corkPerTick`, the
 * first write of an event-loop turn corks the socket and the next tick
 * uncorks it, so a burst leaves in one `writev` (what @ipcm does).
 */
export class FrameWriter {
  readonly #socket: Socket;
  readonly #corkPerTick: boolean;
  #corked = false;

  constructor(socket: Socket, corkPerTick: boolean) {
    this.#socket = socket;
    this.#corkPerTick = corkPerTick;
  }

  /** Returns false when the caller should wait for `'drain'` (backpressure). */
  write(frame: Buffer): boolean {
    if (this.#corkPerTick && !this.#corked) {
      this.#corked = true;
      this.#socket.cork();
      process.nextTick(() => {
        this.#corked = false;
        this.#socket.uncork();
      });
    }
    return this.#socket.write(frame);
  }
}
