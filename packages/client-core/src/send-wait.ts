import { InvalidOptionError, SendAbortedError, SendTimeoutError } from './errors.js';
import { unref } from './keep-alive.js';
import { checkIntegerOption, describeValue } from './option-checks.js';
import { MAX_TIMER_MS, type SendOptions, type Timers } from './options.js';
import type { Settler, Waiter } from './connection-writer.js';
import type { PeerConnection } from './peer-connection.js';

/** Room has freed up on `conn`: admits waiting sends, oldest first, while there is room. */
export function admitWaiting(conn: PeerConnection, maxPendingBytes: number): void {
    while (conn.charge < maxPendingBytes && !conn.finished) {
      const waiter = conn.nextWaiter();
      if (waiter === undefined) return;
      waiter.settled = true;
      waiter.release?.();
      try {
        waiter.admit();
      } catch (error) {
        waiter.reject(error as Error);
        continue;
      }
      waiter.resolve();
    }
  }

/** The promise an accepted send returns: already resolved and shared (it carries no state). */
export const RESOLVED: Promise<void> = Promise.resolve();

/**
 * Checks a send's options, naming the option and the value: coded
 * `ERR_IPCM_INVALID_OPTION` errors, `timeoutMs` from 0 to {@link MAX_TIMER_MS}.
 */
export function checkSendOptions(options: SendOptions): void {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError(`send options must be an object; received ${describeValue(options)}`);
  }
  const { timeoutMs, signal } = options;
  if (timeoutMs !== undefined) checkIntegerOption('timeoutMs', timeoutMs, 0, 0, MAX_TIMER_MS);
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new InvalidOptionError(`signal must be an AbortSignal; received ${describeValue(signal)}`);
  }
}

export function abortedError(peerId: string, signal: AbortSignal): SendAbortedError {
  return new SendAbortedError(`send to ${peerId} aborted while waiting`, { cause: signal.reason });
}

/**
 * Arms `timeoutMs` (on the client's `timers`) and `signal` for a waiting
 * send: the first to fire calls `cancel` with a coded error. Both are
 * released when the send settles another way (the waiter's `release`, or
 * the settler's resolve/reject).
 */
export function cancelWith(
  options: SendOptions,
  peerId: string,
  holder: Waiter | Settler,
  timers: Timers,
  cancel: (error: Error) => void,
): void {
  const { timeoutMs, signal } = options;
  if (timeoutMs === undefined && signal === undefined) return;
  let timer: unknown;
  const release = (): void => {
    if (timer !== undefined) timers.clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  };
  const onAbort = (): void => {
    release();
    cancel(abortedError(peerId, signal as AbortSignal));
  };
  if (timeoutMs !== undefined) {
    timer = timers.setTimeout(() => {
      release();
      cancel(new SendTimeoutError(`send to ${peerId} still waiting after timeoutMs (${timeoutMs})`));
    }, timeoutMs);
    // A waiting send's timer never keeps the process alive (Node's handles have unref(); injected ones may not).
    unref(timer);
  }
  signal?.addEventListener('abort', onAbort, { once: true });
  holder.release = release;
}
