/*
 * One id held in Redis: the claim's owner token, its refresh loop and its
 * release. The loop refreshes every ttl/3; a failed refresh (Redis
 * unreachable) is retried with backoff, and a refresh that finds the key
 * gone re-claims it. Only a key held by another owner ends the claim
 * (`lost`).
 */
import {
  ConfigError,
  IdInUseError,
  isLoopback,
  parseRouteAddress,
  type EntryKind,
  type PeerLocation,
  type Registration,
  type RouteAddress,
} from '@ipcm/client-core';
import { storedValue, type RedisStore } from './store.js';

/** First retry delay after a failed refresh; doubles up to the refresh interval. */
const FIRST_RETRY_MS = 50;

export interface RegistrationSettings {
  readonly store: RedisStore;
  readonly id: string;
  readonly kind: EntryKind;
  readonly owner: string;
  readonly ttlMs: number;
  readonly authenticated: boolean;
  /** Called once, when the registration ends (released or lost). */
  readonly onEnd: (registration: RedisRegistration) => void;
}

export class RedisRegistration implements Registration {
  readonly id: string;
  readonly kind: EntryKind;
  readonly path = undefined;
  readonly #settings: RegistrationSettings;
  readonly #lost = new AbortController();
  #location: PeerLocation | undefined;
  #timer: unknown;
  #failures = 0;
  #refreshing = false;
  #refreshAgain = false;
  #ended = false;

  constructor(settings: RegistrationSettings) {
    this.#settings = settings;
    this.id = settings.id;
    this.kind = settings.kind;
    this.#schedule(this.#interval());
  }

  get lost(): AbortSignal {
    return this.#lost.signal;
  }

  /**
   * Publishes the location: an address for `'address'` registrations (whose
   * host must be loopback unless the registration is `authenticated`), none
   * for `'marker'`. Sends an `up` event to watchers.
   *
   * @throws {ConfigError} for a non-loopback host without `authenticated`.
   * @throws {IdInUseError} when the claim was lost.
   * @throws {DirectoryUnavailableError} when Redis does not answer.
   */
  async publish(address?: RouteAddress): Promise<void> {
    const location = this.#locationFor(address);
    if (this.#lost.signal.aborted) throw this.#lost.signal.reason;
    if (this.#ended) throw new IdInUseError(`peer id "${this.id}" was released from ${this.#describe()}`);
    const { store, owner, ttlMs } = this.#settings;
    const result = await store.hold(this.id, owner, storedValue(owner, location), ttlMs, 'publish', upEvent(location));
    if (result === 'lost') {
      this.#lose();
      throw this.#lost.signal.reason;
    }
    this.#location = location;
  }

  /**
   * Deletes the key if it is still ours and tells watchers. Never throws:
   * when Redis cannot be reached the key expires within `ttlMs`.
   */
  async release(): Promise<void> {
    if (this.#ended) return;
    this.#end();
    const { store, owner } = this.#settings;
    await store.release(this.id, owner, JSON.stringify({ type: 'down', id: this.id })).catch(() => undefined);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.release();
  }

  /** Refreshes now (after a reconnect): re-claims at once what a restarted Redis lost. */
  refreshNow(): void {
    if (this.#ended) return;
    this.#settings.store.timers.clearTimeout(this.#timer);
    void this.#refresh();
  }

  /** Stops refreshing without deleting the key (the directory closed): it expires after `ttlMs`. */
  stop(): void {
    this.#end();
  }

  async #refresh(): Promise<void> {
    if (this.#refreshing) {
      this.#refreshAgain = true;
      return;
    }
    this.#refreshing = true;
    const { store, owner, ttlMs } = this.#settings;
    let delay = this.#interval();
    try {
      const result = await store.hold(this.id, owner, storedValue(owner, this.#location), ttlMs, 'refresh', upEvent(this.#location));
      this.#failures = 0;
      if (result === 'lost') this.#lose();
    } catch {
      // Redis unreachable (a coded error): retry sooner, backing off.
      delay = Math.min(delay, FIRST_RETRY_MS * 2 ** this.#failures);
      this.#failures += 1;
    } finally {
      this.#refreshing = false;
    }
    if (this.#ended) return;
    if (this.#refreshAgain) {
      this.#refreshAgain = false;
      void this.#refresh();
      return;
    }
    this.#schedule(delay);
  }

  #schedule(delay: number): void {
    this.#timer = this.#settings.store.timers.setTimeout(() => void this.#refresh(), delay);
  }

  #interval(): number {
    return Math.max(1, Math.floor(this.#settings.ttlMs / 3));
  }

  #lose(): void {
    if (this.#ended) return;
    this.#end();
    this.#lost.abort(new IdInUseError(`peer id "${this.id}" was lost: another holder has it in ${this.#describe()}`));
  }

  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#settings.store.timers.clearTimeout(this.#timer);
    this.#settings.onEnd(this);
  }

  #describe(): string {
    return `redis directory group "${this.#settings.store.group}"`;
  }

  #locationFor(address: RouteAddress | undefined): PeerLocation {
    if (this.kind === 'marker') {
      if (address !== undefined) throw new TypeError(`a marker registration publishes no address; received one for "${this.id}"`);
      return { id: this.id, listening: false };
    }
    if (address === undefined || parseRouteAddress(JSON.stringify(address)) === undefined) {
      throw new TypeError(
        `an address registration publishes an object with a non-empty string "transport"`,
      );
    }
    const host = address['host'];
    // Anyone who can write to Redis can publish any address under any id:
    // only a listener that authenticates its callers may be reachable from
    // other hosts (R44).
    if (typeof host === 'string' && !isLoopback(host) && !this.#settings.authenticated) {
      throw new ConfigError(
        `publishing "${this.id}" at ${JSON.stringify(host)} would let other hosts dial it; its listener needs a token or tls, then register with authenticated: true`,
      );
    }
    return { id: this.id, listening: true, address };
  }
}

function upEvent(location: PeerLocation | undefined): string {
  return location === undefined ? '' : JSON.stringify({ type: 'up', id: location.id, location });
}
