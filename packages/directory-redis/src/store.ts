/*
 * The directory's view of one Redis group: key names, the scripts, and the
 * one place where a command meets an unavailable server. Every command goes
 * through `run`, which fails fast with a coded error instead of letting
 * ioredis queue it until a reconnect that may never come.
 */
import { parseRouteAddress, type PeerLocation, type Timers } from '@ipcm/client-core';
import { DirectoryUnavailableError } from './errors.js';
import type { RedisConnection } from './options.js';
import { CLAIM, HOLD, MEMBERS, RELEASE } from './scripts.js';

/** What a peer key's value says once published (after the owner token). */
interface StoredLocation {
  readonly listening: boolean;
  readonly address?: unknown;
}

/** Outcome of the HOLD script. */
export type HoldResult = 'held' | 'reclaimed' | 'lost';

export class RedisStore {
  readonly redis: RedisConnection;
  readonly group: string;
  readonly channel: string;
  readonly timers: Timers;
  readonly #prefix: string;
  readonly #members: string;
  readonly #timeoutMs: number;
  /** The last connection error ioredis reported: the cause of the next unavailable error. */
  #lastError: unknown;
  readonly #onError = (err: unknown): void => {
    this.#lastError = err;
  };

  constructor(redis: RedisConnection, group: string, prefix: string, timeoutMs: number, timers: Timers) {
    this.redis = redis;
    this.group = group;
    this.timers = timers;
    this.#prefix = `${prefix}:{${group}}:`;
    this.#members = `${this.#prefix}members`;
    this.channel = `${this.#prefix}events`;
    this.#timeoutMs = timeoutMs;
    // An 'error' event without a listener kills the process; ours also
    // remembers the cause for the coded errors below.
    redis.on('error', this.#onError);
  }

  /** Stops listening to the connection's errors (the connection itself belongs to the caller). */
  detach(): void {
    this.redis.off('error', this.#onError);
  }

  keyOf(id: string): string {
    return `${this.#prefix}peer:${id}`;
  }

  /** Claims an absent id with `value`; false when the key exists. */
  async claim(id: string, value: string, ttlMs: number): Promise<boolean> {
    const result = await this.run(`claiming "${id}"`, () =>
      this.redis.eval(CLAIM, 2, this.keyOf(id), this.#members, value, ttlMs, id),
    );
    return result === 1;
  }

  /** Refreshes (or, with `publish`, rewrites) a claim owned by `owner`; re-claims an absent key. */
  async hold(id: string, owner: string, value: string, ttlMs: number, mode: 'refresh' | 'publish', upEvent: string): Promise<HoldResult> {
    const result = await this.run(`keeping "${id}"`, () =>
      this.redis.eval(HOLD, 2, this.keyOf(id), this.#members, owner, ttlMs, id, value, mode, this.channel, upEvent),
    );
    return result === 1 ? 'held' : result === 2 ? 'reclaimed' : 'lost';
  }

  /** Deletes a claim owned by `owner`; false when it was not (any more) ours. */
  async release(id: string, owner: string, downEvent: string): Promise<boolean> {
    const result = await this.run(`releasing "${id}"`, () =>
      this.redis.eval(RELEASE, 2, this.keyOf(id), this.#members, owner, id, this.channel, downEvent),
    );
    return result === 1;
  }

  async lookup(id: string): Promise<PeerLocation | undefined> {
    const value = await this.run(`looking up "${id}"`, () => this.redis.get(this.keyOf(id)));
    return parseValue(id, value);
  }

  /** Every published, unexpired peer, sorted by id. */
  async list(): Promise<PeerLocation[]> {
    const ids = await this.run('listing members', () => this.redis.eval(MEMBERS, 1, this.#members));
    if (!Array.isArray(ids) || ids.length === 0) return [];
    const names = ids.filter((id): id is string => typeof id === 'string');
    const values = await this.run('listing members', () => this.redis.mget(names.map((id) => this.keyOf(id))));
    const peers: PeerLocation[] = [];
    names.forEach((id, i) => {
      const location = parseValue(id, values[i] ?? null);
      if (location !== undefined) peers.push(location);
    });
    return peers.sort(byId);
  }

  /**
   * Runs one command: waits (within the timeout) for a connection that is
   * not ready yet, and turns a failure or a timeout into a
   * {@link DirectoryUnavailableError} naming what was being done.
   */
  async run<T>(what: string, command: () => Promise<T>): Promise<T> {
    let timer: unknown;
    let onReady: (() => void) | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = this.timers.setTimeout(() => reject(this.#unavailable(what, 'no answer within commandTimeoutMs')), this.#timeoutMs);
    });
    try {
      if (this.redis.status !== 'ready') {
        if (this.redis.status === 'wait') this.redis.connect().catch(this.#onError);
        await Promise.race([new Promise<void>((resolve) => this.redis.once('ready', (onReady = resolve))), timeout]);
      }
      return await Promise.race([command(), timeout]);
    } catch (err) {
      throw err instanceof DirectoryUnavailableError ? err : this.#unavailable(what, 'the command failed', err);
    } finally {
      this.timers.clearTimeout(timer);
      if (onReady !== undefined) this.redis.off('ready', onReady);
    }
  }

  #unavailable(what: string, why: string, cause: unknown = this.#lastError): DirectoryUnavailableError {
    const state = `connection ${this.redis.status}`;
    return new DirectoryUnavailableError(`redis directory group "${this.group}": ${what}: ${why} (${state})`, { cause });
  }
}

/** Orders locations by id, as `list()` returns them. */
export function byId(a: PeerLocation, b: PeerLocation): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** The value a registration stores: its owner token, a newline, its location (if published). */
export function storedValue(owner: string, location: PeerLocation | undefined): string {
  if (location === undefined) return `${owner}\n`;
  const stored: StoredLocation = location.listening ? { listening: true, address: location.address } : { listening: false };
  return `${owner}\n${JSON.stringify(stored)}`;
}

/**
 * A peer key's value as a location; `undefined` for an absent, unpublished
 * or malformed value (anything but what {@link storedValue} writes).
 */
function parseValue(id: string, value: string | null): PeerLocation | undefined {
  if (value === null) return undefined;
  const json = value.slice(value.indexOf('\n') + 1);
  if (json === '') return undefined;
  let stored: unknown;
  try {
    stored = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (typeof stored !== 'object' || stored === null) return undefined;
  const { listening, address } = stored as StoredLocation;
  if (listening === false) return { id, listening: false };
  if (listening !== true) return undefined;
  const parsed = parseRouteAddress(JSON.stringify(address));
  return parsed === undefined ? undefined : { id, listening: true, address: parsed };
}
