import { createMessage, encodeValueFrame } from '@ipcm/client-core';
import type { MessagingImpl } from './messaging-endpoints.js';
import { CHILD_ID, PARENT_ID, bareMessage, encodeBareFrame } from './messaging-wire.js';

/**
 * Bytes one message of content `{ seq, text }` takes on the wire, framing
 * included, for one implementation:
 * - @ipcm, bare: 4-byte length + the JSON message;
 * - node-ipc: `{"type":"message","data":<the same JSON>}` + `\f`;
 * - zeromq: the JSON message in one ZMTP 3 frame (1 flags byte, then a
 *   1-byte length up to 255 bytes, an 8-byte one above).
 */
export function frameBytesOf(impl: MessagingImpl, seq: number, text: string): number {
  const content = { seq, text };
  switch (impl) {
    case '@ipcm':
      return encodeValueFrame(createMessage({ from: PARENT_ID, to: CHILD_ID, content })).length;
    case 'bare':
    case 'bare+cork':
      return encodeBareFrame(bareMessage(PARENT_ID, CHILD_ID, content)).length;
    case 'node-ipc':
      return Buffer.byteLength(JSON.stringify({ type: 'message', data: bareMessage(PARENT_ID, CHILD_ID, content) })) + 1;
    case 'zeromq': {
      const json = Buffer.byteLength(JSON.stringify(bareMessage(PARENT_ID, CHILD_ID, content)));
      return json + (json > 255 ? 9 : 2);
    }
  }
}

/** Mean wire bytes per message over sequence numbers like a trial's (the stamp's digits vary too). */
export function wireBytes(impl: MessagingImpl, messages: number, text: string): number {
  let total = 0;
  const n = 100;
  for (let i = 0; i < n; i++) total += frameBytesOf(impl, Math.floor((i / n) * messages), text);
  return Math.round(total / n);
}
