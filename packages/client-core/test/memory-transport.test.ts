// A transport whose connections are not sockets: in-memory Duplex pairs.
// The engine must need nothing beyond stream.Duplex (issue 11: a transport
// can be a TLS socket, a named pipe or an in-memory pair in tests).
import { once } from 'node:events';
import { Duplex, PassThrough } from 'node:stream';
import {
  Client,
  StaticDirectory,
  WrongTransportError,
  type ClientOptions,
  type DialTarget,
  type Message,
  type RouteAddress,
  type Transport,
  type TransportListener,
} from '../src/index.js';

/** Two connected in-memory ends: what one writes, the other reads. */
function duplexPair(): [Duplex, Duplex] {
  const forth = new PassThrough();
  const back = new PassThrough();
  return [Duplex.from({ readable: back, writable: forth }), Duplex.from({ readable: forth, writable: back })];
}

/** Listeners of this process, by name: the "network" of the memory transport. */
const listeners = new Map<string, (socket: Duplex) => void>();

class MemoryTransport implements Transport {
  readonly name = 'memory';
  readonly entryKind = 'address';
  readonly #id: string;

  constructor(id: string) {
    this.#id = id;
  }

  async listen(_path: string | undefined, onConnection: (socket: Duplex) => void): Promise<TransportListener> {
    listeners.set(this.#id, onConnection);
    return { address: { transport: 'memory', name: this.#id }, close: async () => void listeners.delete(this.#id) };
  }

  /** Every connect() call, to prove which peers were dialled. */
  readonly dialled: string[] = [];

  /** A memory address names its listener. */
  canDial(address: RouteAddress): boolean {
    return address.transport === 'memory' && typeof address['name'] === 'string';
  }

  connect(target: DialTarget): { socket: Duplex; ready: Promise<void> } {
    this.dialled.push(target.id);
    const accept = listeners.get(String(target.address?.['name']));
    const [near, far] = duplexPair();
    if (accept === undefined) {
      near.destroy();
      return { socket: near, ready: Promise.reject(new Error('nobody listens')) };
    }
    accept(far);
    return { socket: near, ready: Promise.resolve() };
  }

  async probe(): Promise<'live'> {
    return 'live';
  }
}

const peers = new StaticDirectory({ alice: { transport: 'memory', name: 'alice' }, bob: { transport: 'memory', name: 'bob' } });

class MemoryClient extends Client {
  readonly transport: MemoryTransport;

  private constructor(options: ClientOptions) {
    const transport = new MemoryTransport(options.id);
    super(options, transport);
    this.transport = transport;
  }

  static async create(options: ClientOptions): Promise<MemoryClient> {
    const client = new MemoryClient(options);
    await client.start();
    return client;
  }
}

test('a transport of in-memory Duplex pairs (no socket at all) carries messages both ways and closes cleanly', async () => {
  const alice = await MemoryClient.create({ id: 'alice', directory: peers });
  const bob = await MemoryClient.create({ id: 'bob', directory: peers });
  try {
    await alice.waitForPeer('bob');
    const toBob = once(bob, 'message') as Promise<[Message]>;
    await alice.send('bob', 'hello in memory');
    const [hello] = await toBob;
    expect(hello).toMatchObject({ from: 'alice', to: 'bob', content: 'hello in memory' });
    const toAlice = once(alice, 'message') as Promise<[Message]>;
    await bob.send('alice', 'and back'); // over the connection alice opened
    expect((await toAlice)[0]).toMatchObject({ from: 'bob', content: 'and back' });
    expect(alice.stats()).toMatchObject({ connects: 1, accepts: 0 });
    expect(bob.stats()).toMatchObject({ connects: 0, accepts: 1 });
  } finally {
    await Promise.all([alice.close(), bob.close()]);
  }
});

test("the transport's canDial decides which listed addresses are dialled: one it refuses is never dialled, listed as reachable or waited for", async () => {
  // Listed with this transport's name but without the key it needs: the
  // directory keeps any address with a transport; the transport judges it.
  const directory = new StaticDirectory({
    alice: { transport: 'memory', name: 'alice' },
    nameless: { transport: 'memory' },
  });
  const alice = await MemoryClient.create({ id: 'alice', directory });
  try {
    const sent = await alice.send('nameless', 'hi').catch((error: unknown) => error);
    expect(sent).toBeInstanceOf(WrongTransportError);
    expect((sent as Error).message).toContain('memory address that memory cannot dial');
    expect(await alice.listeningPeers()).toEqual([]);
    await expect(alice.waitForPeer('nameless')).rejects.toBeInstanceOf(WrongTransportError);
    expect(alice.transport.dialled).toEqual([]);
  } finally {
    await alice.close();
    await directory.close();
  }
});
