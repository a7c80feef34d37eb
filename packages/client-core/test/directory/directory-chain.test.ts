// Directories combined: the contract over a filesystem directory in front
// of a static map, then the precedence rules of the chain itself.
import { promises as fsp } from 'node:fs';
import { combineDirectories } from '../../src/directory-chain.js';
import { FsDirectory } from '../../src/fs-directory.js';
import type { DirectoryEvent, PeerDirectory } from '../../src/peer-directory.js';
import { removeRoute, RouteDirectory, spawnRoute } from '../../src/route-directory.js';
import type { RouteAddress } from '../../src/route-types.js';
import { StaticDirectory } from '../../src/static-directory.js';
import { deadPid, unixProbe } from '../helpers.js';
import { describeDirectoryContract, nextMatching } from './contract.js';

const db: RouteAddress = { transport: 'tcp', host: '127.0.0.1', port: 4000 };
const local: RouteAddress = { transport: 'tcp', host: '127.0.0.1', port: 5000 };

describeDirectoryContract('filesystem then static map', async () => {
  const dir = await spawnRoute({ prefix: 'ipcm-dch-' });
  const route = await RouteDirectory.open(dir);
  return {
    open: async () => combineDirectories(await FsDirectory.open(dir, { probe: unixProbe, debounceMs: 5 }), new StaticDirectory({ db })),
    kill: async (registration) => {
      await fsp.writeFile(`${route.entryPath(registration.id)}.pid`, `${await deadPid()}\n`);
    },
    cleanup: () => removeRoute(dir),
  };
});

describe('combineDirectories', () => {
  let dir: string;
  let chain: PeerDirectory;
  let controller: AbortController;

  beforeEach(async () => {
    dir = await spawnRoute({ prefix: 'ipcm-dch-' });
    chain = combineDirectories(await FsDirectory.open(dir, { debounceMs: 5 }), new StaticDirectory({ db }));
    controller = new AbortController();
  });

  afterEach(async () => {
    controller.abort();
    await chain.close();
    await removeRoute(dir);
  });

  test('register goes to the first directory; lookup and list: the first that lists an id wins', async () => {
    expect(await chain.lookup('db')).toEqual({ id: 'db', listening: true, address: db });
    const registration = await chain.register('db', 'address');
    await registration.publish(local);
    const other = await FsDirectory.open(dir);
    expect(await other.lookup('db')).toMatchObject({ address: local });
    expect(await chain.lookup('db')).toMatchObject({ address: local });
    const quiet = await chain.register('quiet', 'marker');
    await quiet.publish();
    expect(await chain.list()).toEqual([
      { id: 'db', listening: true, address: local },
      { id: 'quiet', listening: false },
    ]);
    await registration.release();
    await quiet.release();
    expect(await chain.list()).toEqual([{ id: 'db', listening: true, address: db }]);
    await other.close();
  });

  test('watch: one merged baseline; a shadowing peer is an up, and its leaving falls back to the later directory (an up, not a down)', async () => {
    const events = chain.watch({ signal: controller.signal })[Symbol.asyncIterator]();
    expect((await events.next()).value).toEqual({ type: 'resync', peers: [{ id: 'db', listening: true, address: db }] });
    const registration = await chain.register('db', 'address');
    await registration.publish(local);
    expect(await nextMatching(events, (event) => event.type === 'up')).toEqual({
      type: 'up',
      id: 'db',
      location: { id: 'db', listening: true, address: local },
    });
    await registration.release();
    const next: DirectoryEvent = await nextMatching(events, () => true);
    expect(next).toEqual({ type: 'up', id: 'db', location: { id: 'db', listening: true, address: db } });
  });

  test('close closes every directory given: their watches end', async () => {
    const fs = await FsDirectory.open(dir);
    const map = new StaticDirectory({ db });
    const owned = combineDirectories(fs, map);
    const direct = map.watch()[Symbol.asyncIterator]();
    await direct.next();
    const pending = direct.next();
    await owned.close();
    expect(await pending).toMatchObject({ done: true });
    const afterClose = fs.watch()[Symbol.asyncIterator]();
    expect(await afterClose.next()).toMatchObject({ done: true });
  });
});
