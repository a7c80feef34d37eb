// Real net.Sockets: the default dispose destroys them, prune notices when
// the peer closed one, and nothing is left open.
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConnCache } from '../src/index.js';
import type { ConnRecord, DropReason } from '../src/index.js';

type Transport = 'unix' | 'tcp';

class LoggedCache extends ConnCache<net.Socket, Transport> {
  readonly log: [string, DropReason][] = [];
  override dropping(record: ConnRecord<net.Socket, Transport>, reason: DropReason): void {
    this.log.push([record.key, reason]);
  }
}

describe.each<Transport>(['unix', 'tcp'])('with real %s sockets', (transport) => {
  let dir: string | undefined;
  let server: net.Server;
  let address: net.NetConnectOpts;
  const accepted: net.Socket[] = [];
  const clients: net.Socket[] = [];
  const closed: Promise<unknown>[] = [];

  beforeEach(async () => {
    server = net.createServer((socket) => {
      accepted.push(socket);
    });
    if (transport === 'unix') {
      dir = await mkdtemp(join(tmpdir(), 'ipcm-conncache-'));
      const path = join(dir, 'server.sock');
      server.listen(path);
      address = { path };
    } else {
      server.listen(0, '127.0.0.1');
    }
    await once(server, 'listening');
    if (transport === 'tcp') {
      const { port } = server.address() as net.AddressInfo;
      address = { host: '127.0.0.1', port };
    }
  });

  afterEach(async () => {
    for (const socket of [...clients, ...accepted]) socket.destroy();
    await Promise.all(closed);
    const serverClosed = once(server, 'close');
    server.close();
    await serverClosed;
    accepted.length = 0;
    clients.length = 0;
    closed.length = 0;
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  /** Connects one client and waits until the server has accepted it. */
  async function connect(): Promise<net.Socket> {
    const acceptedOne = once(server, 'connection');
    const socket = net.connect(address);
    clients.push(socket);
    closed.push(once(socket, 'close'));
    socket.on('error', () => {}); // a reset from the peer is expected in these tests
    await Promise.all([once(socket, 'connect'), acceptedOne]);
    return socket;
  }

  test('dropped by capacity, by drop() and by prune they are destroyed; withdrawn ones stay open', async () => {
    const cache = new LoggedCache({ totalCapacity: 3 });
    const sockets: net.Socket[] = [];
    for (let i = 0; i < 5; i++) sockets.push(await connect());
    const [s0, s1, s2, s3, s4] = sockets as [net.Socket, net.Socket, net.Socket, net.Socket, net.Socket];

    for (let i = 0; i < 4; i++) cache.deposit(transport, `peer${i}`, sockets[i]!);
    // total capacity 3: the oldest was evicted and destroyed by the default dispose
    expect(s0.destroyed).toBe(true);
    expect(cache.getConnections()).toEqual([s1, s2, s3]);
    expect(cache.log).toEqual([['peer0', 'total capacity']]);

    // The peer of s2 goes away; once s2 has closed, prune drops it.
    accepted[2]!.destroy();
    await closed[2];
    expect(cache.prune()).toBe(1);
    expect(cache.getConnections()).toEqual([s1, s3]);
    expect(cache.log.at(-1)).toEqual(['peer2', 'ping']);
    expect(s1.destroyed || s3.destroyed).toBe(false);

    // Withdrawn connections belong to the caller: not destroyed by drop().
    expect(cache.withdraw(transport, 'peer1')).toBe(s1);
    cache.deposit(transport, 'peer4', s4);
    expect(cache.drop()).toBe(2);
    expect(s3.destroyed && s4.destroyed).toBe(true);
    expect(s1.destroyed).toBe(false);
    expect(cache.size).toBe(0);
    expect(cache.log.map(([key, reason]) => `${key}:${reason}`)).toEqual([
      'peer0:total capacity',
      'peer2:ping',
      'peer3:drop',
      'peer4:drop',
    ]);

    // Every socket the cache dropped closes; s1 is still usable.
    await Promise.all([closed[0], closed[2], closed[3], closed[4]]);
    s1.write('still open');
    const [data] = (await once(accepted[1]!, 'data')) as [Buffer];
    expect(data.toString()).toBe('still open');
  });

  test('prune drops a socket that the peer ended and we ended too (not writable)', async () => {
    const cache = new ConnCache<net.Socket, Transport>({ totalCapacity: null });
    const a = await connect();
    const b = await connect();
    cache.deposit(transport, 'a', a);
    cache.deposit(transport, 'b', b);
    expect(cache.prune()).toBe(0);
    accepted[0]!.end();
    await once(a, 'end');
    // allowHalfOpen is false, so a ends its side at once and is no longer writable
    expect(a.writable).toBe(false);
    expect(cache.prune()).toBe(1);
    expect(cache.getConnections()).toEqual([b]);
    await closed[0];
    expect(a.destroyed).toBe(true);
  });
});
