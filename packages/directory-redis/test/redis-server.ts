/*
 * A real redis-server for the tests (RedisServer, from the package's
 * `testing` entry point: one home for tests, examples and benchmarks).
 * Without the binary, tests are skipped with a message saying how to
 * install it, except under CI=true where they fail (`.ci/run` installs it).
 */
import { findRedisServer, INSTALL_HINT } from '@ipcm/directory-redis/testing';

export { findRedisServer, INSTALL_HINT, RedisServer } from '@ipcm/directory-redis/testing';

/**
 * What to do without redis-server: 'run' when it is installed; otherwise
 * 'fail' under CI=true (it must be installed there), else 'skip'.
 */
export function redisRequirement(): 'run' | 'fail' | 'skip' {
  if (findRedisServer() !== undefined) return 'run';
  return process.env['CI'] === 'true' ? 'fail' : 'skip';
}

/**
 * `describe` when redis-server is installed; otherwise a describe whose one
 * test fails under CI=true and is skipped (with the install hint) elsewhere.
 */
export function describeWithRedis(name: string, body: () => void): void {
  const requirement = redisRequirement();
  if (requirement === 'run') {
    describe(name, body);
  } else if (requirement === 'fail') {
    describe(name, () => {
      test('needs redis-server', () => {
        throw new Error(`redis-server is not on PATH: ${INSTALL_HINT}`);
      });
    });
  } else {
    describe(name, () => {
      test.skip(`skipped: redis-server is not on PATH; ${INSTALL_HINT}`, () => undefined);
    });
  }
}

