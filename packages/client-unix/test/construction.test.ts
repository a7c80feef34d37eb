// Making a UnixClient: only through UnixClient.create, with known options.
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { IllegalConstructorError, InvalidOptionError, IpcmError, UnixClient, type UnixClientOptions } from '../src/index.js';

/** A route path nothing may create: every case below fails before touching it. */
const untouched = path.join(tmpdir(), `ipcm-never-created-${process.pid}`);

test('new UnixClient() from JavaScript throws ERR_IPCM_ILLEGAL_CONSTRUCTOR pointing to UnixClient.create', () => {
  const Unchecked = UnixClient as unknown as new (options: UnixClientOptions) => UnixClient;
  let error: unknown;
  try {
    new Unchecked({ id: 'js', route: untouched });
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(IllegalConstructorError);
  expect(error).toBeInstanceOf(IpcmError);
  expect(error).toMatchObject({ code: 'ERR_IPCM_ILLEGAL_CONSTRUCTOR', message: expect.stringContaining('UnixClient.create(options)') as unknown });
  expect(existsSync(untouched)).toBe(false);
});

test('UnixClient.create refuses a misspelt option (maxConections), naming maxConnections, before touching the route', async () => {
  const options = { id: 'typo', route: untouched, maxConections: 4 } as unknown as UnixClientOptions;
  const error = await UnixClient.create(options).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(InvalidOptionError);
  expect(error).toBeInstanceOf(TypeError);
  expect(error).toMatchObject({ code: 'ERR_IPCM_INVALID_OPTION', message: expect.stringContaining('did you mean "maxConnections"?') as unknown });
  expect(existsSync(untouched)).toBe(false);
});

test('UnixClient.create refuses TCP-only options and a missing route with ERR_IPCM_INVALID_OPTION', async () => {
  const tcpOnly = { id: 'tcp', route: untouched, port: 4000 } as unknown as UnixClientOptions;
  await expect(UnixClient.create(tcpOnly)).rejects.toMatchObject({ code: 'ERR_IPCM_INVALID_OPTION', message: expect.stringContaining('"port"') as unknown });
  const noRoute = { id: 'nowhere' } as unknown as UnixClientOptions;
  await expect(UnixClient.create(noRoute)).rejects.toMatchObject({ code: 'ERR_IPCM_INVALID_OPTION', message: expect.stringContaining('route') as unknown });
  expect(existsSync(untouched)).toBe(false);
});
