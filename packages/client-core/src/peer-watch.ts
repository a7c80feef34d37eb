import { InvalidOptionError, IpcmError, RouteError, WaitTimeoutError } from './errors.js';
import type { PeerEvent } from './client-events.js';
import { validatePeerId } from './message.js';
import { checkIntegerOption, describeValue } from './option-checks.js';
import { MAX_TIMER_MS, type Timers } from './options.js';
import type { PeerDirectory } from './peer-directory.js';
import { dialTarget } from './peer-locator.js';
import type { Transport } from './transport.js';

/** Options of {@link Client.waitForPeer}. */
export interface WaitForPeerOptions {
  /** Rejects with `ERR_IPCM_WAIT_TIMEOUT` when the peer is not up after this many ms. @default no timeout */
  timeoutMs?: number | undefined;
  /** Rejects with the signal's reason when aborted. */
  signal?: AbortSignal | undefined;
}

/** What a {@link PeerWatch} needs from its client. */
export interface PeerWatchHost {
  readonly id: string;
  readonly transport: Transport;
  readonly timers: Timers;
  isClosed(): boolean;
  /** The client's directory; throws the client-closed error when there is none. */
  directory(): PeerDirectory;
  describeDirectory(): string;
  closedError(): Error;
  emitPeer(event: PeerEvent): void;
  reportError(error: IpcmError): void;
}

/**
 * The client's view of peers coming and going in its directory:
 * `waitForPeer()`, and the watch behind `'peer'` events, run only while
 * someone listens for them. Both end when the client closes.
 */
export class PeerWatch {
  readonly #host: PeerWatchHost;
  /** Aborted when the client closes: ends waitFor() and the watch. */
  readonly #lifetime = new AbortController();
  /** Stops the watch behind 'peer' events; set while someone listens for them. */
  #watch: AbortController | undefined;

  constructor(host: PeerWatchHost) {
    this.#host = host;
  }

  /** True while the watch behind 'peer' events runs. */
  get watching(): boolean {
    return this.#watch !== undefined;
  }

  /** The client closed: ends every wait and the watch. */
  close(): void {
    this.#lifetime.abort();
  }

  /** See {@link Client.waitForPeer}; the client checks it is open first. */
  async waitFor(peerId: string, options: WaitForPeerOptions): Promise<void> {
    validatePeerId(peerId);
    const { timeoutMs, signal } = options;
    if (timeoutMs !== undefined) checkIntegerOption('timeoutMs', timeoutMs, 0, 0, MAX_TIMER_MS);
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      throw new InvalidOptionError(`signal must be an AbortSignal; received ${describeValue(signal)}`);
    }
    signal?.throwIfAborted();
    const stop = new AbortController();
    const onAbort = (): void => stop.abort(signal?.reason);
    const onClose = (): void => stop.abort(this.#host.closedError());
    signal?.addEventListener('abort', onAbort, { once: true });
    this.#lifetime.signal.addEventListener('abort', onClose, { once: true });
    const timer =
      timeoutMs === undefined
        ? undefined
        : this.#host.timers.setTimeout(
            () => stop.abort(new WaitTimeoutError(`peer ${JSON.stringify(peerId)} was not up within ${timeoutMs} ms`)),
            timeoutMs,
          );
    try {
      for await (const event of this.#host.directory().watch({ signal: stop.signal })) {
        const location =
          event.type === 'resync'
            ? event.peers.find((each) => each.id === peerId)
            : event.type === 'up' && event.id === peerId
              ? event.location
              : undefined;
        // Not listed, or listed without listening yet: keep waiting.
        if (location === undefined || !location.listening) continue;
        dialTarget(location, this.#host.transport); // throws WrongTransportError for another transport's peer
        return;
      }
    } finally {
      if (timer !== undefined) this.#host.timers.clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      this.#lifetime.signal.removeEventListener('abort', onClose);
    }
    // The watch ended: because we stopped it, or the directory closed.
    throw stop.signal.aborted ? stop.signal.reason : this.#host.closedError();
  }

  /** Runs the watch behind 'peer' events until nobody listens or the client closes. */
  start(): void {
    if (this.#host.isClosed()) return;
    const stop = new AbortController();
    this.#watch = stop;
    const signal = AbortSignal.any([stop.signal, this.#lifetime.signal]);
    // Before the client has started there is no directory yet: watch once there is.
    const run = async (): Promise<void> => {
      const listed = new Set<string>();
      for await (const event of this.#host.directory().watch({ signal })) {
        if (event.type === 'resync') {
          const now = new Set(event.peers.map((location) => location.id));
          for (const id of listed) if (!now.has(id)) this.#changed(listed, id, 'down');
          for (const id of now) if (!listed.has(id)) this.#changed(listed, id, 'up');
        } else if (event.type === 'up') {
          if (!listed.has(event.id)) this.#changed(listed, event.id, 'up');
        } else if (listed.has(event.id)) {
          this.#changed(listed, event.id, 'down');
        }
      }
    };
    void run().then(
      () => undefined,
      (error: unknown) => {
        if (!signal.aborted) this.#host.reportError(error instanceof IpcmError ? error : new RouteError(`cannot watch ${this.#host.describeDirectory()}: ${String(error)}`, { cause: error }));
      },
    ).finally(() => {
      if (this.#watch === stop) this.#watch = undefined;
    });
  }

  #changed(listed: Set<string>, id: string, type: 'up' | 'down'): void {
    if (type === 'up') listed.add(id);
    else listed.delete(id);
    if (id !== this.#host.id) this.#host.emitPeer({ id, type });
  }

  /** Stops the watch behind 'peer' events: nobody listens for them any more. */
  stop(): void {
    this.#watch?.abort();
    this.#watch = undefined;
  }
}
