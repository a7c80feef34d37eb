// What a user of a published package gets: each package below is built,
// packed with pnpm (which rewrites `workspace:` ranges the way `pnpm publish`
// does), installed from its tarball into a fresh project outside the
// workspace, and used from ESM (`import`), from CommonJS (`require`), and
// from TypeScript (nodenext, strict) in both module kinds.
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { freshNpmEnv, pnpmCommand, run, tarEntries } from './support.js';

interface PackageUnderTest {
  /** Runtime exports that `import { … }` and `require()` must both find, with types. */
  readonly exports: readonly string[];
  /**
   * Statements that use those exports and throw if they misbehave. Must be
   * valid as JavaScript and as strict TypeScript: it goes into all four
   * consumer files.
   */
  readonly exercise: string;
}

// Every publishable package, listed explicitly: one that has not been built
// fails this test rather than being skipped. A package's workspace
// dependencies must be listed too (they are installed from their tarballs;
// the install is offline).
const PACKAGES: Readonly<Record<string, PackageUnderTest>> = {
  '@ipcm/conncache': {
    exports: ['ConnCache'],
    exercise: `
      const cache = new ConnCache();
      const conn = { peer: 'a' };
      cache.deposit('unix', 'a', conn);
      if (cache.withdraw('unix', 'a') !== conn) throw new Error('ConnCache: withdraw did not return the deposit');
    `,
  },
  '@ipcm/connection-role': {
    exports: [
      'ConnectionRole',
      'closeIdleConnections',
      'connections',
      'disconnectConnection',
      'hasConnection',
      'lastActivity',
    ],
    exercise: `
      const table = new Map([['b', { lastActive: 0 }], ['a', { lastActive: 100 }]]);
      class Host {
        connectionTable() { return table; }
        closeConnection() {}
      }
      const host = new (ConnectionRole(Host))();
      if (!host.hasConnection('a') || host.lastActivity('b') !== 0) throw new Error('ConnectionRole misbehaves');
      const closed = closeIdleConnections(
        { connectionTable: () => table, closeConnection: (peerId) => { table.delete(peerId); }, now: () => 100 },
        10,
      );
      if (closed !== 1 || connections(host).join() !== 'a' || hasConnection(host, 'b') || lastActivity(host, 'b') !== undefined) {
        throw new Error('connection-role functions misbehave');
      }
      if (disconnectConnection(host, 'nobody')) throw new Error('disconnectConnection misbehaves');
    `,
  },
  '@ipcm/client-core': {
    exports: ['Client', 'FrameDecoder', 'encodeFrame', 'jsonSerializer', 'IpcmError', 'FrameTooLargeError', 'RouteDirectory'],
    exercise: `
      let decoded = '';
      new FrameDecoder({ maxFrameBytes: 16 }).decode(encodeFrame(jsonSerializer.encode({ a: 1 })), (p) => {
        decoded += JSON.stringify(jsonSerializer.decode(p));
      });
      if (decoded !== '{"a":1}') throw new Error('framing misbehaves');
      const tooLarge = new FrameTooLargeError('x');
      if (!(tooLarge instanceof IpcmError) || tooLarge.code !== 'ERR_IPCM_FRAME_TOO_LARGE') throw new Error('errors misbehave');
      if (typeof Client !== 'function' || typeof RouteDirectory.open !== 'function') throw new Error('Client missing');
    `,
  },
  '@ipcm/client-unix': {
    exports: ['UnixClient', 'UnixTransport', 'spawnRoute', 'PeerNotListeningError'],
    exercise: `
      if (typeof UnixClient.create !== 'function' || new UnixTransport().entryKind !== 'socket') throw new Error('client-unix misbehaves');
      if (typeof spawnRoute !== 'function' || new PeerNotListeningError('x').code !== 'ERR_IPCM_PEER_NOT_LISTENING') throw new Error('re-exports missing');
    `,
  },
  '@ipcm/client-tcp': {
    exports: ['TcpClient', 'TcpTransport', 'isLoopback', 'AuthError'],
    exercise: `
      if (typeof TcpClient.create !== 'function' || !isLoopback('127.0.0.1') || isLoopback('0.0.0.0')) throw new Error('client-tcp misbehaves');
      if (new AuthError('x').code !== 'ERR_IPCM_AUTH' || typeof TcpTransport !== 'function') throw new Error('re-exports missing');
    `,
  },
};

const root = resolve(__dirname, '..');
const skipScripts: NodeJS.ProcessEnv = { ...process.env, npm_config_ignore_scripts: 'true' };
const names = Object.keys(PACKAGES);
const timeoutMs = 90_000;

