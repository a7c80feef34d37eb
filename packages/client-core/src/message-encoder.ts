import { BadContentError, FrameTooLargeError } from './errors.js';
import { FRAME_HEADER_BYTES } from './frame-encoder.js';
import { badContent, ContentProblem, encodingProblem, wireContent } from './content-check.js';
import { createMessage, encodeJsonMessageFrame } from './message.js';
import { encodeValueFrame, jsonSerializer, toAsciiJson, type Serializer } from './serializer.js';

/** The end of a broadcast message's JSON (see encodeJsonMessageFrame). */
const BROADCAST_TAIL = ',"broadcast":true}';

/**
 * Turns the content of a send into the frame of a new message from this
 * client. With the JSON serializer only the content is serialized and the
 * envelope is written around it; the `to` part is kept for the last peer.
 */
export class MessageEncoder {
  readonly #id: string;
  readonly #serializer: Serializer;
  readonly #maxFrameBytes: number;
  /** `,"from":<our id>,"content":`, the middle of every message's JSON (see encodeJsonMessageFrame). */
  readonly #fromPart: string;
  #tailPeer: string | undefined;
  #tail = '';

  constructor(id: string, serializer: Serializer, maxFrameBytes: number) {
    this.#id = id;
    this.#serializer = serializer;
    this.#maxFrameBytes = maxFrameBytes;
    this.#fromPart = `,"from":${toAsciiJson(id)},"content":`;
  }

  /**
   * The send path's encode step: the whole frame of a new message holding
   * `content`, to `to` (a broadcast when undefined). Refuses, with a coded
   * error and nothing written, content that cannot be sent
   * (`ERR_IPCM_BAD_CONTENT`) and a message over `maxFrameBytes`.
   */
  encode(peerId: string, content: unknown, broadcast: boolean): Buffer {
    const json = this.#serializer === jsonSerializer;
    let frame: Buffer;
    try {
      const value = wireContent(content, json);
      if (value instanceof ContentProblem) throw badContent(sendSubject(peerId, broadcast), value.problem);
      // JSON: only the content is serialized; the envelope is written around it.
      const fast = json ? encodeJsonMessageFrame(this.#fromPart, value, broadcast ? BROADCAST_TAIL : this.#toTail(peerId)) : undefined;
      if (fast !== undefined) {
        frame = fast;
      } else {
        const message = broadcast
          ? createMessage({ from: this.#id, broadcast: true, content: value })
          : createMessage({ from: this.#id, to: peerId, content: value });
        frame = encodeValueFrame(message, this.#serializer);
      }
    } catch (cause) {
      if (cause instanceof BadContentError) throw cause;
      // A BigInt, a circular object, a throwing toJSON() or a custom serializer's failure.
      throw badContent(sendSubject(peerId, broadcast), encodingProblem(cause, json), cause);
    }
    if (frame.length - FRAME_HEADER_BYTES > this.#maxFrameBytes) {
      throw new FrameTooLargeError(
        `${sendSubject(peerId, broadcast)} is ${frame.length - FRAME_HEADER_BYTES} bytes, over maxFrameBytes (${this.#maxFrameBytes})`,
      );
    }
    return frame;
  }

  /** The end of a message's JSON to `peerId` (`,"to":"<id>"}`), kept for the last peer sent to. */
  #toTail(peerId: string): string {
    if (peerId !== this.#tailPeer) {
      this.#tail = `,"to":${toAsciiJson(peerId)}}`;
      this.#tailPeer = peerId;
    }
    return this.#tail;
  }
}

/** What a send is, in errors: `a broadcast` or `a message to "bob"`. */
function sendSubject(peerId: string, broadcast: boolean): string {
  return broadcast ? 'a broadcast' : `a message to ${JSON.stringify(peerId)}`;
}
