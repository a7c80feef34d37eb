import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { describeWithRedis, RedisServer } from './redis-server';

const root = path.resolve(__dirname, '..');
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');

describe('README', () => {
  test('shows examples/three-hosts.mjs exactly as it is', () => {
    const source = readFileSync(path.join(root, 'examples', 'three-hosts.mjs'), 'utf8');
    expect(readme).toContain('```js\n' + source + '```');
  });

  test.each(['ERR_IPCM_DIRECTORY_UNAVAILABLE', 'ERR_IPCM_ID_IN_USE', 'ERR_IPCM_INVALID_ID', 'ERR_IPCM_CONFIG', 'ERR_IPCM_CLIENT_CLOSED'])(
    'documents error code %s',
    (code) => {
      expect(readme).toContain(`\`${code}\``);
    },
  );

  test.each(['redis', 'group', 'ttlMs', 'keyPrefix', 'commandTimeoutMs', 'authenticated', 'timers'])(
    'documents option %s in an options table',
    (option) => {
      expect(readme).toMatch(new RegExp(`^\\| \`${option}\` \\| [^|]+ \\|`, 'm'));
    },
  );
});

describeWithRedis('README example', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await RedisServer.start();
  });
  afterAll(async () => {
    await server.stop();
  });

  test('three-hosts.mjs runs and prints what it found', async () => {
    // Runs against dist/ (built by `tsc -b` before jest), as a user would.
    const { stdout } = await promisify(execFile)(process.execPath, [path.join(root, 'examples/three-hosts.mjs')], {
      env: { ...process.env, REDIS_URL: server.url },
      timeout: 20_000,
    });
    expect(stdout).toBe('worker-3 listens at 127.0.0.4:7000\nworker-1, worker-2, worker-3\n');
  });
});
