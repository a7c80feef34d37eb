import { isAscii, isUtf8 } from 'node:buffer';
import { BadJsonError, IpcmError } from './errors.js';
import { FRAME_HEADER_BYTES, encodeFrame } from './frame-encoder.js';

/**
 * Turns values into frame payloads and back. JSON ({@link jsonSerializer}) is
 * the default and the only one IPC::Manager peers understand; another
 * serializer must be used by both ends.
 *
 * @example
 * ```ts
 * const payload = jsonSerializer.encode({ hello: 'alice' });
 * jsonSerializer.decode(payload); // { hello: 'alice' }
 * ```
 */
export interface Serializer {
  /** Encodes a value into a payload. Throws (TypeError) for values it cannot represent. */
  encode(value: unknown): Buffer;
  /**
   * Decodes a payload. Must throw {@link BadJsonError} for a payload it cannot
   * decode (other errors are wrapped in one by {@link decodePayload}).
   */
  decode(payload: Buffer): unknown;
  /**
   * Optional: encodes a value straight into a whole frame (4-byte header, then
   * the payload) in one allocation. {@link encodeValueFrame} uses it when
   * present and otherwise frames the result of `encode`.
   */
  encodeFrame?(value: unknown): Buffer;
}

const NON_ASCII_ALL = /[\u0080-\uffff]/g;

function escapeCodeUnit(unit: string): string {
  const hex = unit.charCodeAt(0).toString(16);
  // Code units matched are >= 0x80, so hex has 2 to 4 digits.
  return (hex.length === 2 ? '\\u00' : hex.length === 3 ? '\\u0' : '\\u') + hex;
}

/**
 * `JSON.stringify` whose output is pure ASCII: every character above U+007F
 * is written as a `\uXXXX` escape (characters outside the BMP as two
 * escapes, one per surrogate), as IPC::Manager's JSON serializer does. Being
 * ASCII, the result can be written to a buffer with the `latin1` encoding, one
 * byte per character.
 *
 * @throws TypeError when the value has no JSON form (`undefined`, a function,
 *   a symbol), holds a BigInt or is circular.
 * @example
 * ```ts
 * toAsciiJson({ text: 'café 😀' }); // '{"text":"caf\\u00e9 \\ud83d\\ude00"}'
 * ```
 */
export function toAsciiJson(value: unknown): string {
  const json = JSON.stringify(value) as string | undefined;
  if (json === undefined) {
    throw new TypeError(`cannot serialize ${typeof value} as JSON`);
  }
  // Any code unit above U+007F takes 2+ bytes of UTF-8, so equal lengths mean
  // pure ASCII; this native count is cheaper than a regex scan on the hot path.
  // Non-ASCII can only occur inside JSON strings, where an escape means the same.
  // Measured (2026-11-30, interleaved, 148 B to 64 KiB messages, two runs on
  // a busy machine) against a `/[^\x00-\x7f]/` test (0.97-1.28x the time of
  // the whole encode) and `Buffer.from(json, 'latin1')` plus a copy behind
  // the header (0.96-1.14x): neither pays reliably, so this check stays. (No
  // check at all would be 0.6-0.97x; it is what makes the output ASCII.)
  return asciiOnly(json);
}

/** JSON text with every character above U+007F escaped as `\uXXXX` (the text as it is when it is ASCII already). */
export function asciiOnly(json: string): string {
  return Buffer.byteLength(json, 'utf8') === json.length ? json : json.replace(NON_ASCII_ALL, escapeCodeUnit);
}

/**
 * Parses a JSON payload. All-ASCII payloads (the normal case) take a fast
 * path; others must be valid UTF-8 (no overlong forms, no encoded surrogates,
 * nothing past U+10FFFF), checked strictly rather than silently replaced.
 *
 * @throws {@link BadJsonError} for invalid UTF-8 or malformed JSON (including
 *   an empty payload). It says where (a character position) and how long
 *   the payload is, never what it holds: no `cause`, since V8's
 *   `SyntaxError` quotes the payload (R39).
 * @example
 * ```ts
 * parseJsonPayload(Buffer.from('{"a":1}')); // { a: 1 }
 * ```
 */
export function parseJsonPayload(payload: Buffer): unknown {
  let text: string;
  if (isAscii(payload)) {
    // ASCII is valid UTF-8, and latin1 is the cheapest way to make a string of it.
    text = payload.toString('latin1');
  } else if (isUtf8(payload)) {
    text = payload.toString('utf8');
  } else {
    throw new BadJsonError(`frame payload (${payload.length} bytes) is not valid UTF-8`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    // No cause: V8's SyntaxError quotes the payload, and a peer's bytes
    // never go into our errors (R39); where and how long is what we say.
    throw new BadJsonError(`frame payload (${payload.length} bytes) is not valid JSON: ${syntaxFault(err)}`);
  }
}

/** What a JSON.parse failure says, without the text it quotes. */
function syntaxFault(err: unknown): string {
  const message = err instanceof Error ? err.message : '';
  const position = /\bat position (\d+)/.exec(message);
  if (position !== null) return `syntax error at character ${position[1]}`;
  if (message.startsWith('Unexpected end')) return 'it ends early';
  return 'unexpected token';
}

function encodeJsonFrame(value: unknown): Buffer {
  const json = toAsciiJson(value);
  // ASCII only, so characters = bytes: size the frame without a second pass.
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + json.length);
  frame.writeUInt32BE(json.length, 0);
  frame.write(json, FRAME_HEADER_BYTES, 'latin1');
  return frame;
}

/**
 * The default serializer: ASCII-only JSON (see {@link toAsciiJson}) out,
 * strict UTF-8 JSON (see {@link parseJsonPayload}) in. Compatible with
 * IPC::Manager's JSON serializer.
 *
 * @example
 * ```ts
 * const frame = jsonSerializer.encodeFrame({ hello: 'alice' }); // header + payload
 * ```
 */
export const jsonSerializer: Readonly<Required<Serializer>> = Object.freeze({
  encode(value: unknown): Buffer {
    return Buffer.from(toAsciiJson(value), 'latin1');
  },
  decode: parseJsonPayload,
  encodeFrame: encodeJsonFrame,
});

/**
 * Encodes a value into a whole frame with `serializer`, in one allocation
 * when the serializer offers `encodeFrame` (the JSON one does).
 *
 * @example
 * ```ts
 * socket.write(encodeValueFrame({ hello: 'alice' }));
 * ```
 */
export function encodeValueFrame(value: unknown, serializer: Serializer = jsonSerializer): Buffer {
  return serializer.encodeFrame !== undefined ? serializer.encodeFrame(value) : encodeFrame(serializer.encode(value));
}

/**
 * Decodes a payload with `serializer`, making sure any failure is an
 * {@link IpcmError}: a serializer that throws something else (a custom one)
 * has it wrapped in a {@link BadJsonError} with the original as `cause`.
 *
 * @example
 * ```ts
 * const value = decodePayload(payload, serializer);
 * ```
 */
export function decodePayload(payload: Buffer, serializer: Serializer = jsonSerializer): unknown {
  if (serializer === jsonSerializer) return parseJsonPayload(payload);
  try {
    return serializer.decode(payload);
  } catch (err) {
    if (err instanceof IpcmError) throw err;
    throw new BadJsonError(`frame payload (${payload.length} bytes) could not be decoded`, { cause: err });
  }
}
