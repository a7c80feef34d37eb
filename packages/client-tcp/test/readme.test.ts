import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { IPCM_ERROR_CODES } from '@ipcm/client-core';

const root = path.resolve(__dirname, '..');
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');

describe('README', () => {
  test.each(['peer.mjs', 'two-hosts.mjs'])('shows examples/%s exactly as it is', (file) => {
    const source = readFileSync(path.join(root, 'examples', file), 'utf8');
    expect(readme).toContain('```js\n' + source + '```');
  });

  test('the two-hosts example runs and prints the echoed reply', async () => {
    // Runs against dist/ (built by `tsc -b` before jest), as a user would.
    const { stdout } = await promisify(execFile)(process.execPath, [path.join(root, 'examples/two-hosts.mjs')], {
      timeout: 20_000,
    });
    expect(stdout).toBe("child answered { echo: 'hello' }\n");
  });

  test('documents every error code', () => {
    for (const code of IPCM_ERROR_CODES) expect(readme).toContain(`\`${code}\``);
  });

  test.each([
    'id', 'route', 'listen', 'maxConnections', 'maxOutbound', 'maxInbound', 'maxFrameBytes', 'maxPendingBytes',
    'helloTimeoutMs', 'maxHandshakes', 'lingerMs', 'maxQueuedMessages', 'serializer', 'clock',
    'host', 'port', 'peers', 'token', 'tls', 'keepAliveMs', 'connectTimeoutMs',
  ])('documents option %s in an options table', (option) => {
    expect(readme).toMatch(new RegExp(`^\\| \`${option}\` \\| [^|]+ \\|`, 'm'));
  });
});
