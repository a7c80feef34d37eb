import { once } from 'node:events';
import { AuthError, removeRoute, spawnRoute, type DisconnectEvent, type IpcmError } from '@ipcm/client-core';
import { defineAttackSuite } from '../../client-core/test/conformance/attack.js';
import { nextMessages } from '../../client-core/test/conformance/harness.js';
import { TcpClient } from '../src/index.js';
import { tcpTarget } from './tcp-target.js';

// The same cases, byte for byte, as the Unix client.
defineAttackSuite(tcpTarget);

test('R40 (TCP): broadcast to a peer that refuses our token: the others are delivered; the refusal is that peer\'s disconnect, as "sent" means handed to the kernel', async () => {
  const route = await spawnRoute();
  const shared = 'a-token-alice-and-bob-share-0001';
  const alice = await TcpClient.create({ id: 'alice', route, token: shared });
  const bob = await TcpClient.create({ id: 'bob', route, token: shared });
  const eve = await TcpClient.create({ id: 'eve', route, token: 'a-token-only-eve-has-000000002' });
  try {
    const refused = once(eve, 'error') as Promise<[IpcmError]>;
    const gone = new Promise<DisconnectEvent>((resolve) => {
      alice.on('disconnect', (event) => event.peerId === 'eve' && resolve(event));
    });
    const arrived = nextMessages(bob, 1);
    const results = await alice.broadcast('to all');
    expect(results.get('bob')).toEqual({ sent: true });
    expect((await arrived)[0]).toMatchObject({ from: 'alice', content: 'to all' });
    // Nothing tells a writer that the reader refused what it wrote: eve's
    // frame reached the kernel (sent: true, or a coded error if eve hung up
    // first), and eve's refusal shows as its connection closing.
    const outcome = results.get('eve');
    if (outcome?.sent === false) expect(outcome.error).toMatchObject({ code: expect.stringMatching(/^ERR_IPCM_/) });
    else expect(outcome).toEqual({ sent: true });
    expect((await refused)[0]).toBeInstanceOf(AuthError);
    expect((await gone).reason).toMatch(/^(closed|error)$/);
    expect(eve.stats().read).toEqual({});
    expect(alice.connections()).toEqual(['bob']);
  } finally {
    await Promise.all([alice.destroy(), bob.destroy(), eve.destroy()]);
    await removeRoute(route);
  }
});
