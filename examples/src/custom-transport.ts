// A transport of your own.
//
// @ipcm/client-core knows no transport. A client is its engine (frames,
// hello, messages), the connection cache (@ipcm/conncache) and the
// connection role (@ipcm/connection-role), over two interfaces: a
// `Transport` (moves bytes: listen, connect, probe) and a `PeerDirectory`
// (who exists and where: here the filesystem route directory, given as
// `directory`; Redis or a static map would do as well). This file adds a
// transport:
// Linux abstract-namespace sockets, whose names live in the kernel (no
// socket file; the name goes away with the listener). Elsewhere it falls back
// to a socket file of its own naming in the temp directory. Then two such
// clients talk, and the role and the cache are shown working on them.
//
// Run: node examples/dist/custom-transport.js
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createConnection, createServer, type Socket } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  Client,
  FsDirectory,
  WrongTransportError,
  whenSocketReady,
  removeRoute,
  spawnRoute,
  type ClientOptions,
  type CreateOptions,
  type DialTarget,
  type Liveness,
  type ProbeTarget,
  type RouteAddress,
  type Transport,
  type TransportListener,
} from '@ipcm/client-core';
import type { ConnCacheStats } from '@ipcm/conncache';
import type { ConnectionRoleMethods } from '@ipcm/connection-role';

/** What a peer on this transport publishes in the route directory. */
interface AbstractAddress extends RouteAddress {
  readonly transport: 'abstract';
  readonly name: string;
}

export function isAbstractAddress(address: RouteAddress | undefined): address is AbstractAddress {
  return address?.transport === 'abstract' && typeof address['name'] === 'string';
}

/** Where a socket name lives: the abstract namespace on Linux, a file elsewhere. */
export function socketPath(name: string): string {
  return process.platform === 'linux' ? `\0${name}` : path.join(os.tmpdir(), `${name}.sock`);
}

/** Listens on, and dials, abstract socket names published in the route directory. */
export class AbstractSocketTransport implements Transport {
  readonly name = 'abstract';
  readonly entryKind = 'address';

  async listen(_entryPath: string | undefined, onConnection: (socket: Socket) => void): Promise<TransportListener> {
    const name = `ipcm-example-${process.pid}-${randomBytes(6).toString('hex')}`;
    const server = createServer(onConnection);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath(name), () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address: AbstractAddress = { transport: 'abstract', name };
    // Stop accepting; the client closes the connections it holds itself.
    // unref()/ref() let a client's unref() free the process (as net.Server's).
    return { address, close: async () => void server.close(), unref: () => void server.unref(), ref: () => void server.ref() };
  }

  connect(target: DialTarget): { socket: Socket; ready: Promise<void> } {
    if (!isAbstractAddress(target.address)) {
      throw new WrongTransportError(`peer ${JSON.stringify(target.id)} does not listen on an abstract socket`);
    }
    const socket = createConnection({ path: socketPath(target.address.name) });
    return { socket, ready: whenSocketReady(socket) };
  }

  async probe(target: ProbeTarget): Promise<Liveness> {
    // Only our own entries can be judged here; anything else is "live", never reaped on our word.
    if (target.kind !== 'address' || !isAbstractAddress(target.address)) return 'live';
    const socket = createConnection({ path: socketPath(target.address.name) });
    try {
      await whenSocketReady(socket);
      return 'live';
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      return code === 'ECONNREFUSED' || code === 'ENOENT' ? 'stale' : 'live';
    } finally {
      socket.destroy();
    }
  }
}

/** An @ipcm client over abstract sockets: the core client with the transport above. */
export class AbstractClient extends Client {
  private constructor(options: ClientOptions) {
    super(options, new AbstractSocketTransport());
  }

  static async create(options: ClientOptions, createOptions: CreateOptions = {}): Promise<AbstractClient> {
    const client = new AbstractClient(options);
    await client.start(createOptions.signal);
    return client;
  }
}

export async function main(): Promise<void> {
  const route = await spawnRoute({ prefix: 'ipcm-abs-' });
  let now = 0;
  const clock = { now: () => now }; // alice's idleness runs on this clock
  // The directory is ours: the client registers and looks up in it, we close it.
  const directory = await FsDirectory.open(route);
  const alice = await AbstractClient.create({ id: 'alice', directory, clock });
  const bob = await AbstractClient.create({ id: 'bob', route }); // `route`: the shorthand for the same
  try {
    console.log(`alice listens at ${JSON.stringify(alice.address)}`);
    await alice.waitForPeer('bob', { timeoutMs: 5000 });
    console.log(`alice.listeningPeers() → [${(await alice.listeningPeers()).join(', ')}]`);

    const toBob = once(bob, 'message');
    await alice.send('bob', 'hello over an abstract socket');
    const [hello] = await toBob;
    console.log(`bob got ${JSON.stringify(hello.content)} from ${hello.from}`);
    const toAlice = once(alice, 'message');
    await bob.send('alice', 'hello back'); // over the connection alice opened
    const [reply] = await toAlice;
    console.log(`alice got ${JSON.stringify(reply.content)} from ${reply.from}`);

    // The connection role's operations, on a client of our own making.
    const role: ConnectionRoleMethods = alice;
    console.log(`alice.hasConnection('bob') → ${role.hasConnection('bob')}; connections() → [${role.connections().join(', ')}]`);
    // The connection cache underneath.
    const cache: ConnCacheStats = alice.stats().cache;
    console.log(`alice's cache: size ${cache.size}, deposits ${cache.deposits}, by type ${JSON.stringify(cache.sizeByType)}`);

    now += 60_000;
    const closed = role.closeIdleConnections(30_000);
    console.log(`a minute later, closeIdleConnections(30000) → ${closed}; connections() → [${role.connections().join(', ')}]`);
    console.log(`alice's cache: size ${alice.stats().cache.size}, drops.idle ${alice.stats().cache.drops['idle'] ?? 0}`);
  } finally {
    await Promise.all([alice.close(), bob.close()]);
    await directory.close();
    await removeRoute(route);
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
