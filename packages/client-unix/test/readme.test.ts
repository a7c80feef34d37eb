import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';

const root = path.resolve(__dirname, '..');
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');

describe('README', () => {
  test.each(['echo-peer.mjs', 'two-process.mjs'])('shows examples/%s exactly as it is', (file) => {
    const source = readFileSync(path.join(root, 'examples', file), 'utf8');
    expect(readme).toContain('```js\n' + source + '```');
  });

  test('the two-process example runs and prints the echoed reply', async () => {
    // Runs against dist/ (built by `tsc -b` before jest), as a user would.
    const { stdout } = await promisify(execFile)(process.execPath, [path.join(root, 'examples/two-process.mjs')], {
      timeout: 20_000,
    });
    expect(stdout).toBe("echo answered { echo: 'hello' }\n");
  });
});
