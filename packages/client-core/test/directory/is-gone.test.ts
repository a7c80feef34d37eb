// PeerDirectory.isGone (issue 11: liveness belongs to the directory, not
// the engine): the route directory answers with its pid check and its
// connect probe of D; a chain is gone only where every directory says so.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { combineDirectories } from '../../src/directory-chain.js';
import { FsDirectory } from '../../src/fs-directory.js';
import { removeRoute, spawnRoute } from '../../src/route-directory.js';
import { StaticDirectory } from '../../src/static-directory.js';
import { unixProbe } from '../helpers.js';

let dir: string;

beforeEach(async () => {
  dir = await spawnRoute({ prefix: 'ipcm-gone-' });
});

afterEach(async () => {
  await removeRoute(dir);
});

test('FsDirectory.isGone: unlisted is gone; listed and answering is not; listed with a socket that refuses (its listener SIGKILLed, its lock naming a running pid) is gone by the probe', async () => {
  const directory = await FsDirectory.open(dir, { probe: unixProbe });
  const unprobed = await FsDirectory.open(dir);
  // Opened with no probe, as a directory handed to a client is: the probe
  // its register brings (the client's transport's) is the one isGone uses.
  const borrowing = await FsDirectory.open(dir);
  const carol = await borrowing.register('carol', 'marker', { probe: unixProbe });
  const registration = await directory.register('bob', 'socket');
  // The listener lives in another process, so it can die as a SIGKILLed
  // peer's does: its socket file stays, and refuses connections.
  const listener = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(registration.path)}, () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
  // Its exit and its stdout pipe's end, whichever way the test goes.
  const closed = once(listener, 'close');
  try {
    expect(await directory.isGone('nobody')).toBe(true);
    expect(await directory.isGone('bad/../id')).toBe(true);
    await Promise.race([
      once(listener.stdout, 'data'),
      closed.then(() => Promise.reject(new Error('the listener exited before listening'))),
    ]);
    await registration.publish();
    expect(await directory.isGone('bob')).toBe(false);
    listener.kill('SIGKILL');
    await once(listener, 'exit');
    expect(await directory.lookup('bob')).toBeDefined();
    expect(await directory.isGone('bob')).toBe(true);
    expect(await borrowing.isGone('bob')).toBe(true);
    // A directory given no probe, and no register bringing one, presumes a
    // listed endpoint live.
    expect(await unprobed.isGone('bob')).toBe(false);
    await registration.release();
    expect(await unprobed.isGone('bob')).toBe(true);
  } finally {
    listener.kill('SIGKILL'); // a no-op once it has exited
    await closed;
    await registration.release();
    await carol.release();
    await directory.close();
    await unprobed.close();
    await borrowing.close();
  }
});

test('a combined directory says gone only when every directory does (a static peer is never gone)', async () => {
  const directory = await FsDirectory.open(dir, { probe: unixProbe });
  const chain = combineDirectories(directory, new StaticDirectory({ db: { transport: 'tcp', host: '127.0.0.1', port: 1 } }));
  try {
    expect(await chain.isGone?.('db')).toBe(false);
    expect(await chain.isGone?.('nobody')).toBe(true);
  } finally {
    await chain.close();
  }
});
