// Option errors: coded (ERR_IPCM_INVALID_OPTION), still TypeError/RangeError,
// naming the option and the value; unknown option names refused, naming the
// closest known one.
import * as fs from 'node:fs';
import { CLIENT_OPTION_NAMES, checkOptions } from '../src/check-options.js';
import { InvalidOptionError, IpcmError, OptionRangeError } from '../src/errors.js';
import { checkIntegerOption, checkOptionNames } from '../src/option-checks.js';
import { MAX_TIMER_MS, type ClientOptions } from '../src/options.js';
import { RouteDirectory, removeRoute, spawnRoute } from '../src/route-directory.js';
import { caught } from './helpers.js';

/** Options with a name no client knows, typed as the caller's mistake would be. */
function withTypo(extra: Record<string, unknown>): ClientOptions {
  return { id: 'me', ...extra } as unknown as ClientOptions;
}

describe('client options', () => {
  test('an unknown option name is refused with ERR_IPCM_INVALID_OPTION naming the closest known one', () => {
    const err = caught(() => checkOptions(withTypo({ maxConections: 4 })));
    expect(err).toBeInstanceOf(InvalidOptionError);
    expect(err).toBeInstanceOf(TypeError);
    expect(err).toBeInstanceOf(IpcmError);
    expect(err).toMatchObject({ code: 'ERR_IPCM_INVALID_OPTION' });
    expect((err as Error).message).toMatch(/unknown option "maxConections" in client options; did you mean "maxConnections"\?/);
  });

  test.each([
    ['helloTimeout', 'helloTimeoutMs'],
    ['Listen', 'listen'],
    ['maxframebytes', 'maxFrameBytes'],
    ['serialiser', 'serializer'],
  ])('the typo %s is answered with %s', (typo, meant) => {
    expect((caught(() => checkOptions(withTypo({ [typo]: 1 }))) as Error).message).toContain(`did you mean ${JSON.stringify(meant)}?`);
  });

  test('every documented option is known, and a transport may add its own names', () => {
    const all = Object.fromEntries(CLIENT_OPTION_NAMES.map((name) => [name, undefined]));
    expect(() => checkOptions({ ...all, id: 'me' })).not.toThrow();
    expect(() => checkOptions(withTypo({ port: 1 }))).toThrow(/unknown option "port"/);
    expect(() => checkOptions(withTypo({ port: 1 }), ['port'])).not.toThrow();
  });

  test('a wrong type is an InvalidOptionError (a TypeError), out of range an OptionRangeError (a RangeError), both coded', () => {
    const type = caught(() => checkOptions(withTypo({ listen: 'yes' })));
    expect(type).toBeInstanceOf(InvalidOptionError);
    expect(type).toBeInstanceOf(TypeError);
    expect(type).toMatchObject({ code: 'ERR_IPCM_INVALID_OPTION', message: expect.stringContaining('listen') as unknown });
    const range = caught(() => checkOptions(withTypo({ maxPendingBytes: 0 })));
    expect(range).toBeInstanceOf(OptionRangeError);
    expect(range).toBeInstanceOf(RangeError);
    expect(range).toBeInstanceOf(IpcmError);
    expect(range).toMatchObject({ code: 'ERR_IPCM_INVALID_OPTION', message: expect.stringMatching(/maxPendingBytes.*received 0/) as unknown });
    expect(caught(() => checkOptions(null as unknown as ClientOptions))).toBeInstanceOf(InvalidOptionError);
  });

  test.each(['helloTimeoutMs', 'frameTimeoutMs', 'lingerMs', 'requestTimeoutMs'])(
    'the timer-valued option %s is at most MAX_TIMER_MS (2^31 - 1): a longer delay is refused, not fired after 1 ms',
    (name) => {
      expect(MAX_TIMER_MS).toBe(2 ** 31 - 1);
      expect(checkOptions(withTypo({ [name]: MAX_TIMER_MS }))).toMatchObject({ [name]: MAX_TIMER_MS });
      const range = caught(() => checkOptions(withTypo({ [name]: MAX_TIMER_MS + 1 })));
      expect(range).toBeInstanceOf(OptionRangeError);
      expect(range).toMatchObject({ code: 'ERR_IPCM_INVALID_OPTION', message: expect.stringContaining(`${name} must be an integer from`) as unknown });
      expect((range as Error).message).toContain(`to ${MAX_TIMER_MS}; received ${MAX_TIMER_MS + 1}`);
    },
  );

  test('checkIntegerOption and checkOptionNames, for transport authors, raise the same coded errors', () => {
    expect(caught(() => checkIntegerOption('port', 'x', 0, 0))).toMatchObject({ code: 'ERR_IPCM_INVALID_OPTION', name: 'InvalidOptionError' });
    expect(caught(() => checkIntegerOption('port', 70000, 0, 0, 65535))).toMatchObject({ code: 'ERR_IPCM_INVALID_OPTION', name: 'OptionRangeError' });
    expect(() => checkOptionNames({ hots: 'h' }, ['host', 'port'], 'my options')).toThrow(
      /unknown option "hots" in my options; did you mean "host"\? \(known: host, port\)/,
    );
  });
});

describe('RouteDirectory.open options', () => {
  let base = '';
  beforeEach(async () => {
    base = await spawnRoute({ prefix: 'ipcm-opt-' });
  });
  afterEach(async () => {
    await removeRoute(base);
  });

  test('an unknown option is refused naming the closest known one; bad values are coded TypeErrors / RangeErrors', async () => {
    const typo = await RouteDirectory.open(base, { graceMS: 5 } as unknown as { graceMs: number }).catch((e: unknown) => e);
    expect(typo).toBeInstanceOf(InvalidOptionError);
    expect((typo as Error).message).toContain('did you mean "graceMs"?');
    const range = await RouteDirectory.open(base, { graceMs: -1 }).catch((e: unknown) => e);
    expect(range).toBeInstanceOf(RangeError);
    expect(range).toMatchObject({ code: 'ERR_IPCM_INVALID_OPTION' });
    const type = await RouteDirectory.open(base, { create: 'yes' as unknown as boolean }).catch((e: unknown) => e);
    expect(type).toBeInstanceOf(TypeError);
    expect(type).toMatchObject({ code: 'ERR_IPCM_INVALID_OPTION' });
    expect(fs.existsSync(base)).toBe(true);
  });

  test('spawnRoute refuses an unknown option naming the closest, and a bad prefix, with ERR_IPCM_INVALID_OPTION', async () => {
    const typo = await spawnRoute({ prefx: 'x-' } as unknown as { prefix: string }).catch((e: unknown) => e);
    expect(typo).toBeInstanceOf(InvalidOptionError);
    expect((typo as Error).message).toContain('did you mean "prefix"?');
    await expect(spawnRoute({ prefix: 'a/b' })).rejects.toMatchObject({ code: 'ERR_IPCM_INVALID_OPTION', name: 'InvalidOptionError' });
  });
});
