// The top-level README's promises: its commands are the ones CI runs, and
// its quick start is a real program that prints what the README says.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

const root = resolve(__dirname, '..');
const readme = readFileSync(resolve(root, 'README.md'), 'utf8');

describe('README', () => {
  test('opens with the two commands: install + demo, and the tests', () => {
    const block = /```sh\n([^`]*)```/.exec(readme.slice(0, 800))?.[1]?.trim().split('\n');
    expect(block).toEqual([
      'npx --yes pnpm@10 install --frozen-lockfile && npx --yes pnpm@10 demo',
      'npx --yes pnpm@10 test',
    ]);
  });

  test('.ci/run installs with the frozen lockfile and runs the README test command', () => {
    const ci = readFileSync(resolve(root, '.ci/run'), 'utf8').split('\n');
    expect(ci).toContain('npx --yes pnpm@10 install --frozen-lockfile');
    expect(ci).toContain('npx --yes pnpm@10 test');
  });

  test('the quick start is examples/quick-start.mjs, verbatim, and prints the reply', async () => {
    const source = readFileSync(resolve(root, 'examples/quick-start.mjs'), 'utf8');
    expect(readme).toContain('```js\n' + source + '```');
    const { stdout } = await promisify(execFile)(process.execPath, [resolve(root, 'examples/quick-start.mjs')], {
      timeout: 20_000,
    });
    expect(stdout).toBe('hello alice, got "hi bob"\n');
    expect(readme).toContain('prints `hello alice, got "hi bob"`');
  });
});
