import { Dealer, Pull, Push, Router, type Socket } from 'zeromq';
import type { Endpoint } from './messaging-endpoints.js';
import { bareMessage, sharedNow, type BareMessage, type Content } from './messaging-wire.js';

/** The endpoints a zeromq child bound, sent to the parent as JSON. */
export interface ZmqEndpoints {
  /** PULL: one-way messages. */
  readonly pull: string;
  /** ROUTER: request/response. */
  readonly router: string;
}

const ignore = (): void => {};

function encode(self: string, peer: string, content: Content): string {
  return JSON.stringify(bareMessage(self, peer, content));
}

function decode(frame: Buffer): Content {
  return (JSON.parse(frame.toString('utf8')) as BareMessage).content;
}

/**
 * An end of a zeromq (v6) link, as its documentation shows: PUSH/PULL for
 * one-way messages, DEALER/ROUTER for request/response. The child binds a
 * PULL and a ROUTER; the parent connects a PUSH and a DEALER. Each message
 * is one zeromq frame holding the same JSON message the bare baseline
 * sends. Sending is `await socket.send(frame)`: zeromq v6 allows one send
 * in flight per socket, and queues up to its high-water mark (1,000
 * messages by default) before that promise waits.
 */
export class ZmqEndpoint implements Endpoint {
  onMessage: (content: Content) => void = ignore;
  error: Error | undefined;
  readonly #self: string;
  readonly #peer: string;
  /** Parent: PUSH for blasts, DEALER for request/response. Child: PULL and ROUTER. */
  readonly #oneWay: Push | Pull;
  readonly #reqRep: Dealer | Router;
  /** Child: the routing id of the DEALER that sent the last request. */
  #replyTo: Buffer | undefined;
  /** The send in flight on `#reqRep`, if any (zeromq refuses a second one with EBUSY). */
  #sending: Promise<void> | undefined;
  readonly #receiving: Promise<void>[] = [];

  private constructor(self: string, peer: string, oneWay: Push | Pull, reqRep: Dealer | Router) {
    this.#self = self;
    this.#peer = peer;
    this.#oneWay = oneWay;
    this.#reqRep = reqRep;
  }

  /** The listening (child) end: binds a PULL and a ROUTER; returns the endpoints bound. */
  static async listen(self: string, peer: string, bind: (name: string) => string): Promise<{ endpoint: ZmqEndpoint; endpoints: ZmqEndpoints }> {
    const pull = new Pull();
    const router = new Router();
    await pull.bind(bind('zpull'));
    await router.bind(bind('zrouter'));
    const endpoint = new ZmqEndpoint(self, peer, pull, router);
    endpoint.#receive(pull, (parts) => endpoint.onMessage(decode(parts[0] as Buffer)));
    endpoint.#receive(router, (parts) => {
      endpoint.#replyTo = parts[0];
      endpoint.onMessage(decode(parts[1] as Buffer));
    });
    return { endpoint, endpoints: { pull: pull.lastEndpoint as string, router: router.lastEndpoint as string } };
  }

  /** The dialling (parent) end: connects a PUSH and a DEALER to the child's endpoints. */
  static dial(self: string, peer: string, endpoints: ZmqEndpoints): ZmqEndpoint {
    const push = new Push();
    const dealer = new Dealer();
    push.connect(endpoints.pull);
    dealer.connect(endpoints.router);
    const endpoint = new ZmqEndpoint(self, peer, push, dealer);
    endpoint.#receive(dealer, (parts) => endpoint.onMessage(decode(parts[0] as Buffer)));
    return endpoint;
  }

  #receive(socket: Pull | Router | Dealer, handle: (parts: Buffer[]) => void): void {
    const loop = (async (): Promise<void> => {
      for await (const parts of socket) handle(parts);
    })().catch((error: unknown) => {
      // Closing the socket ends the loop with an error; anything else is kept.
      if (!socket.closed) this.error ??= error as Error;
    });
    this.#receiving.push(loop);
  }

  send(content: Content): void {
    const frame = encode(this.#self, this.#peer, content);
    const socket = this.#reqRep;
    const parts = socket instanceof Router ? [this.#replyTo ?? Buffer.alloc(0), frame] : [frame];
    const previous = this.#sending;
    const sent = (previous === undefined ? socket.send(parts) : previous.then(() => socket.send(parts))).then(
      () => {
        if (this.#sending === sent) this.#sending = undefined;
      },
      (error: unknown) => {
        this.error ??= error as Error;
      },
    );
    this.#sending = sent;
  }

  async blast(count: number, text: string, mark: number): Promise<number> {
    const socket = this.#oneWay;
    if (!(socket instanceof Push)) throw new Error('only the dialling end blasts');
    let markAt = NaN;
    for (let i = 0; i < count; i++) {
      if (i === mark) markAt = sharedNow();
      await socket.send(encode(this.#self, this.#peer, { seq: i, text }));
    }
    return markAt;
  }

  connects(): undefined {
    return undefined;
  }

  async close(): Promise<void> {
    const sockets: Socket[] = [this.#oneWay, this.#reqRep];
    for (const socket of sockets) {
      // Unsent messages must not keep the process alive after the trial.
      socket.linger = 0;
      socket.close();
    }
    await Promise.all(this.#receiving);
  }
}
