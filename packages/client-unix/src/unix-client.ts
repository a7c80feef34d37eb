import {
  Client,
  IllegalConstructorError,
  InvalidOptionError,
  type ClientOptions,
  type CreateOptions,
  type PeerTypes,
} from '@ipcm/client-core';
import { describeValue } from '@ipcm/client-core/internal';
import { UnixTransport } from './unix-transport.js';

/** Options of {@link UnixClient}: the client-core options; `route` (or a filesystem `directory`) is required. */
export interface UnixClientOptions extends ClientOptions {
  /** The route directory: peers' sockets live there. Required unless `directory` is an `FsDirectory` (or another directory with socket paths). */
  route?: string | undefined;
}

/**
 * An IPC client over Unix-domain sockets. Peers on one route directory find
 * each other by id; a Perl IPC::Manager ConnectionUnix peer on the same
 * directory is just another peer.
 *
 * @example
 * ```ts
 * await using client = await UnixClient.create({ id: 'alice', route: '/tmp/my-group' });
 * client.on('message', (m) => console.log(m.from, m.content));
 * await client.send('bob', { hello: 'bob' });
 * ```
 */
export class UnixClient<T extends PeerTypes = PeerTypes> extends Client<T> {
  private constructor(options: UnixClientOptions) {
    // `private` holds only in TypeScript: from JavaScript, `new` would make
    // a client that was never started and says "closed" on its first send.
    if (!creating) {
      throw new IllegalConstructorError('use `await UnixClient.create(options)` to make a UnixClient, not `new UnixClient()`');
    }
    if (typeof options === 'object' && options !== null && typeof options.route !== 'string' && options.directory === undefined) {
      throw new InvalidOptionError(`route must be a directory path; received ${describeValue(options.route)}`);
    }
    super(options, new UnixTransport());
  }

  /**
   * Creates a client, claims its id in the route directory and starts
   * listening (unless `listen: false`). `T` declares what peers exchange
   * (see `PeerTypes`): `UnixClient.create<Calc>(...)` types message content,
   * request and response values; `unknown` by default. An aborted
   * `signal` stops the start, releases the claim and rejects with its reason.
   */
  static async create<T extends PeerTypes = PeerTypes>(options: UnixClientOptions, create?: CreateOptions): Promise<UnixClient<T>> {
    creating = true;
    let client: UnixClient<T>;
    try {
      client = new UnixClient<T>(options);
    } finally {
      creating = false;
    }
    await client.start(create?.signal);
    return client;
  }
}

/** True only while {@link UnixClient.create} constructs a client. */
let creating = false;
