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

  test('the CI workflow runs .ci/run on Node 20 and 22', () => {
    const ci = readFileSync(resolve(root, '.github/workflows/ci.yml'), 'utf8');
    expect(ci).toContain('- run: bash .ci/run');
    expect(ci).toMatch(/node: \[20, 22\]/);
    expect(ci).toContain('node-version: ${{ matrix.node }}');
  });

  test('the release workflow uses the changesets action with npm provenance and the README commands', () => {
    const release = readFileSync(resolve(root, '.github/workflows/release.yml'), 'utf8');
    expect(release).toContain('uses: changesets/action@v1');
    expect(release).toContain('id-token: write');
    expect(release).toContain("NPM_CONFIG_PROVENANCE: 'true'");
    const commands = [...release.matchAll(/^\s+(?:version|publish): (.*)$/gm)].map((m) => m[1]);
    expect(commands).toEqual(['npx --yes pnpm@10 changeset version', 'npx --yes pnpm@10 release']);
    for (const command of commands) expect(readme).toContain(`| \`${command}\` |`);
    const scripts = (JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts['release']).toBe('tsc -b && changeset publish');
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
