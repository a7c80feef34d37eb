import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as core from '../src/index.js';
import { IPCM_ERROR_CODES, IpcmError } from '../src/index.js';

type ErrorClass = new (message: string, options?: { cause?: unknown }) => IpcmError;

const errorClasses: Array<[string, ErrorClass]> = [];
for (const [name, value] of Object.entries(core) as Array<[string, unknown]>) {
  if (typeof value === 'function' && /Error$/.test(name) && name !== 'IpcmError' && new (value as ErrorClass)('x') instanceof IpcmError) {
    errorClasses.push([name, value as ErrorClass]);
  }
}
/** The one code with two classes: the TypeError and the RangeError form. */
const OPTION_ERRORS = ['InvalidOptionError', 'OptionRangeError'];
const readme = readFileSync(path.resolve(__dirname, '../README.md'), 'utf8');

describe('errors', () => {
  test('there is exactly one exported class per code (two for ERR_IPCM_INVALID_OPTION: TypeError and RangeError)', () => {
    const codes = errorClasses
      .filter(([name]) => name !== 'OptionRangeError')
      .map(([, ErrorClass]) => new ErrorClass('x').code)
      .sort();
    expect(codes).toEqual([...IPCM_ERROR_CODES].sort());
    expect(errorClasses.filter(([name]) => OPTION_ERRORS.includes(name)).map(([, C]) => new C('x').code)).toEqual([
      'ERR_IPCM_INVALID_OPTION',
      'ERR_IPCM_INVALID_OPTION',
    ]);
  });

  test('option errors are IpcmErrors and still TypeError / RangeError; other built-in errors are not IpcmErrors', () => {
    expect(new core.InvalidOptionError('x')).toBeInstanceOf(TypeError);
    expect(new core.OptionRangeError('x')).toBeInstanceOf(RangeError);
    expect(new core.InvalidOptionError('x')).toBeInstanceOf(IpcmError);
    expect(new core.OptionRangeError('x')).toBeInstanceOf(IpcmError);
    expect(new core.OptionRangeError('x')).not.toBeInstanceOf(core.BadContentError);
    expect(new TypeError('x')).not.toBeInstanceOf(IpcmError);
    expect(new core.BadContentError('x')).not.toBeInstanceOf(core.BadJsonError);
  });

  test.each(errorClasses)('%s: code, name, cause, instanceof, and documented in the README', (name, ErrorClass) => {
    const cause = new Error('underlying');
    const error = new ErrorClass('something happened', { cause });
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(IpcmError);
    expect(error.name).toBe(name);
    expect(error.message).toBe('something happened');
    expect(error.cause).toBe(cause);
    expect(error.code).toMatch(/^ERR_IPCM_[A-Z_]+$/);
    expect(String(error.stack)).toContain(`${name}: something happened`);
    const documented = OPTION_ERRORS.includes(name) ? `\`${name}\`` : `| \`${error.code}\` | \`${name}\` |`;
    expect(readme).toContain(documented);
  });

  test('codes are stable strings a caller can switch on', () => {
    const error: IpcmError = new core.PeerNotListeningError('no');
    expect(error.code).toBe('ERR_IPCM_PEER_NOT_LISTENING');
  });
});
