// The static directory (today's TCP `peers` option): the contract cases that
// apply to a map, and what a map does of its own.
import { ConfigError, InvalidIdError } from '../../src/errors.js';
import { StaticDirectory } from '../../src/static-directory.js';
import type { RouteAddress } from '../../src/route-types.js';
import { describeDirectoryContract } from './contract.js';

const db: RouteAddress = { transport: 'tcp', host: '127.0.0.1', port: 4000 };
const cache: RouteAddress = { transport: 'tcp', host: '127.0.0.1', port: 4001 };

describeDirectoryContract('static map', async () => ({
  open: () => Promise.resolve(new StaticDirectory({ db })),
  cleanup: () => Promise.resolve(),
  supports: { registry: false },
}));

describe('StaticDirectory', () => {
  test('lookup and list answer from the map, sorted by id, every peer listening at its address', async () => {
    const directory = new StaticDirectory(new Map([['db', db], ['cache', cache]]));
    expect(await directory.lookup('db')).toEqual({ id: 'db', listening: true, address: db });
    expect((await directory.list()).map((peer) => peer.id)).toEqual(['cache', 'db']);
    await directory.close();
  });

  test('a map with an id no peer may have, or an address that is not one, is refused', () => {
    expect(() => new StaticDirectory({ _x: db })).toThrow(InvalidIdError);
    expect(() => new StaticDirectory({ db: { transport: '' } })).toThrow(TypeError);
    expect(() => new StaticDirectory({ db: { host: '127.0.0.1', port: 4000 } as unknown as RouteAddress })).toThrow(TypeError);
  });

  test('an address is checked for its shape only: its keys are the transport\'s to judge when it dials', async () => {
    const odd: RouteAddress = { transport: 'tcp', host: '', port: 0 };
    const directory = new StaticDirectory({ db: odd });
    expect(await directory.lookup('db')).toEqual({ id: 'db', listening: true, address: odd });
    await directory.close();
  });

  test('register holds nothing: other views do not see it, the id is not exclusive, lost never aborts', async () => {
    const directory = new StaticDirectory({ db });
    const a = await directory.register('me', 'address');
    const b = await directory.register('me', 'address');
    await a.publish(cache);
    expect(await directory.lookup('me')).toBeUndefined();
    expect(a.path).toBeUndefined();
    expect(a.lost.aborted).toBe(false);
    await expect(a.publish()).rejects.toThrow(TypeError);
    await a.release();
    await b.release();
  });

  test('a socket registration is refused with ConfigError: a map has no filesystem', async () => {
    await expect(new StaticDirectory({}).register('me', 'socket')).rejects.toBeInstanceOf(ConfigError);
  });

  test('watch yields one resync with the map, then nothing until aborted', async () => {
    const directory = new StaticDirectory({ db, cache });
    const controller = new AbortController();
    const events = directory.watch({ signal: controller.signal })[Symbol.asyncIterator]();
    expect(await events.next()).toEqual({
      done: false,
      value: { type: 'resync', peers: [{ id: 'cache', listening: true, address: cache }, { id: 'db', listening: true, address: db }] },
    });
    const pending = events.next();
    controller.abort();
    expect(await pending).toEqual({ value: undefined, done: true });
  });
});
