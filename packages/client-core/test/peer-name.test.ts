// Naming rules for route entries: which ids are kept, which are hashed, which
// are refused, and that no id can name a path outside the route directory.
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import fc from 'fast-check';
import { InvalidIdError, RouteError } from '../src/errors.js';
import { validatePeerId } from '../src/peer-id.js';
import {
  assertRouteFitsBudget,
  entryNameFor,
  hashedEntryName,
  isHashedEntryName,
  SOCKET_PATH_BUDGET,
} from '../src/peer-name.js';
import { perlOnDiskNames } from './perl-vectors.js';

const dir = '/tmp/ipcm-abc123';

function sha40(id: string): string {
  return 'h-' + createHash('sha256').update(Buffer.from(id, 'utf8')).digest('hex').slice(0, 40);
}

test('plain ids are used as they are', () => {
  // DEL is not a C0 control: IPC::Manager keeps it plain, and so do we (see the captured names below).
  for (const id of ['worker-1', 'a', 'Ünïcødé', '日本', 'a.b', '.hidden', 'h', 'H-upper', 'x-h-', 'with space', '😀', 'a\u007fb']) {
    expect(entryNameFor(dir, id)).toBe(id);
  }
});

test('the hashed name is h- plus the first 40 hex digits of sha256 of the UTF-8 id', () => {
  expect(hashedEntryName('abc')).toBe('h-ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'.slice(0, 42));
  expect(hashedEntryName('日本/x')).toBe(sha40('日本/x'));
  expect(isHashedEntryName(hashedEntryName('anything'))).toBe(true);
  expect(isHashedEntryName('h-xyz')).toBe(false);
});

test.each([
  ['too long for the socket path budget', 'x'.repeat(SOCKET_PATH_BUDGET - dir.length - 1)],
  ['a control character', 'a\u0001b'],
  ['a tab', 'tab\there'],
  ['the last C0 control (U+001F)', 'a\u001fb'],
  ['a newline', 'a\nb'],
  ['a slash', 'a/b'],
  ['a backslash', 'a\\b'],
  ['a leading h-', 'h-worker'],
  ['a leading h- that looks hashed', hashedEntryName('other')],
  ['"."', '.'],
  ['".."', '..'],
  ['an embedded NUL', 'a\u0000b'],
  ['a leading NUL', '\u0000abstract'],
  ['a .pid suffix (would be another peer\'s lock)', 'worker.pid'],
  ['a .name suffix', 'worker.name'],
  ['a .stats suffix', 'worker.stats'],
])('an id with %s is hashed', (_why, id) => {
  expect(entryNameFor(dir, id)).toBe(sha40(id));
});

test('the length rule is IPC::Manager\'s: hashed when bytes(route) + 1 + bytes(id) + 1 > 104 (the / and the NUL count)', () => {
  const fits = 'x'.repeat(SOCKET_PATH_BUDGET - dir.length - 2);
  expect(Buffer.byteLength(`${dir}/${fits}`) + 1).toBe(SOCKET_PATH_BUDGET);
  expect(entryNameFor(dir, fits)).toBe(fits);
  expect(entryNameFor(dir, fits + 'x')).toBe(sha40(fits + 'x'));
  // The example: a 16-byte route and an 87-byte id make 105 with the NUL.
  expect(entryNameFor('/tmp/ipcm-abcdef', 'x'.repeat(87))).toBe(sha40('x'.repeat(87)));
  expect(entryNameFor('/tmp/ipcm-abcdef', 'x'.repeat(86))).toBe('x'.repeat(86));
  // Multi-byte characters count as their UTF-8 length, not as UTF-16 units.
  const wide = 'é'.repeat(Math.ceil((SOCKET_PATH_BUDGET - dir.length - 1) / 2));
  expect(wide.length).toBeLessThan(SOCKET_PATH_BUDGET - dir.length - 1);
  expect(entryNameFor(dir, wide)).toBe(sha40(wide));
});

describe('the on-disk names Perl IPC::Manager 0.000038 gave 13 ids (captured, test/fixtures)', () => {
  // A route directory of the captured length: the length rule depends on it.
  const route = '/tmp/' + 'r'.repeat(perlOnDiskNames.routeBytes - 5);
  // Where we deliberately differ (client-unix README, "Interoperating with
  // Perl IPC::Manager"): Perl keeps these plain, which would let ".." name the
  // parent directory and "x.pid" collide with the lock of the peer "x".
  const oursHashed = new Set(['..', 'x.pid']);

  test('the capture has 13 ids and a route of the stated length', () => {
    expect(perlOnDiskNames.cases).toHaveLength(13);
    expect(Buffer.byteLength(route)).toBe(perlOnDiskNames.routeBytes);
    for (const c of perlOnDiskNames.cases) expect(Buffer.byteLength(`${route}/${c.id}`)).toBe(c.path_bytes);
  });

  test.each(perlOnDiskNames.cases.filter((c) => !oursHashed.has(c.id)).map((c) => [JSON.stringify(c.id).slice(0, 40), c] as const))(
    'we name %s exactly as Perl does',
    (_id, c) => {
      expect(entryNameFor(route, c.id)).toBe(c.perl);
    },
  );

  test.each([...oursHashed].map((id) => [id] as const))('%s: Perl keeps it plain, we hash it (documented difference)', (id) => {
    const c = perlOnDiskNames.cases.find((k) => k.id === id);
    expect(c?.perl).toBe(id);
    expect(entryNameFor(route, id)).toBe(sha40(id));
  });

  test('the edge: path_bytes 103 is plain, 104 and more are hashed, as Perl', () => {
    const edge = perlOnDiskNames.cases.filter((c) => /^x+$/.test(c.id));
    expect(edge.map((c) => c.path_bytes)).toEqual([103, 104, 105, 317]);
    for (const c of edge) {
      expect(entryNameFor(route, c.id)).toBe(c.path_bytes < 104 ? c.id : sha40(c.id));
      expect(c.perl).toBe(entryNameFor(route, c.id));
    }
  });
});

