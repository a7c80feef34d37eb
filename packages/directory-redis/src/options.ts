import type { Cluster, Redis } from 'ioredis';
import type { RegisterOptions, Timers } from '@ipcm/client-core';

/** A connection the directory may use: an ioredis client (standalone, Sentinel) or Cluster. */
export type RedisConnection = Redis | Cluster;

/** Options of `new RedisDirectory(options)`. */
export interface RedisDirectoryOptions {
  /**
   * An ioredis client (`new Redis(...)`, a Sentinel configuration or a
   * `new Cluster(...)`), or a `redis://` / `rediss://` URL from which the
   * directory creates (and on `close()`, disconnects) its own. A given
   * client is not disconnected by `close()`.
   */
  readonly redis: RedisConnection | string;
  /**
   * The group of peers that see each other: one namespace of ids. Used as
   * the Cluster hash tag, so a group's keys share one slot. A non-empty
   * string without `{`, `}` or control characters.
   */
  readonly group: string;
  /**
   * How long a registration outlives its last refresh, in milliseconds: a
   * killed peer disappears from lookups at most this long after it died.
   * Refreshed every `ttlMs / 3`.
   * @default 10000
   */
  readonly ttlMs?: number | undefined;
  /**
   * First part of every key and of the event channel:
   * `<prefix>:{<group>}:peer:<id>`, `<prefix>:{<group>}:members`,
   * `<prefix>:{<group>}:events`.
   * @default 'ipcm'
   */
  readonly keyPrefix?: string | undefined;
  /**
   * How long a command may wait for Redis (including for a connection that
   * is not ready) before it fails with `ERR_IPCM_DIRECTORY_UNAVAILABLE`.
   * @default 2000
   */
  readonly commandTimeoutMs?: number | undefined;
  /**
   * Whether the listeners of peers registering through this directory
   * require a token or TLS. Publishing an address whose `host` is not a
   * loopback address is refused with `ERR_IPCM_CONFIG` unless this (or the
   * registration's own `authenticated`) is true: anyone who can write to
   * Redis could otherwise redirect an id to a listener of their own.
   * @default false
   */
  readonly authenticated?: boolean | undefined;
  /**
   * Timers for refreshes, the watch's list diff and command timeouts
   * (client-core's `Timers`, as a client's `timers` option).
   * @default globalThis timers, unref'd (the directory never keeps a process alive)
   */
  readonly timers?: Timers | undefined;
}

/** Options of `RedisDirectory.register`: the interface's, plus who may publish beyond loopback. */
export interface RedisRegisterOptions extends RegisterOptions {
  /**
   * This registration's listener requires a token or TLS (overrides the
   * directory's `authenticated` for this registration).
   */
  readonly authenticated?: boolean | undefined;
}
