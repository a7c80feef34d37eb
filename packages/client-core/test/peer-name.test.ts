// Naming rules for route entries: which ids are kept, which are hashed, which
// are refused, and that no id can name a path outside the route directory.
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import fc from 'fast-check';
import { InvalidIdError, RouteError } from '../src/errors.js';
import {
  assertPeerId,
  assertRouteFitsBudget,
  entryNameFor,
  hashedEntryName,
  isHashedEntryName,
  SOCKET_PATH_BUDGET,
} from '../src/peer-name.js';

const dir = '/tmp/ipcm-abc123';

function sha40(id: string): string {
  return 'h-' + createHash('sha256').update(Buffer.from(id, 'utf8')).digest('hex').slice(0, 40);
}

test('plain ids are used as they are', () => {
  for (const id of ['worker-1', 'a', 'Ünïcødé', '日本', 'a.b', '.hidden', 'h', 'H-upper', 'x-h-', 'with space', '😀']) {
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
  ['too long for the socket path budget', 'x'.repeat(SOCKET_PATH_BUDGET - dir.length)],
  ['a control character', 'a\u0001b'],
  ['DEL', 'a\u007fb'],
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

test('the length rule counts bytes of routeDir + "/" + id, up to and including 104', () => {
  const fits = 'x'.repeat(SOCKET_PATH_BUDGET - dir.length - 1);
  expect(Buffer.byteLength(`${dir}/${fits}`)).toBe(SOCKET_PATH_BUDGET);
  expect(entryNameFor(dir, fits)).toBe(fits);
  expect(entryNameFor(dir, fits + 'x')).toBe(sha40(fits + 'x'));
  // Multi-byte characters count as their UTF-8 length, not as UTF-16 units.
  const wide = 'é'.repeat(Math.ceil((SOCKET_PATH_BUDGET - dir.length) / 2));
  expect(wide.length).toBeLessThan(SOCKET_PATH_BUDGET - dir.length);
  expect(entryNameFor(dir, wide)).toBe(sha40(wide));
});

test.each([
  ['empty', ''],
  ['a leading _', '_tmp'],
  ['a lone _', '_'],
  ['a lone high surrogate', 'a\ud800b'],
  ['a lone low surrogate', '\udc00'],
])('an id that is %s is refused with InvalidIdError', (_why, id) => {
  expect(() => entryNameFor(dir, id)).toThrow(InvalidIdError);
  expect(() => assertPeerId(id)).toThrow(InvalidIdError);
});

test('a non-string id is refused with InvalidIdError', () => {
  expect(() => assertPeerId(42)).toThrow(InvalidIdError);
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
      expect(name).not.toMatch(/[\u0000-\u001f\u007f/\\]/);
      expect(name === '.' || name === '..').toBe(false);
      expect(name.startsWith('_')).toBe(false);
      expect(path.dirname(path.join(dir, name))).toBe(dir);
      expect(Buffer.byteLength(`${dir}/${name}`)).toBeLessThanOrEqual(SOCKET_PATH_BUDGET);
    }),
    { numRuns: 2000 },
  );
});

// Fits a 40-byte directory, not a 61-byte one.
const longId = 'a-perfectly-ordinary-but-rather-long-worker-id-0001';

test('R15: under a long route directory a long id is hashed and fits in 104 bytes', () => {
  const longDir = '/tmp/' + 'r'.repeat(SOCKET_PATH_BUDGET - 43 - 5);
  expect(entryNameFor('/tmp/ipcm-abc123', longId)).toBe(longId);
  const name = entryNameFor(longDir, longId);
  expect(name).toBe(sha40(longId));
  expect(Buffer.byteLength(`${longDir}/${name}`)).toBe(SOCKET_PATH_BUDGET);
  expect(() => assertRouteFitsBudget(longDir)).not.toThrow();
});

test('R15: a route directory too long even for a hashed name is an explicit RouteError naming the path and the budget', () => {
  const tooLong = '/tmp/' + 'r'.repeat(SOCKET_PATH_BUDGET - 43 - 4);
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
