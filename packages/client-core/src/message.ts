import { BadHelloError, BadMessageError, InvalidIdError } from './errors.js';
import { peerIdProblem, validatePeerId } from './peer-id.js';
import { FRAME_HEADER_BYTES } from './frame-encoder.js';
import { asciiOnly, decodePayload, encodeValueFrame, jsonSerializer } from './serializer.js';
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
  /**
   * Present and true on messages sent as part of a broadcast. Always a
   * boolean here: a received `"broadcast":1` (IPC::Manager's form) is
   * normalised by {@link validateMessage}.
   */
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
 * socket.write(encodeValueFrame(msg));
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

/**
 * A new message's whole JSON frame, byte for byte what
 * `encodeValueFrame(createMessage(...))` gives with the JSON serializer,
 * without building the message object or serializing its envelope: only
 * `content` goes through `JSON.stringify`. The id, stamp and stamp_ord come
 * from createMessage's sequence. `fromPart` is `,"from":<id as ASCII
 * JSON>,"content":` and `tail` is `,"to":<id as ASCII JSON>}` or
 * `,"broadcast":true}`, which the caller makes once per peer. The engine's
 * send path; returns `undefined` for content with a `toJSON()` method (the
 * caller then builds the message: `JSON.stringify` passes that method the
 * key `content`).
 *
 * @throws TypeError for content with no JSON form (a BigInt, a cycle).
 */
export function encodeJsonMessageFrame(fromPart: string, content: unknown, tail: string, clock: MessageClock = systemClock): Buffer | undefined {
  if (typeof content === 'object' && content !== null && typeof (content as { toJSON?: unknown }).toJSON === 'function') return undefined;
  const body = JSON.stringify(content) as string | undefined;
  if (body === undefined) throw new TypeError(`cannot serialize ${typeof content} as JSON`);
  const stampOrd = nextStampOrd;
  nextStampOrd = nextStampOrd === Number.MAX_SAFE_INTEGER ? 0 : nextStampOrd + 1;
  const nowMs = clock.now();
  const stamp = nowMs / 1000;
  // JSON writes a finite number as String() does, and NaN or an infinity as null.
  const head = '{"id":"' + messageIds.next(nowMs) + '","stamp":' + (Number.isFinite(stamp) ? stamp : 'null')
    + ',"stamp_ord":' + stampOrd + fromPart;
  const json = asciiOnly(body);
  // ASCII only (ids and numbers are; the parts are ASCII JSON), so characters = bytes.
  const length = head.length + json.length + tail.length;
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + length);
  frame.writeUInt32BE(length, 0);
  if (json.length <= JOIN_BELOW) {
    frame.write(head + json + tail, FRAME_HEADER_BYTES, 'latin1');
  } else {
    // A large body is not joined: that would copy it into a second large string.
    frame.write(json, FRAME_HEADER_BYTES + head.length, 'latin1');
    frame.write(head, FRAME_HEADER_BYTES, 'latin1');
    frame.write(tail, FRAME_HEADER_BYTES + head.length + json.length, 'latin1');
  }
  return frame;
}

/** Content JSON up to this long is joined to the envelope and written in one call. */
const JOIN_BELOW = 2048;

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

/**
 * A message's `broadcast` as a boolean. IPC::Manager sends `"broadcast":1`
 * and reads the key as a Perl truth value, so any JSON scalar is accepted
 * and read the same way: `false`, `null`, `0`, `""` and `"0"` are false,
 * everything else true. An object or an array is refused.
 */
function broadcastFlag(flag: unknown): boolean | undefined {
  if (flag === undefined || typeof flag === 'boolean') return flag;
  if (flag === null) return false;
  if (typeof flag === 'number') return flag !== 0;
  if (typeof flag === 'string') return flag !== '' && flag !== '0';
  throw new BadMessageError(`message "broadcast" is ${describe(flag)}, not a boolean or a scalar`);
}

/**
 * Checks that a decoded value is a message for us from the peer on this
 * connection, and returns it typed (the same object; unknown keys kept).
 *
 * Requires a plain object with string `id`, number `stamp` and `stamp_ord`,
 * string `from` equal to `helloId`, an own `content` key (any value), `to`
 * absent or a string equal to `self` (any string when `broadcast` is true),
 * and `broadcast` absent or a JSON scalar; no top-level `__proto__` key.
 * `broadcast` is normalised to a boolean in place, read as Perl reads it
 * (IPC::Manager sends `1`): `false`, `null`, `0`, `""` and `"0"` are false.
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
  const broadcast = broadcastFlag(value['broadcast']);
  const to = value['to'];
  if (to !== undefined) {
    if (typeof to !== 'string') {
      throw new BadMessageError(`message "to" is ${describe(to)}, not a string`);
    }
    if (to !== options.self && broadcast !== true) {
      // The peer's string is described, never quoted (R39).
      throw new BadMessageError(`message is addressed to another peer (${to.length} characters), not to us`);
    }
  }
  if (from !== options.helloId) {
    throw new BadMessageError(
      `message "from" (${from.length} characters) is not the id the connection said hello with (${options.helloId.length} characters)`,
    );
  }
  if (broadcast !== undefined) value['broadcast'] = broadcast;
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

// ---- peer ids and the hello ------------------------------------------------

// The peer-id rule lives in peer-id.ts (one rule for hellos, dialling,
// claiming and naming); re-exported here for the existing importers.
export { MAX_PEER_ID_BYTES, validatePeerId } from './peer-id.js';

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
 *   id; for a bad id, `cause` is an {@link InvalidIdError} naming the rule
 *   broken (position, length), never quoting the id (R39).
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
  const id = value['hello'];
  // The rule broken, not the id: a peer's bytes never go into our errors (R39).
  const problem = peerIdProblem(id);
  if (problem !== undefined) throw new BadHelloError(`bad hello: ${problem}`, { cause: new InvalidIdError(problem) });
  return id as string;
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
