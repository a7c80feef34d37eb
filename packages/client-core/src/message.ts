import { BadHelloError, BadMessageError, InvalidIdError } from './errors.js';
import { decodePayload, encodeValueFrame, jsonSerializer } from './serializer.js';
import type { Serializer } from './serializer.js';
import { createUuidV7Generator } from './uuid.js';

/**
 * A message as it travels on the wire (IPC::Manager's shape). Keys other than
 * the ones below are kept as received.
 *
 * A message that came from a peer may hold an own property named
 * `__proto__` (JSON.parse makes it a plain data property, not a prototype
 * change). It is harmless as is; copy messages with spread or
 * `structuredClone`, never `Object.assign` or key-by-key assignment, which
 * would turn it into a prototype change on the copy.
 */
export interface Message<C = unknown> {
  /** Unique id (a UUID string). */
  id: string;
  /** When it was created, in epoch **seconds** (a float). */
  stamp: number;
  /** Tie-breaker between messages of one sender with equal stamps. */
  stamp_ord: number;
  /** The sender's peer id. */
  from: string;
  /** The recipient's peer id. */
  to?: string;
  /** Present and true on messages sent as part of a broadcast. */
  broadcast?: boolean;
  /** The payload: any JSON value. */
  content: C;
  [extra: string]: unknown;
}

/** What the caller supplies to {@link createMessage}. */
export interface MessageInit<C = unknown> {
  from: string;
  to?: string | undefined;
  broadcast?: boolean | undefined;
  /** Required; `undefined` has no JSON form (use `null` for "nothing"). */
  content: C;
}

/** Wall clock for message stamps, in epoch **milliseconds** (like `Date.now()`). */
export interface MessageClock {
  now(): number;
}

/** The default {@link MessageClock}: `Date.now()`, read at each call. */
export const systemClock: MessageClock = {
  now: () => Date.now(),
};

let nextStampOrd = 0;

/** The process's message ids: one monotonic UUIDv7 sequence (see uuid.ts). */
const messageIds = createUuidV7Generator();

/**
 * Builds a new message: a fresh `id`, `stamp` from `clock` in epoch
 * seconds, and `stamp_ord` from a per-process counter that starts at 0,
 * increases by one for every message created and never resets, so messages of
 * one process order totally by `(stamp, stamp_ord)` even when the clock
 * resolution (1 ms) gives equal stamps.
 *
 * The `id` is a UUIDv7 (as IPC::Manager's) from one per-process sequence:
 * its 48-bit timestamp is the same clock reading as `stamp` (never going
 * back: a clock that stands still or steps back keeps the last one), then a
 * 42-bit counter seeded randomly at start-up and 32 random bits fixed per
 * process, so ids of one process are unique and strictly increasing as
 * strings.
 *
 * The peer ids are not validated here (the client validates its own id and the
 * recipient's once, not per message).
 *
 * @throws TypeError when `content` is `undefined`.
 * @example
 * ```ts
 * const msg = createMessage({ from: 'alice', to: 'bob', content: { text: 'hi' } });
 * socket.write(encodeMessageFrame(msg));
 * ```
 */
export function createMessage<C>(init: MessageInit<C>, clock: MessageClock = systemClock): Message<C> {
  if (init.content === undefined) {
    throw new TypeError('message content is required (undefined has no JSON form; use null)');
  }
  const stampOrd = nextStampOrd;
  nextStampOrd = nextStampOrd === Number.MAX_SAFE_INTEGER ? 0 : nextStampOrd + 1;
  const nowMs = clock.now();
  const message: Message<C> = {
    id: messageIds.next(nowMs),
    stamp: nowMs / 1000,
    stamp_ord: stampOrd,
    from: init.from,
    content: init.content,
  };
  if (init.to !== undefined) message.to = init.to;
  if (init.broadcast !== undefined) message.broadcast = init.broadcast;
  return message;
}

/** The connection a message arrived on, for {@link validateMessage}. */
export interface ValidateMessageOptions {
  /** Our own peer id: a message's `to`, when present, must equal it (unless it is a broadcast). */
  self: string;
  /**
   * The id of the peer at the other end of the connection (from its hello,
   * or the id we connected to): a message's `from` must equal it.
   */
  helloId: string;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'a non-plain object';
  return `a ${typeof value}`;
}

/** A peer-supplied value for an error message: JSON, cut short. */
function show(value: unknown): string {
  const json = JSON.stringify(value) as string | undefined;
  if (json === undefined) return String(value);
  return json.length > 64 ? `${json.slice(0, 61)}...` : json;
}

