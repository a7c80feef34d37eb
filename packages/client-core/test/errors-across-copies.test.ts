// `instanceof` across two installed copies of @ipcm/client-core (two
// versions side by side in node_modules): each copy is the built package
// (dist/, made by `tsc -b` before jest) copied into its own temp
// node_modules, so each has its own classes, as two installs would.
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as source from '../src/index.js';

type Core = typeof source;
type ErrorClass = new (message: string, options?: { cause?: unknown }) => source.IpcmError;

const packageRoot = path.resolve(__dirname, '..');
let dir: string;
let a: Core;
let b: Core;

/** Copies the built package into `<dir>/<name>/node_modules/@ipcm/client-core` and loads it from there. */
function install(name: string): Core {
  const target = path.join(dir, name, 'node_modules', '@ipcm', 'client-core');
  cpSync(path.join(packageRoot, 'dist'), path.join(target, 'dist'), { recursive: true });
  cpSync(path.join(packageRoot, 'package.json'), path.join(target, 'package.json'));
  return require(path.join(target, 'dist', 'index.js')) as Core;
}

/** Every error class a copy exports, by name. */
function errorClasses(core: Core): Array<[string, ErrorClass]> {
  return (Object.entries(core) as Array<[string, unknown]>)
    .filter(([name, value]) => typeof value === 'function' && name !== 'IpcmError' && (value as { prototype: unknown }).prototype instanceof core.IpcmError)
    .map(([name, value]) => [name, value as ErrorClass]);
}

beforeAll(() => {
  expect(existsSync(path.join(packageRoot, 'dist', 'index.js'))).toBe(true);
  dir = mkdtempSync(path.join(tmpdir(), 'ipcm-copies-'));
  a = install('a');
  b = install('b');
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('error classes across two installed copies of client-core', () => {
  test('the copies are distinct: their classes are not the same objects', () => {
    expect(a.ConnectError).not.toBe(b.ConnectError);
    expect(a.IpcmError).not.toBe(b.IpcmError);
    expect(Object.getPrototypeOf(new a.ConnectError('x'))).not.toBe(b.ConnectError.prototype);
    expect(errorClasses(a).map(([name]) => name)).toEqual(errorClasses(b).map(([name]) => name));
  });

  test('an error made by either copy is an IpcmError of the other, both ways', () => {
    for (const [made, other] of [
      [a, b],
      [b, a],
    ] as const) {
      const err = new made.ConnectError('dial failed', { cause: new Error('ECONNREFUSED') });
      expect(err instanceof other.IpcmError).toBe(true);
      expect(err instanceof other.ConnectError).toBe(true);
      expect(err instanceof Error).toBe(true);
    }
  });

  test.each(['a made, b checks', 'b made, a checks'])('every class against every class (%s): instanceof holds for the same code only', (direction) => {
    const [made, checks] = direction.startsWith('a') ? [a, b] : [b, a];
    const checkers = new Map(errorClasses(checks));
    for (const [name, Made] of errorClasses(made)) {
      const err = new Made('x');
      for (const [other, Checker] of checkers) {
        expect([name, other, err instanceof Checker]).toEqual([name, other, name === other]);
      }
      expect(err instanceof checks.IpcmError).toBe(true);
    }
  });

  test('this copy (the sources) and an installed copy recognise each other', () => {
    const fromSource = new source.RequestTimeoutError('late');
    expect(fromSource instanceof a.RequestTimeoutError).toBe(true);
    expect(fromSource instanceof a.RemoteError).toBe(false);
    const installed = new a.DirectoryUnavailableError('redis down');
    expect(installed instanceof source.DirectoryUnavailableError).toBe(true);
    expect(installed instanceof source.IpcmError).toBe(true);
    expect(installed instanceof source.ConnectError).toBe(false);
    // The type narrows as for a local instance.
    const caught: unknown = installed;
    if (caught instanceof source.DirectoryUnavailableError) {
      const code: 'ERR_IPCM_DIRECTORY_UNAVAILABLE' = caught.code;
      expect(code).toBe('ERR_IPCM_DIRECTORY_UNAVAILABLE');
    } else {
      throw new Error('not narrowed');
    }
  });

  test('the brand is needed: an Error with a code, or a plain object, is no IpcmError', () => {
    const lookalike = Object.assign(new Error('x'), { code: 'ERR_IPCM_CONNECT' });
    for (const core of [a, b, source]) {
      expect(lookalike instanceof core.IpcmError).toBe(false);
      expect(lookalike instanceof core.ConnectError).toBe(false);
      expect({ code: 'ERR_IPCM_CONNECT' } instanceof core.ConnectError).toBe(false);
      expect((null as unknown) instanceof core.IpcmError).toBe(false);
      expect(('ERR_IPCM_CONNECT' as unknown) instanceof core.ConnectError).toBe(false);
    }
  });

  test('the brand is a non-enumerable own property of each error: errors print and compare as before; prototypes are not branded', () => {
    const err = new a.ConnectError('x');
    expect(Object.getOwnPropertyDescriptor(err, Symbol.for('ipcm.error'))).toMatchObject({ value: true, enumerable: false });
    expect(err).toEqual(new b.ConnectError('x'));
    expect(a.IpcmError.prototype instanceof b.IpcmError).toBe(false);
    expect(a.IpcmError.prototype instanceof a.IpcmError).toBe(false);
    expect(a.ConnectError.prototype instanceof b.ConnectError).toBe(false);
  });

  test('a class of your own extending ours keeps the ordinary instanceof', () => {
    class RetryableConnectError extends a.ConnectError {}
    const mine = new RetryableConnectError('x');
    expect(mine instanceof RetryableConnectError).toBe(true);
    expect(mine instanceof a.ConnectError).toBe(true);
    expect(mine instanceof b.ConnectError).toBe(true);
    expect(mine instanceof b.IpcmError).toBe(true);
    // Another copy's ConnectError is not one of yours, nor is a plain ConnectError of the same copy.
    expect(new b.ConnectError('x') instanceof RetryableConnectError).toBe(false);
    expect(new a.ConnectError('x') instanceof RetryableConnectError).toBe(false);
  });
});