test.each([
  ['empty', ''],
  ['a leading _', '_tmp'],
  ['a lone _', '_'],
  ['a lone high surrogate', 'a\ud800b'],
  ['a lone low surrogate', '\udc00'],
])('an id that is %s is refused with InvalidIdError', (_why, id) => {
  expect(() => entryNameFor(dir, id)).toThrow(InvalidIdError);
  expect(() => validatePeerId(id)).toThrow(InvalidIdError);
});

test('a non-string id is refused with InvalidIdError', () => {
  expect(() => validatePeerId(42)).toThrow(InvalidIdError);
  expect(() => entryNameFor(dir, undefined as unknown as string)).toThrow(InvalidIdError);
});

test('R14: ids with /, .., \\, NUL or a leading NUL never name a path outside the route directory', () => {
  const nasty = ['../escape', '..', '.', '/etc/passwd', 'a/../../b', '..\\..\\win', '\u0000abstract', 'a\u0000/../b', 'x/', '/'];
  for (const id of nasty) {
    const name = entryNameFor(dir, id);
    expect(path.dirname(path.join(dir, name))).toBe(dir);
    expect(path.basename(path.join(dir, name))).toBe(name);
    expect(name).not.toMatch(/[\u0000/\\]/);
  }
});

test('R14: property: every accepted id gives one plain file name inside the directory, within the budget', () => {
  const anyUtf16 = fc
    .array(fc.oneof(fc.integer({ min: 0, max: 0x7f }), fc.integer({ min: 0, max: 0xffff })), { maxLength: 120 })
    .map((units) => String.fromCharCode(...units));
  const tricky = fc.constantFrom('.', '..', '/', '\\', '\u0000', 'h-', '_', '.pid', '.stats');
  const id = fc.oneof(anyUtf16, fc.array(fc.oneof(tricky, anyUtf16), { maxLength: 6 }).map((parts) => parts.join('')));
  fc.assert(
    fc.property(id, (candidate) => {
      let name: string;
      try {
        name = entryNameFor(dir, candidate);
      } catch (err) {
        expect(err).toBeInstanceOf(InvalidIdError);
        return;
      }
      expect(name === candidate || name === sha40(candidate)).toBe(true);
      expect(name).not.toMatch(/[\u0000-\u001f/\\]/);
      expect(name === '.' || name === '..').toBe(false);
      expect(name.startsWith('_')).toBe(false);
      expect(path.dirname(path.join(dir, name))).toBe(dir);
      expect(Buffer.byteLength(`${dir}/${name}`) + 1).toBeLessThanOrEqual(SOCKET_PATH_BUDGET);
    }),
    { numRuns: 2000 },
  );
});

// Fits a 40-byte directory, not a 60-byte one.
const longId = 'a-perfectly-ordinary-but-rather-long-worker-id-0001';

test('R15: under a long route directory a long id is hashed and fits in 104 bytes with its NUL', () => {
  const longDir = '/tmp/' + 'r'.repeat(SOCKET_PATH_BUDGET - 44 - 5);
  expect(entryNameFor('/tmp/ipcm-abc123', longId)).toBe(longId);
  const name = entryNameFor(longDir, longId);
  expect(name).toBe(sha40(longId));
  expect(Buffer.byteLength(`${longDir}/${name}`) + 1).toBe(SOCKET_PATH_BUDGET);
  expect(() => assertRouteFitsBudget(longDir)).not.toThrow();
});

test('R15: a route directory too long even for a hashed name is an explicit RouteError naming the path and the budget', () => {
  const tooLong = '/tmp/' + 'r'.repeat(SOCKET_PATH_BUDGET - 44 - 4);
  let caught: unknown;
  try {
    entryNameFor(tooLong, longId);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(RouteError);
  expect((caught as RouteError).code).toBe('ERR_IPCM_ROUTE');
  expect((caught as Error).message).toContain(tooLong);
  expect((caught as Error).message).toContain('104');
  expect(() => assertRouteFitsBudget(tooLong)).toThrow(RouteError);
  // A short id still fits as it is, and is still usable.
  expect(entryNameFor(tooLong, 'a')).toBe('a');
});
