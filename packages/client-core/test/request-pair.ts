import { createMessage, decodeMessage } from '../src/message.js';
import { encodeValueFrame } from '../src/serializer.js';
import type { Message } from '../src/message.js';
import { RequestTable } from '../src/requests.js';
import type { RequestTableOptions } from '../src/requests.js';
import { Responder } from '../src/responder.js';

/**
 * One side of an in-process pair: a RequestTable and a Responder whose
 * `send` encodes a real message frame and hands it, decoded, to the other
 * side on a later microtask, through the receive path the client will have
 * (table, then responder, then the plain-message queue). No sockets: the
 * components under test are pure.
 */
export class Side {
  readonly plain: Message[] = [];
  readonly errors: Array<{ error: Error; peerId: string }> = [];
  readonly table: RequestTable;
  readonly responder: Responder;
  peer: Side | undefined;
  /** Set to make the next sends reject with this error. */
  failSends: Error | undefined;
  framesSent = 0;

  constructor(
    readonly id: string,
    tableOptions: Omit<RequestTableOptions, 'send'> = {},
  ) {
    const send = (peerId: string, content: unknown) => this.send(peerId, content);
    this.table = new RequestTable({ ...tableOptions, clientId: id, send });
    this.responder = new Responder({ send, onError: (error, peerId) => this.errors.push({ error, peerId }) });
  }

  async send(peerId: string, content: unknown): Promise<void> {
    await Promise.resolve();
    if (this.failSends !== undefined) throw this.failSends;
    const peer = this.peer;
    if (peer === undefined || peer.id !== peerId) throw new Error(`no peer ${peerId}`);
    const frame = encodeValueFrame(createMessage({ from: this.id, to: peerId, content }));
    this.framesSent++;
    const message = decodeMessage(frame.subarray(4), { self: peerId, helloId: this.id });
    queueMicrotask(() => peer.receive(message));
  }

  /** What the client's receive path does with every incoming message. */
  receive(message: Message): void {
    if (this.table.accept(message) || this.responder.accept(message)) return;
    this.plain.push(message);
  }
}

/** Two sides wired to each other. */
export function pair(
  aOptions: Omit<RequestTableOptions, 'send'> = {},
  bOptions: Omit<RequestTableOptions, 'send'> = {},
): [Side, Side] {
  const a = new Side('alice', aOptions);
  const b = new Side('bob', bOptions);
  a.peer = b;
  b.peer = a;
  return [a, b];
}

/** Resolves after pending microtasks and one macrotask turn. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
