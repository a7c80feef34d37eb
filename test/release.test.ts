// The release flow, end to end, on a copy of the working tree: record ->
// `changeset version` -> `pnpm -r publish --dry-run`. Nothing is published
// and the repository itself is not touched.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pnpmCommand, run, tarEntries } from './support.js';

const root = resolve(__dirname, '..');
const PUBLIC = ['conncache', 'connection-role', 'client-core', 'client-unix', 'client-tcp', 'directory-redis'];

interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  dependencies?: Record<string, string>;
}

let copy = '';
let published = '';
const versions = new Map<string, string>();
/** client-unix packed on the fresh copy before anything was built: its prepack must build it. */
let cleanTarball = '';
let builtBeforePack: string[] = [];

beforeAll(async () => {
  copy = mkdtempSync(join(tmpdir(), 'ipcm-release-'));
  // The files git would commit (tracked, and untracked but not ignored).
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root })
    .toString()
    .split('\0')
    .filter((file) => file !== '' && existsSync(join(root, file)));
  for (const file of files) {
    mkdirSync(dirname(join(copy, file)), { recursive: true });
    cpSync(join(root, file), join(copy, file));
  }
  const [pnpm, pnpmArgs] = pnpmCommand();
  // The store is warm (the workspace was just installed from it): offline.
  await run(pnpm, [...pnpmArgs, 'install', '--offline', '--frozen-lockfile'], copy);
  // Publishing must never ship an empty package: packing with no prior
  // build runs the package's prepack, which builds it (and what it needs).
  builtBeforePack = PUBLIC.filter((name) => existsSync(join(copy, 'packages', name, 'dist')));
  const cleanDest = join(copy, 'packed-clean');
  mkdirSync(cleanDest);
  await run(pnpm, [...pnpmArgs, 'pack', '--pack-destination', cleanDest], join(copy, 'packages', 'client-unix'));
  cleanTarball = join(cleanDest, readdirSync(cleanDest)[0] ?? '');
  await run(process.execPath, [join(copy, 'node_modules/typescript/bin/tsc'), '-b', ...PUBLIC.map((p) => `packages/${p}`)], copy);
  for (const name of PUBLIC) versions.set(name, manifest(name).version);
  // Right after a release nothing is pending: record a change, as a
  // contributor would, so the flow still has something to do.
  const pending = readdirSync(join(copy, '.changeset')).filter((file) => file.endsWith('.md') && file !== 'README.md');
  if (pending.length === 0) {
    const header = PUBLIC.map((name) => `'@ipcm/${name}': patch`).join('\n');
    writeFileSync(join(copy, '.changeset', 'release-test.md'), `---\n${header}\n---\n\nRelease test.\n`);
  }
  await run(process.execPath, [join(copy, 'node_modules/@changesets/cli/bin.js'), 'version'], copy);
  published = (await run(pnpm, [...pnpmArgs, '-r', 'publish', '--dry-run', '--no-git-checks'], copy)).stdout;
}, 180_000);

afterAll(() => {
  if (copy !== '') rmSync(copy, { recursive: true, force: true });
});

function manifest(name: string): Manifest {
  return JSON.parse(readFileSync(join(copy, 'packages', name, 'package.json'), 'utf8')) as Manifest;
}

test('client-unix packed on a clean copy with no prior build holds its built dist/ (prepack builds it)', () => {
  expect(builtBeforePack).toEqual([]);
  const files = [...tarEntries(cleanTarball).keys()];
  expect(files).toEqual(expect.arrayContaining(['dist/index.js', 'dist/index.d.ts', 'dist/unix-client.js', 'package.json']));
});

test.each(PUBLIC)('%s has a prepack script that builds it, so publishing never ships an empty package', (name) => {
  const scripts = (manifest(name) as Manifest & { scripts?: Record<string, string> }).scripts ?? {};
  expect(scripts['prepack']).toBe('tsc -b');
});

test.each(PUBLIC)("%s's CHANGELOG lists only its own changes, not another package's notes", (name) => {
  const changelog = readFileSync(join(copy, 'packages', name, 'CHANGELOG.md'), 'utf8');
  for (const other of PUBLIC.filter((p) => p !== name)) {
    // A note written for several packages at once shows up as a bullet per package.
    expect(changelog).not.toContain(`\`@ipcm/${other}\`:`);
  }
});

test.each(PUBLIC)('changeset version bumps %s and writes its CHANGELOG', (name) => {
  const after = manifest(name);
  expect(after.version).not.toBe(versions.get(name));
  const changelog = readFileSync(join(copy, 'packages', name, 'CHANGELOG.md'), 'utf8');
  expect(changelog).toContain(`# @ipcm/${name}`);
  expect(changelog).toContain(`## ${after.version}`);
});

test('publish --dry-run publishes every public package, at its new version', () => {
  for (const name of PUBLIC) expect(published).toContain(`+ @ipcm/${name}@${manifest(name).version}`);
  // The private packages (their manifests say so) are never published.
  expect(published).not.toMatch(/\+ @ipcm\/(bench|demo|examples|peer-process)@/);
});

test.each(['client-unix', 'client-tcp', 'client-core'])(
  '%s as packed for publishing: workspace ranges rewritten to the new versions, no tests',
  async (name) => {
    const dest = join(copy, 'packed', name);
    mkdirSync(dest, { recursive: true });
    const [pnpm, pnpmArgs] = pnpmCommand();
    // Built already (its prepack is proven on the clean copy above): skip it here.
    await run(pnpm, [...pnpmArgs, 'pack', '--pack-destination', dest], join(copy, 'packages', name), {
      ...process.env,
      npm_config_ignore_scripts: 'true',
    });
    const [file] = readdirSync(dest);
    const entries = tarEntries(join(dest, file ?? ''));
    const packed = JSON.parse((entries.get('package.json') ?? Buffer.from('{}')).toString()) as Manifest;
    for (const [dependency, range] of Object.entries(packed.dependencies ?? {})) {
      const sibling = dependency.replace('@ipcm/', '');
      expect(range).toBe(`^${manifest(sibling).version}`);
    }
    expect([...entries.keys()].filter((path) => /test|\.ts$/.test(path) && !path.endsWith('.d.ts'))).toEqual([]);
  },
);
