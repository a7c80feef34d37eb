// Making a TcpClient: only through TcpClient.create, with known options.
import { IllegalConstructorError, InvalidOptionError, OptionRangeError, TcpClient, type TcpClientOptions } from '../src/index.js';

test('new TcpClient() from JavaScript throws ERR_IPCM_ILLEGAL_CONSTRUCTOR pointing to TcpClient.create', () => {
  const Unchecked = TcpClient as unknown as new (options: TcpClientOptions) => TcpClient;
  let error: unknown;
  try {
    new Unchecked({ id: 'js', listen: false });
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(IllegalConstructorError);
  expect(error).toMatchObject({ code: 'ERR_IPCM_ILLEGAL_CONSTRUCTOR', message: expect.stringContaining('TcpClient.create(options)') as unknown });
});

test.each([
  ['prot', 'port'],
  ['keepAlive', 'keepAliveMs'],
  ['maxConections', 'maxConnections'],
  ['tokn', 'token'],
])('TcpClient.create refuses the misspelt option %s, naming %s', async (typo, meant) => {
  const options = { id: 'typo', listen: false, [typo]: 1 } as unknown as TcpClientOptions;
  const error = await TcpClient.create(options).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(InvalidOptionError);
  expect(error).toMatchObject({ code: 'ERR_IPCM_INVALID_OPTION', message: expect.stringContaining(`did you mean ${JSON.stringify(meant)}?`) as unknown });
});

test('TCP option errors are coded and keep TypeError / RangeError', async () => {
  const type = await TcpClient.create({ id: 'a', listen: false, host: 5 as unknown as string }).catch((e: unknown) => e);
  expect(type).toBeInstanceOf(TypeError);
  expect(type).toMatchObject({ code: 'ERR_IPCM_INVALID_OPTION' });
  const range = await TcpClient.create({ id: 'a', listen: false, port: 70000 }).catch((e: unknown) => e);
  expect(range).toBeInstanceOf(OptionRangeError);
  expect(range).toBeInstanceOf(RangeError);
  expect(range).toMatchObject({ code: 'ERR_IPCM_INVALID_OPTION' });
});
