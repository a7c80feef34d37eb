/** Bytes in a frame's length header (a 32-bit big-endian unsigned integer). */
export const FRAME_HEADER_BYTES = 4;

/** The largest payload the 4-byte length header can describe. */
export const MAX_FRAME_PAYLOAD_BYTES = 0xffffffff;

function checkPayloadBytes(payloadBytes: number): void {
  // Fail loudly rather than let writeUInt32BE wrap or throw a less specific error.
  if (!Number.isInteger(payloadBytes) || payloadBytes < 0 || payloadBytes > MAX_FRAME_PAYLOAD_BYTES) {
    throw new RangeError(
      `frame payload length must be an integer from 0 to ${MAX_FRAME_PAYLOAD_BYTES}, got ${String(payloadBytes)}`,
    );
  }
}

/**
 * Bytes a frame with a payload of `payloadBytes` bytes takes on the wire, to
 * size one buffer for a batch of frames.
 *
 * @example
 * ```ts
 * const batch = Buffer.allocUnsafe(frameLength(a.length) + frameLength(b.length));
 * writeFrame(batch, writeFrame(batch, 0, a), b);
 * ```
 */
export function frameLength(payloadBytes: number): number {
  checkPayloadBytes(payloadBytes);
  return FRAME_HEADER_BYTES + payloadBytes;
}

/**
 * Writes the 4-byte length header for a payload of `payloadBytes` bytes into
 * `target` at `offset`, for callers that write the payload themselves (for
 * example a serializer that renders straight into the frame).
 *
 * @returns the offset just past the header, where the payload goes.
 * @example
 * ```ts
 * const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + json.length);
 * frame.write(json, writeFrameHeader(frame, 0, json.length), 'latin1');
 * ```
 */
export function writeFrameHeader(target: Buffer, offset: number, payloadBytes: number): number {
  checkPayloadBytes(payloadBytes);
  return target.writeUInt32BE(payloadBytes, offset);
}

/**
 * Writes a whole frame (header, then `payload`) into `target` at `offset`.
 * `target` must have {@link frameLength}`(payload.length)` bytes free there.
 *
 * @returns the offset just past the frame, where the next one goes.
 * @example
 * ```ts
 * let offset = 0;
 * for (const p of payloads) offset = writeFrame(batch, offset, p);
 * ```
 */
export function writeFrame(target: Buffer, offset: number, payload: Uint8Array): number {
  const start = writeFrameHeader(target, offset, payload.length);
  if (start + payload.length > target.length) {
    throw new RangeError(
      `writeFrame: ${payload.length} payload bytes at offset ${start} do not fit in a ${target.length}-byte buffer`,
    );
  }
  target.set(payload, start);
  return start + payload.length;
}

/**
 * Frames one payload: a new buffer holding the 4-byte big-endian length and
 * then the payload (one allocation, one copy).
 *
 * @example
 * ```ts
 * socket.write(encodeFrame(Buffer.from('{"hello":"alice"}')));
 * ```
 */
export function encodeFrame(payload: Uint8Array): Buffer {
  checkPayloadBytes(payload.length);
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  frame.writeUInt32BE(payload.length, 0);
  frame.set(payload, FRAME_HEADER_BYTES);
  return frame;
}