/**
 * Checks that a decoded value is a message for us from the peer on this
 * connection, and returns it typed (the same object; unknown keys kept).
 *
 * Requires a plain object with string `id`, number `stamp` and `stamp_ord`,
 * string `from` equal to `helloId`, an own `content` key (any value), `to`
 * absent or a string equal to `self` (any string when `broadcast` is true),
 * and `broadcast` absent or a boolean; no top-level `__proto__` key.
 *
 * @throws {@link BadMessageError} naming the first rule broken.
 * @example
 * ```ts
 * const msg = validateMessage(jsonSerializer.decode(payload), { self: 'alice', helloId: 'bob' });
 * ```
 */
export function validateMessage(value: unknown, options: ValidateMessageOptions): Message {
  if (!isPlainObject(value)) {
    throw new BadMessageError(`message is ${describe(value)}, not a JSON object`);
  }
  // JSON.parse makes "__proto__" an own key, harmless in itself, but a
  // message carrying one is crafted: code that copies it with assignment or
  // a naive merge would change a prototype. Refuse it at the door (R2).
  if (Object.hasOwn(value, '__proto__')) {
    throw new BadMessageError('message has a "__proto__" key');
  }
  const from = value['from'];
  if (typeof from !== 'string') {
    throw new BadMessageError(
      from === undefined ? 'message has no "from"' : `message "from" is ${describe(from)}, not a string`,
    );
  }
  if (!Object.hasOwn(value, 'content')) {
    throw new BadMessageError('message has no "content"');
  }
  if (typeof value['id'] !== 'string') {
    throw new BadMessageError(`message "id" is ${describe(value['id'])}, not a string`);
  }
  if (typeof value['stamp'] !== 'number') {
    throw new BadMessageError(`message "stamp" is ${describe(value['stamp'])}, not a number`);
  }
  if (typeof value['stamp_ord'] !== 'number') {
    throw new BadMessageError(`message "stamp_ord" is ${describe(value['stamp_ord'])}, not a number`);
  }
  const broadcast = value['broadcast'];
  if (broadcast !== undefined && typeof broadcast !== 'boolean') {
    throw new BadMessageError(`message "broadcast" is ${describe(broadcast)}, not a boolean`);
  }
  const to = value['to'];
  if (to !== undefined) {
    if (typeof to !== 'string') {
      throw new BadMessageError(`message "to" is ${describe(to)}, not a string`);
    }
    if (to !== options.self && broadcast !== true) {
      throw new BadMessageError(`message is addressed to ${show(to)}, not to us (${show(options.self)})`);
    }
  }
  if (from !== options.helloId) {
    throw new BadMessageError(
      `message "from" is ${show(from)} but the connection belongs to ${show(options.helloId)}`,
    );
  }
  return value as Message;
}

/** Options of {@link decodeMessage}: the connection, and the serializer. */
export interface DecodeMessageOptions extends ValidateMessageOptions {
  /** @default jsonSerializer */
  serializer?: Serializer | undefined;
}

/**
 * Decodes and validates one frame payload: the receive hot path.
 *
 * @throws {@link BadJsonError} when the payload does not decode (bad UTF-8 or JSON).
 * @throws {@link BadMessageError} when it is not a valid message (see {@link validateMessage}).
 * @example
 * ```ts
 * decoder.decode(chunk, (payload) => {
 *   queue.push(decodeMessage(payload, { self: 'alice', helloId: 'bob' }));
 * });
 * ```
 */
export function decodeMessage(payload: Buffer, options: DecodeMessageOptions): Message {
  return validateMessage(decodePayload(payload, options.serializer ?? jsonSerializer), options);
}

/**
 * Encodes a message into a whole frame (header and payload, one allocation
 * with the JSON serializer), ready to write to a socket. It does not check
 * the size against the receiver's `maxFrameBytes`; the caller does.
 *
 * @example
 * ```ts
 * socket.write(encodeMessageFrame(createMessage({ from: 'alice', to: 'bob', content: 42 })));
 * ```
 */
export function encodeMessageFrame(message: Message, serializer: Serializer = jsonSerializer): Buffer {
  return encodeValueFrame(message, serializer);
}

// ---- peer ids and the hello ------------------------------------------------

/** Longest peer id accepted, in bytes of UTF-8. */
export const MAX_PEER_ID_BYTES = 1024;

// With the `u` flag, [\ud800-\udfff] matches only lone surrogates: a pair is one code point.
const FORBIDDEN_ID_CHAR = /[\u0000-\u001f\u007f\ud800-\udfff]/u;

