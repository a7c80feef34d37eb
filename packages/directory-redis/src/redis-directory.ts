/*
 * A PeerDirectory in Redis, for peers on many hosts. See scripts.ts for the
 * key layout and the atomic claim/refresh/release, registration for the
 * refresh loop, watch-hub for events, store for failure handling.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import {
  ClientClosedError,
  ConfigError,
  IdInUseError,
  validatePeerId,
  type DirectoryEvent,
  type EntryKind,
  type PeerDirectory,
  type PeerLocation,
  type Timers,
  type WatchOptions,
} from '@ipcm/client-core';
import { checkIntegerOption, MAX_TIMER_MS } from '@ipcm/client-core/internal';
import type { RedisConnection, RedisDirectoryOptions, RedisRegisterOptions } from './options.js';
import { RedisRegistration } from './redis-registration.js';
import { RedisStore, storedValue } from './store.js';
import { WatchHub } from './watch-hub.js';

const DEFAULT_TIMERS: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout> | undefined),
};

/**
 * Peers of one group claim ids, publish addresses and find each other in
 * Redis; a peer that stops refreshing (killed, partitioned) disappears
 * after `ttlMs`.
 *
 * @example
 * ```ts
 * const directory = new RedisDirectory({ redis: 'redis://10.0.0.5:6379', group: 'orders', ttlMs: 10_000 });
 * const registration = await directory.register('worker-1', 'address', { authenticated: true });
 * await registration.publish({ transport: 'tcp', host: '10.0.0.7', port: 7000 });
 * const peer = await directory.lookup('worker-2'); // { id, listening, address } or undefined
 * ```
 */
export class RedisDirectory implements PeerDirectory {
  readonly description: string;
  readonly #store: RedisStore;
  readonly #ownsConnection: boolean;
  readonly #ttlMs: number;
  readonly #authenticated: boolean;
  readonly #hub: WatchHub;
  readonly #registrations = new Set<RedisRegistration>();
  /** Re-claims at once after a reconnect what a restarted Redis may have lost. */
  readonly #onReady = (): void => {
    for (const registration of this.#registrations) registration.refreshNow();
  };
  #closed = false;

  constructor(options: RedisDirectoryOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`RedisDirectory options must be an object; received ${String(options)}`);
    }
    const { group } = options;
    if (typeof group !== 'string' || group === '' || /[{}\u0000-\u001f\u007f]/.test(group)) {
      throw new TypeError(`group must be a non-empty string without "{", "}" or control characters; received ${JSON.stringify(group)}`);
    }
    const prefix = options.keyPrefix ?? 'ipcm';
    if (typeof prefix !== 'string' || /[{}]/.test(prefix)) {
      throw new TypeError(`keyPrefix must be a string without "{" or "}"; received ${JSON.stringify(prefix)}`);
    }
    this.#ttlMs = checkIntegerOption('ttlMs', options.ttlMs, 10_000, 30, 24 * 3600_000);
    const timeoutMs = checkIntegerOption('commandTimeoutMs', options.commandTimeoutMs, 2000, 1, MAX_TIMER_MS);
    if (options.authenticated !== undefined && typeof options.authenticated !== 'boolean') {
      throw new TypeError(`authenticated must be a boolean; received ${String(options.authenticated)}`);
    }
    this.#authenticated = options.authenticated ?? false;
    const timers = options.timers ?? DEFAULT_TIMERS;
    let redis: RedisConnection;
    if (typeof options.redis === 'string') {
      // The URL may hold a password: it goes into no message.
      redis = new Redis(options.redis, { lazyConnect: false });
      this.#ownsConnection = true;
    } else if (typeof options.redis === 'object' && options.redis !== null && typeof options.redis.duplicate === 'function') {
      redis = options.redis;
      this.#ownsConnection = false;
    } else {
      throw new TypeError('redis must be an ioredis client (Redis or Cluster) or a redis:// URL');
    }
    this.#store = new RedisStore(redis, group, prefix, timeoutMs, timers);
    this.#hub = new WatchHub(this.#store, Math.max(1, Math.floor(this.#ttlMs / 3)));
    redis.on('ready', this.#onReady);
    this.description = `redis directory group "${group}" (keys ${prefix}:{${group}}:*)`;
  }

  /** The TTL of registrations, in milliseconds. */
  get ttlMs(): number {
    return this.#ttlMs;
  }

  /**
   * Claims `id`: set only if absent, with a TTL and a random owner token,
   * then refreshed every ttl/3 until released or lost.
   *
   * @throws {IdInUseError} when a live holder has it.
   * @throws {InvalidIdError} for an id no peer may have.
   * @throws {ConfigError} for a `'socket'` registration (Redis holds no socket files).
   * @throws {DirectoryUnavailableError} when Redis does not answer.
   */
  async register(id: string, kind: EntryKind, options: RedisRegisterOptions = {}): Promise<RedisRegistration> {
    this.#checkOpen();
    validatePeerId(id);
    if (kind !== 'address' && kind !== 'marker') {
      throw new ConfigError(`${this.description} keeps addresses and markers, not ${JSON.stringify(kind)} entries (no shared filesystem)`);
    }
    const { signal } = options;
    signal?.throwIfAborted();
    const owner = randomBytes(16).toString('hex');
    if (!(await this.#store.claim(id, storedValue(owner, undefined), this.#ttlMs))) {
      throw new IdInUseError(`peer id "${id}" is held by a live peer in ${this.description}`);
    }
    const registration = new RedisRegistration({
      store: this.#store,
      id,
      kind,
      owner,
      ttlMs: this.#ttlMs,
      authenticated: options.authenticated ?? this.#authenticated,
      onEnd: (ended) => this.#registrations.delete(ended),
    });
    this.#registrations.add(registration);
    if (signal?.aborted === true || this.#closed) {
      await registration.release();
      signal?.throwIfAborted();
      this.#checkOpen();
    }
    return registration;
  }

  /** @throws {DirectoryUnavailableError} when Redis does not answer. */
  async lookup(id: string): Promise<PeerLocation | undefined> {
    this.#checkOpen();
    return this.#store.lookup(id);
  }

  /** @throws {DirectoryUnavailableError} when Redis does not answer. */
  async list(): Promise<PeerLocation[]> {
    this.#checkOpen();
    return this.#store.list();
  }

  /**
   * A `resync` with the group's current list first (the baseline), then up
   * and down events of the group; a `resync` again after the watch's
   * connection came back or when a watcher left more than 1024 events
   * unread. Deaths nobody announced are found by a list diff every
   * `ttlMs / 3`.
   */
  watch(options: WatchOptions = {}): AsyncIterable<DirectoryEvent> {
    return { [Symbol.asyncIterator]: () => this.#hub.watch(options.signal) };
  }

  /**
   * Resolves once the watches iterating now are live: subscribed to the
   * group's channel and knowing who is there, so every later change is
   * reported. Resolves at once when nobody watches.
   */
  whenWatching(): Promise<void> {
    return this.#hub.live();
  }

  /**
   * Ends watches, stops refreshing registrations (their keys expire after
   * `ttlMs`; release them first to leave at once) and disconnects a
   * connection the directory created from a URL. Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#hub.close();
    for (const registration of [...this.#registrations]) registration.stop();
    const redis = this.#store.redis;
    redis.off('ready', this.#onReady);
    // Our own connection keeps our 'error' listener: it may still report one while closing.
    if (this.#ownsConnection) redis.disconnect();
    else this.#store.detach();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #checkOpen(): void {
    if (this.#closed) throw new ClientClosedError(`${this.description} is closed`);
  }
}
