import { Client, IllegalConstructorError, InvalidOptionError, describeValue, type ClientOptions } from '@ipcm/client-core';
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
export class UnixClient extends Client {
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

  /** Creates a client, claims its id in the route directory and starts listening (unless `listen: false`). */
  static async create(options: UnixClientOptions): Promise<UnixClient> {
    creating = true;
    let client: UnixClient;
    try {
      client = new UnixClient(options);
    } finally {
      creating = false;
    }
    await client.start();
    return client;
  }
}

/** True only while {@link UnixClient.create} constructs a client. */
let creating = false;
