// Every name a package exports is documented in its README, so the docs
// cannot drift from the public surface: names are read from the package's
// src/index.ts (`export { … }` and `export type { … }` lists), and the
// runtime exports are checked against that list so the parse misses nothing.
// A name counts as documented when it appears in inline code (`…`) or in a
// heading of the README. `export * from '@ipcm/client-core'` (client-unix,
// client-tcp) is documented once, in client-core's README.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const root = resolve(__dirname, '..');
const PACKAGES = ['client-core', 'client-unix', 'client-tcp', 'conncache', 'connection-role', 'directory-redis'];

interface IndexExports {
  readonly names: readonly string[];
  readonly star: readonly string[];
}

function indexExports(pkg: string): IndexExports {
  const source = readFileSync(resolve(root, 'packages', pkg, 'src/index.ts'), 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\/\/.*$/gm, '');
  const names: string[] = [];
  for (const match of source.matchAll(/export\s+(?:type\s+)?\{([^}]*)\}/g)) {
    for (const item of (match[1] ?? '').split(',')) {
      const name = item.trim().replace(/^type\s+/, '').split(/\s+as\s+/).pop()?.trim();
      if (name) names.push(name);
    }
  }
  const star = [...source.matchAll(/export\s+\*\s+from\s+'([^']+)'/g)].map((m) => m[1] ?? '');
  return { names, star };
}

function documented(readme: string, name: string): boolean {
  const word = new RegExp(`\\b${name}\\b`);
  const code = [...readme.matchAll(/`([^`\n]+)`/g)].some((m) => word.test(m[1] ?? ''));
  const heading = readme.split('\n').some((line) => line.startsWith('#') && word.test(line));
  return code || heading;
}

// Removed from the public index (they live on, for the @ipcm packages
// only, in @ipcm/client-core/internal or in the sources).
const INTERNALS = [
  'createRoleHost', 'checkIntegerOption', 'checkOptionNames', 'describeValue', 'encodeMessageFrame', 'createHello',
  'entryNameFor', 'hashedEntryName', 'isHashedEntryName', 'SOCKET_PATH_BUDGET', 'HASHED_NAME_PREFIX', 'secureSocketFile',
  'RoleHostConnection', 'RoleHostContext',
  // The framing and parsing steps under encodeFrame, jsonSerializer and decodeHello.
  'frameLength', 'writeFrame', 'writeFrameHeader', 'toAsciiJson', 'parseJsonPayload', 'decodePayload', 'parseHello', 'isHello',
];

test('internals are not exported by @ipcm/client-core', () => {
  expect(indexExports('client-core').names.filter((name) => INTERNALS.includes(name))).toEqual([]);
  const runtime = Object.keys(jest.requireActual<Record<string, unknown>>('@ipcm/client-core'));
  expect(runtime.filter((name) => INTERNALS.includes(name))).toEqual([]);
});

describe.each(PACKAGES)('@ipcm/%s', (pkg) => {
  const { names, star } = indexExports(pkg);
  const readme = readFileSync(resolve(root, 'packages', pkg, 'README.md'), 'utf8');

  test('the index lists every runtime export by name (or re-exports a whole package)', () => {
    const runtime = Object.keys(jest.requireActual<Record<string, unknown>>(`@ipcm/${pkg}`));
    const starred = new Set(star.flatMap((from) => Object.keys(jest.requireActual<Record<string, unknown>>(from))));
    expect(runtime.filter((name) => !names.includes(name) && !starred.has(name))).toEqual([]);
  });

  test('its README documents every exported name', () => {
    expect(names.filter((name) => !documented(readme, name))).toEqual([]);
  });
});

test("TCP's address type and check are client-tcp's, not client-core's (issue 11)", () => {
  const tcpOnly = ['isTcpAddress', 'TcpAddress'];
  expect(indexExports('client-core').names.filter((name) => tcpOnly.includes(name))).toEqual([]);
  expect(Object.keys(jest.requireActual<Record<string, unknown>>('@ipcm/client-core'))).not.toContain('isTcpAddress');
  expect(indexExports('client-tcp').names).toEqual(expect.arrayContaining(tcpOnly));
});
