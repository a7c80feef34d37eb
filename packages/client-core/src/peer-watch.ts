import { InvalidOptionError, IpcmError, RouteError, WaitTimeoutError } from './errors.js';
import type { PeerEvent } from './client-events.js';
import { validatePeerId } from './message.js';
import { checkIntegerOption, describeValue } from './option-checks.js';
import { MAX_TIMER_MS, type Timers } from './options.js';
import type { PeerDirectory } from './peer-directory.js';
import { dialTarget } from './peer-locator.js';
import type { Transport } from './transport.js';
import { setRef, unref } from './keep-alive.js';

/** First pause before a failed 'peer' watch is restarted; it doubles per failure in a row (failures not separated by {@link RESTART_MAX_MS} of a working watch). */
export const RESTART_MIN_MS = 100;
/** Longest pause between restarts of a failing 'peer' watch. */
export const RESTART_MAX_MS = 30_000;

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
  /** Someone listens for 'peer' but the client has not started: {@link opened} starts the watch. */
  #wanted = false;
  /** The current iteration of the watch; aborted by {@link setRef} to restart it. */
  #iteration: AbortController | undefined;
  /** False after the client's unref(): watches do not keep the process alive. */
  #refed = true;
  /** The pause before a failed watch restarts, while it runs: {@link setRef} re-refs it. */
  #pauseTimer: unknown;

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
      for await (const event of this.#host.directory().watch({ signal: stop.signal, ref: this.#refed })) {
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

  /**
   * Runs the watch behind 'peer' events until nobody listens or the client
   * closes. Before the client has started there is no directory yet: the
   * watch starts in {@link opened}. A watch that fails (a transient read
   * error, the store unreachable) is reported on 'error' and restarted after
   * a pause that doubles per failure in a row ({@link RESTART_MIN_MS} to
   * {@link RESTART_MAX_MS}, on the client's timers); each restart begins with
   * a `resync`, diffed against the peers known so far, so no `up` is
   * repeated and no `down` is missed.
   */
  start(): void {
    if (this.#host.isClosed() || this.#watch !== undefined) return;
    let directory: PeerDirectory;
    try {
      directory = this.#host.directory();
    } catch {
      this.#wanted = true; // not started yet: opened() starts the watch
      return;
    }
    this.#wanted = false;
    const stop = new AbortController();
    this.#watch = stop;
    const signal = AbortSignal.any([stop.signal, this.#lifetime.signal]);
    void this.#run(directory, signal).finally(() => {
      if (this.#watch === stop) this.#watch = undefined;
    });
  }

  /** The client has started (its directory is open): starts the watch if someone listened before. */
  opened(): void {
    if (this.#wanted) this.start();
  }

  /**
   * Follows the client's `ref()`/`unref()`: after `setRef(false)` the watch
   * (and waits begun after) no longer keep the process alive. A running
   * watch is restarted to tell its directory (with a `resync`: nothing is
   * missed).
   */
  setRef(on: boolean): void {
    if (this.#refed === on) return;
    this.#refed = on;
    this.#iteration?.abort();
    if (this.#pauseTimer !== undefined) setRef(this.#pauseTimer, on);
  }

  async #run(directory: PeerDirectory, signal: AbortSignal): Promise<void> {
    // The peers reported up so far: a restart's resync is diffed against it.
    const listed = new Set<string>();
    let failures = 0;
    const timers = this.#host.timers;
    while (!signal.aborted) {
      const iteration = new AbortController();
      this.#iteration = iteration;
      // Failures are "in a row" until a watch has run RESTART_MAX_MS since
      // its first look: not reset by that look alone (a directory failing
      // right after it would restart at the shortest pause forever), nor
      // left to add up over blips hours apart.
      let healthy: unknown;
      try {
        const events = directory.watch({ signal: AbortSignal.any([signal, iteration.signal]), ref: this.#refed });
        for await (const event of events) {
          if (failures > 0 && healthy === undefined) {
            healthy = unref(timers.setTimeout(() => (failures = 0), RESTART_MAX_MS));
          }
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
        // Ended by setRef() (go round again), by us, or the directory closed.
        if (!iteration.signal.aborted) return;
      } catch (error) {
        if (signal.aborted) return;
        if (iteration.signal.aborted) continue; // ended by setRef(): not a failure
        this.#host.reportError(
          error instanceof IpcmError
            ? error
            : new RouteError(`cannot watch ${this.#host.describeDirectory()}: ${String(error)}`, { cause: error }),
        );
        await this.#pause(Math.min(RESTART_MAX_MS, RESTART_MIN_MS * 2 ** failures), signal);
        failures = Math.min(failures + 1, 30);
      } finally {
        if (healthy !== undefined) timers.clearTimeout(healthy);
        if (this.#iteration === iteration) this.#iteration = undefined;
      }
    }
  }

  /** Resolves after `ms` on the client's timers, or at once when `signal` aborts. */
  #pause(ms: number, signal: AbortSignal): Promise<void> {
    const timers = this.#host.timers;
    return new Promise((resolve) => {
      const done = (): void => {
        this.#pauseTimer = undefined;
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = (): void => {
        timers.clearTimeout(timer);
        done();
      };
      const timer = timers.setTimeout(done, ms);
      this.#pauseTimer = timer;
      setRef(timer, this.#refed);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  #changed(listed: Set<string>, id: string, type: 'up' | 'down'): void {
    if (type === 'up') listed.add(id);
    else listed.delete(id);
    if (id !== this.#host.id) this.#host.emitPeer({ id, type });
  }

  /** Stops the watch behind 'peer' events: nobody listens for them any more. */
  stop(): void {
    this.#wanted = false;
    this.#watch?.abort();
    this.#watch = undefined;
  }
}