let work = '';
const tarballs = new Map<string, string>();

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'ipcm-packaging-'));
  // Inside the workspace, node would find the workspace's own packages and
  // the test would prove nothing.
  const fromRoot = relative(root, work);
  if (!fromRoot.startsWith('..') && !isAbsolute(fromRoot)) throw new Error(`temp dir ${work} is inside ${root}`);

  const dirs = names.map(packageDir);
  await run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-b', ...dirs], root);

  const [pnpm, pnpmArgs] = pnpmCommand();
  await Promise.all(
    names.map(async (name, i) => {
      const dest = join(work, 'packs', String(i));
      mkdirSync(dest, { recursive: true });
      // Built just above; the packages' prepack (the same build) is skipped
      // here: five concurrent builds of shared projects would race.
      await run(pnpm, [...pnpmArgs, 'pack', '--pack-destination', dest], join(root, dirs[i] ?? ''), skipScripts);
      const packed = readdirSync(dest).filter((file) => file.endsWith('.tgz'));
      if (packed.length !== 1) throw new Error(`pnpm pack of ${name} made ${packed.join(', ') || 'no tarball'}`);
      tarballs.set(name, join(dest, packed[0] ?? ''));
    }),
  );

  const project = join(work, 'consumer');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'ipcm-consumer', version: '0.0.0', private: true }));
  // Local tarballs need no registry; --offline makes sure of it.
  await run(
    'npm',
    ['install', '--offline', '--no-audit', '--no-fund', '--cache', join(work, 'npm-cache'), ...tarballs.values()],
    project,
    freshNpmEnv(),
  );
  writeConsumers(project);
}, timeoutMs);

afterAll(() => {
  if (work !== '') rmSync(work, { recursive: true, force: true });
});

test.each(names)(
  '%s: the tarball holds dist/index.js, dist/index.d.ts, package.json and README.md, and no tests, sources or build info',
  (name) => {
    const files = [...tarEntries(tarball(name)).keys()];
    const missing = ['dist/index.js', 'dist/index.d.ts', 'package.json', 'README.md'].filter((f) => !files.includes(f));
    expect({ missing, files }).toEqual({ missing: [], files });
    const unwanted = files.filter(
      (file) =>
        /(^|\/)(test|tests|__tests__)\//.test(file) ||
        /\.(test|spec)\.[cm]?[jt]s$/.test(file) ||
        /^src\//.test(file) ||
        (/\.[cm]?ts$/.test(file) && !/\.d\.[cm]?ts$/.test(file)) ||
        /tsbuildinfo/i.test(file),
    );
    expect(unwanted).toEqual([]);
  },
);

test.each(names)('%s: the packed package.json has its own name and no workspace: ranges', (name) => {
  const manifest = tarEntries(tarball(name)).get('package.json')?.toString('utf8') ?? '';
  expect((JSON.parse(manifest) as { name?: unknown }).name).toBe(name);
  expect(manifest).not.toContain('workspace:');
});

test('ESM: import { … } from each package works in a fresh project', async () => {
  const { stdout } = await run(process.execPath, ['consumer.mjs'], join(work, 'consumer'));
  expect(stdout.trim()).toBe('OK');
});

test('CommonJS: require() of each package works in a fresh project', async () => {
  const { stdout } = await run(process.execPath, ['consumer.cjs'], join(work, 'consumer'));
  expect(stdout.trim()).toBe('OK');
});

test('types: consumer-esm.mts and consumer-cjs.cts type-check (nodenext, strict) and no export is any', async () => {
  // What a consumer with `tsc --module nodenext --strict` and @types/node
  // gets; declarations are checked too (no --skipLibCheck).
  await run(
    process.execPath,
    [
      join(root, 'node_modules/typescript/bin/tsc'),
      '--noEmit',
      '--strict',
      '--module',
      'nodenext',
      '--moduleResolution',
      'nodenext',
      '--typeRoots',
      join(root, 'node_modules/@types'),
      '--types',
      'node',
      'consumer-esm.mts',
      'consumer-cjs.cts',
    ],
    join(work, 'consumer'),
  );
}, timeoutMs); // a whole tsc run over @types/node: past jest's 30 s default on a loaded 2-core machine

function packageDir(name: string): string {
  const dir = `packages/${name.replace(/^@ipcm\//, '')}`;
  const manifest = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as { name?: unknown };
  if (manifest.name !== name) throw new Error(`${dir}/package.json is ${String(manifest.name)}, not ${name}`);
  return dir;
}

function tarball(name: string): string {
  const file = tarballs.get(name);
  if (file === undefined) throw new Error(`${name} was not packed`);
  return file;
}

function writeConsumers(project: string): void {
  const imports = names.map((name) => `import { ${PACKAGES[name]?.exports.join(', ')} } from '${name}';`);
  const requires = names.map((name) => `const { ${PACKAGES[name]?.exports.join(', ')} } = require('${name}');`);
  const allExports = names.flatMap((name) => PACKAGES[name]?.exports ?? []);
  const exercises = names.map((name) => `{ // ${name}\n${PACKAGES[name]?.exercise ?? ''}\n}`);
  const defined = `for (const [name, value] of Object.entries({ ${allExports.join(', ')} })) {
  if (value === undefined) throw new Error(name + ' is undefined');
}`;
  // Each export is a class or a function; if its type were missing (any),
  // the assignment would compile and the unused directive would fail tsc.
  const typed = allExports.map(
    (name) => `// @ts-expect-error ${name} must have a real type, not any\nconst typed_${name}: symbol = ${name};`,
  );

  const js = (head: string[]): string => [...head, defined, ...exercises, "console.log('OK');", ''].join('\n');
  writeFileSync(join(project, 'consumer.mjs'), js(imports));
  writeFileSync(join(project, 'consumer.cjs'), js(["'use strict';", ...requires]));
  const ts = [...imports, defined, ...exercises, ...typed, "console.log('OK');", ''].join('\n');
  writeFileSync(join(project, 'consumer-esm.mts'), ts);
  writeFileSync(join(project, 'consumer-cjs.cts'), ts);
}