/**
 * Checks a peer id: a non-empty string of at most {@link MAX_PEER_ID_BYTES}
 * bytes of UTF-8, without control characters (U+0000-U+001F, U+007F) or
 * lone surrogates, not starting with `_` (reserved). `/`, `\` and `..` are
 * allowed here; the route directory hashes such ids into safe file names.
 *
 * @returns the id, typed as a string.
 * @throws {@link InvalidIdError} naming the rule broken.
 * @example
 * ```ts
 * const self = validatePeerId(options.id);
 * ```
 */
export function validatePeerId(id: unknown): string {
  if (typeof id !== 'string') {
    throw new InvalidIdError(`peer id must be a string, got ${describe(id)}`);
  }
  if (id.length === 0) {
    throw new InvalidIdError('peer id is empty');
  }
  // Checked before scanning: a UTF-16 length over the limit is over it in UTF-8 too.
  if (id.length > MAX_PEER_ID_BYTES || Buffer.byteLength(id, 'utf8') > MAX_PEER_ID_BYTES) {
    throw new InvalidIdError(`peer id is longer than ${MAX_PEER_ID_BYTES} bytes of UTF-8: ${show(id)}`);
  }
  const bad = FORBIDDEN_ID_CHAR.exec(id);
  if (bad !== null) {
    const unit = bad[0].charCodeAt(0);
    const what = unit >= 0xd800 ? 'a lone surrogate' : 'a control character';
    const code = unit.toString(16).toUpperCase().padStart(4, '0');
    throw new InvalidIdError(`peer id contains ${what} (U+${code} at index ${bad.index}): ${show(id)}`);
  }
  if (id.startsWith('_')) {
    throw new InvalidIdError(`peer id may not start with "_" (reserved): ${show(id)}`);
  }
  return id;
}

/** The first frame on a connection: the opener's id. */
export interface Hello {
  hello: string;
}

/**
 * Builds the hello value for `id` (validated).
 *
 * @throws {@link InvalidIdError} for an invalid id.
 * @example
 * ```ts
 * createHello('alice'); // { hello: 'alice' }
 * ```
 */
export function createHello(id: string): Hello {
  return { hello: validatePeerId(id) };
}

/**
 * Encodes the hello frame for `id` (header and payload `{"hello":"<id>"}`),
 * ready to write as the first frame of a connection we open.
 *
 * @throws {@link InvalidIdError} for an invalid id.
 * @example
 * ```ts
 * socket.write(encodeHello('alice'));
 * ```
 */
export function encodeHello(id: string, serializer: Serializer = jsonSerializer): Buffer {
  return encodeValueFrame(createHello(id), serializer);
}

/**
 * Checks a decoded first frame and returns the peer id it announces. Keys
 * other than `hello` are ignored.
 *
 * @throws {@link BadHelloError} when it is not an object with a valid `hello`
 *   id; for a bad id, `cause` is the {@link InvalidIdError}.
 * @example
 * ```ts
 * const peerId = parseHello(jsonSerializer.decode(firstPayload));
 * ```
 */
export function parseHello(value: unknown): string {
  if (!isPlainObject(value)) {
    throw new BadHelloError(`hello is ${describe(value)}, not a JSON object`);
  }
  if (!Object.hasOwn(value, 'hello')) {
    throw new BadHelloError('first frame has no "hello" key');
  }
  try {
    return validatePeerId(value['hello']);
  } catch (err) {
    throw new BadHelloError(`bad hello: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Decodes and checks the first frame of an accepted connection.
 *
 * @throws {@link BadHelloError} for anything but a valid hello; when the
 *   payload does not decode at all, `cause` is the {@link BadJsonError}.
 * @example
 * ```ts
 * const peerId = decodeHello(firstPayload);
 * ```
 */
export function decodeHello(payload: Buffer, serializer: Serializer = jsonSerializer): string {
  let value: unknown;
  try {
    value = decodePayload(payload, serializer);
  } catch (err) {
    throw new BadHelloError(`first frame is not a hello: ${(err as Error).message}`, { cause: err });
  }
  return parseHello(value);
}

/**
 * Whether a decoded frame looks like a hello (a plain object with a `hello`
 * key and no `content`), to catch a second hello on one connection (a
 * protocol error) rather than report it as a bad message.
 *
 * @example
 * ```ts
 * if (isHello(value)) throw new ProtocolError('second hello on one connection');
 * ```
 */
export function isHello(value: unknown): boolean {
  return isPlainObject(value) && Object.hasOwn(value, 'hello') && !Object.hasOwn(value, 'content');
}
