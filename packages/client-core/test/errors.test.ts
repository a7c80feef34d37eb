import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as core from '../src/index.js';
import { IPCM_ERROR_CODES, IpcmError } from '../src/index.js';

type ErrorClass = new (message: string, options?: { cause?: unknown }) => IpcmError;

const errorClasses: Array<[string, ErrorClass]> = [];
for (const [name, value] of Object.entries(core) as Array<[string, unknown]>) {
  if (typeof value === 'function' && value.prototype instanceof IpcmError) errorClasses.push([name, value as ErrorClass]);
}
const readme = readFileSync(path.resolve(__dirname, '../README.md'), 'utf8');

describe('errors', () => {
  test('there is exactly one exported class per code', () => {
    const codes = errorClasses.map(([, ErrorClass]) => new ErrorClass('x').code).sort();
    expect(codes).toEqual([...IPCM_ERROR_CODES].sort());
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
    expect(readme).toContain(`| \`${error.code}\` | \`${name}\` |`);
  });

  test('codes are stable strings a caller can switch on', () => {
    const error: IpcmError = new core.PeerNotListeningError('no');
    expect(error.code).toBe('ERR_IPCM_PEER_NOT_LISTENING');
  });
});
