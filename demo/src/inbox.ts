import type { Client, Message } from '@ipcm/client-core';

interface Waiter {
  readonly match: (message: Message) => boolean;
  readonly count: number;
  readonly taken: Message[];
  readonly resolve: (messages: Message[]) => void;
  readonly timer: NodeJS.Timeout;
}

/** How long the demo waits for messages before calling it a failure. */
const TAKE_TIMEOUT_MS = 10_000;

/**
 * Everything a conductor receives, so the demo can wait for particular
 * messages ("the 100 pongs from tcp-a") in any order without losing the
 * others that arrive meanwhile.
 */
export class Inbox {
  readonly #held: Message[] = [];
  readonly #waiters: Waiter[] = [];

  constructor(client: Client) {
    client.on('message', (message) => this.#arrive(message));
  }

  /** Resolves with the first `count` messages that `match`, already arrived or to come. */
  take(what: string, match: (message: Message) => boolean, count = 1): Promise<Message[]> {
    const taken: Message[] = [];
    for (let i = 0; i < this.#held.length && taken.length < count; ) {
      const message = this.#held[i] as Message;
      if (match(message)) {
        taken.push(message);
        this.#held.splice(i, 1);
      } else {
        i++;
      }
    }
    if (taken.length === count) return Promise.resolve(taken);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        reject(new Error(`waited ${TAKE_TIMEOUT_MS} ms for ${what}: got ${taken.length} of ${count}`));
      }, TAKE_TIMEOUT_MS);
      const waiter: Waiter = { match, count, taken, resolve, timer };
      this.#waiters.push(waiter);
    });
  }

  #arrive(message: Message): void {
    const waiter = this.#waiters.find((w) => w.match(message));
    if (waiter === undefined) {
      this.#held.push(message);
      return;
    }
    waiter.taken.push(message);
    if (waiter.taken.length < waiter.count) return;
    this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
    clearTimeout(waiter.timer);
    waiter.resolve(waiter.taken);
  }
}
