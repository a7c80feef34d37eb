/*
 * Opens RedisDirectory instances on one test server, each over its own
 * connection, all in one fresh group: the shape client-core's directory
 * contract suite takes (`{ open, kill?, cleanup }`; see contract.test.ts),
 * also used by this package's own tests.
 */
import { randomBytes } from 'node:crypto';
import type { PeerDirectory, Registration } from '@ipcm/client-core';
import { Redis } from 'ioredis';
import { RedisDirectory, type RedisDirectoryOptions, type RedisRegistration } from '@ipcm/directory-redis';
import type { RedisServer } from './redis-server';

export interface RedisHarness {
  readonly group: string;
  /** A new directory view (its own connection) on the shared group. */
  open(options?: Partial<RedisDirectoryOptions>): Promise<RedisDirectory>;
  /** Makes a registration vanish as if its process were SIGKILLed: refreshes stop, the key expires after its TTL. */
  kill(registration: Registration): Promise<void>;
  /** Closes every directory and connection it opened (not the server). */
  cleanup(): Promise<void>;
}

/**
 * `server` may be a getter, for suites that build harnesses before their
 * `beforeAll` has started the server; it is read at each `open()`.
 */
export function makeRedisHarness(server: RedisServer | (() => RedisServer), defaults: Partial<RedisDirectoryOptions> = {}): RedisHarness {
  const current = typeof server === 'function' ? server : () => server;
  const group = `test-${randomBytes(4).toString('hex')}`;
  const opened: { directory: PeerDirectory; redis: Redis }[] = [];
  return {
    group,
    async open(options = {}) {
      const redis = new Redis(current().url, { maxRetriesPerRequest: 1, retryStrategy: () => 50 });
      const directory = new RedisDirectory({ redis, group, ttlMs: 1000, commandTimeoutMs: 500, ...defaults, ...options });
      opened.push({ directory, redis });
      return directory;
    },
    async kill(registration) {
      // A killed process stops refreshing and never releases.
      (registration as RedisRegistration).stop();
    },
    async cleanup() {
      for (const { directory, redis } of opened.splice(0)) {
        await directory.close();
        redis.disconnect();
      }
    },
  };
}
