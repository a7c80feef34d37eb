import { BackpressureError, ConnectionClosedError } from './errors.js';
import type { ResolvedOptions } from './check-options.js';
import type { ClientCounters } from './client-stats.js';
import type { Dialer } from './dialer.js';
import type { MessageEncoder } from './message-encoder.js';
import { validatePeerId } from './message.js';
import type { SendOptions, Timers } from './options.js';
import type { Settler, Waiter } from './connection-writer.js';
import { abortedError, cancelWith, checkSendOptions, RESOLVED } from './send-wait.js';

/** What the {@link Sender} needs from its client. */
export interface SenderHost {
  readonly options: ResolvedOptions;
  readonly encoder: MessageEncoder;
  readonly dialer: Dialer;
  readonly counters: ClientCounters;
  /** The client's timers (a waiting send's `timeoutMs` runs on them). */
  readonly timers: Timers;
  /** True while the client is open, or answering requests while it closes. */
  canSend(): boolean;
  closedError(): Error;
}

/**
 * The send path: the connection to the peer (dialled on the first send),
 * then the frame goes out at once when there is room under
 * `maxPendingBytes`, else the send waits, its content not yet encoded, or
 * is refused past `maxWaitingSends` (R35).
 */
export class Sender {
  readonly #host: SenderHost;
  readonly #options: ResolvedOptions;
  readonly #encoder: MessageEncoder;
  readonly #dialer: Dialer;
  readonly #counters: ClientCounters;
  /** The client's timers, for a waiting send's `timeoutMs`. */
  readonly #timers: Timers;

  constructor(host: SenderHost) {
    this.#host = host;
    this.#options = host.options;
    this.#timers = host.timers;
    this.#encoder = host.encoder;
    this.#dialer = host.dialer;
    this.#counters = host.counters;
  }

  /**
   * Sends `content` to `peerId` (a broadcast's copy when `broadcast`); see
   * {@link Client.send} for what the promise means.
   */
  send(peerId: string, content: unknown, broadcast: boolean, options?: SendOptions): Promise<void> {
    if (!this.#host.canSend()) return Promise.reject(this.#host.closedError());
    if (options !== undefined) {
      try {
        checkSendOptions(options);
      } catch (error) {
        return Promise.reject(error);
      }
      if (options.signal?.aborted === true) return Promise.reject(abortedError(peerId, options.signal));
    }
    let conn = this.#dialer.connectionTo(peerId);
    let frame: Buffer | undefined;
    if (conn === undefined) {
      // Content that cannot be sent opens no connection: a new connection
      // has room, so the frame is encoded before dialling.
      try {
        validatePeerId(peerId); // ids with a connection were checked when it was made
        frame = this.#encoder.encode(peerId, content, broadcast);
      } catch (error) {
        return Promise.reject(error);
      }
      conn = this.#dialer.dial(peerId);
    } else {
      if (conn.finished) return Promise.reject(new ConnectionClosedError(`connection to ${peerId} is closing`));
      this.#counters.reuses++;
      // No touch here: a connection with bytes to write counts as active
      // now (see role-host.ts), and the write completing touches it
      // (onDrained), so sending reads no clock.
    }
    const target = conn;
    if (frame !== undefined || (target.waiting === 0 && target.charge < this.#options.maxPendingBytes)) {
      try {
        frame ??= this.#encoder.encode(peerId, content, broadcast);
      } catch (error) {
        return Promise.reject(error);
      }
      const accepted = frame;
      if (target.ready) {
        target.push(accepted);
        return RESOLVED;
      }
      // Not open yet: the send settles when the dial does.
      return new Promise<void>((resolve, reject) => {
        const settler: Settler = { resolve, reject, cancelled: false, release: undefined };
        if (options !== undefined) {
          cancelWith(options, peerId, settler, this.#timers, (error) => {
            target.cancel(settler);
            reject(error);
          });
        }
        target.push(accepted, settler);
      });
    }
    // No room: refused before anything is encoded (R35), or waits for room.
    if (target.waiting >= this.#options.maxWaitingSends) {
      return Promise.reject(
        new BackpressureError(
          `connection to ${peerId} holds ${target.pendingBytes} bytes (maxPendingBytes ${this.#options.maxPendingBytes}) and ${target.waiting} sends wait (maxWaitingSends ${this.#options.maxWaitingSends})`,
        ),
      );
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        admit: () => target.push(this.#encoder.encode(peerId, content, broadcast)),
        resolve,
        reject,
        release: undefined,
        settled: false,
      };
      target.wait(waiter);
      if (options !== undefined) {
        cancelWith(options, peerId, waiter, this.#timers, (error) => {
          target.withdraw(waiter);
          reject(error);
        });
      }
    });
  }
}
