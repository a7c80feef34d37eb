import { Client, IllegalConstructorError, StaticDirectory, type CreateOptions, type PeerTypes } from '@ipcm/client-core';
import type { TcpClientOptions } from './options.js';
import { TCP_OPTION_NAMES, checkTcpOptions } from './tcp-settings.js';
import { TcpTransport } from './tcp-transport.js';

/**
 * An IPC client over TCP: the same API, events, errors and semantics as
 * `UnixClient`, reaching peers through the route directory (on one host)
 * or a static `peers` map (across hosts), optionally with a shared-secret
 * token and TLS.
 *
 * @example
 * ```ts
 * const client = await TcpClient.create({ id: 'a', peers: { b: 'b.example:7000' }, token, tls });
 * await client.send('b', { hello: 'b' });
 * ```
 */
export class TcpClient<T extends PeerTypes = PeerTypes> extends Client<T> {
  private constructor(options: TcpClientOptions) {
    // `private` holds only in TypeScript: from JavaScript, `new` would make
    // a client that was never started and says "closed" on its first send.
    if (!creating) {
      throw new IllegalConstructorError('use `await TcpClient.create(options)` to make a TcpClient, not `new TcpClient()`');
    }
    const settings = checkTcpOptions(options);
    // `peers` is the shorthand for a static directory, looked up first.
    const peers = settings.peers.size === 0 ? undefined : new StaticDirectory(settings.peers, 'the configured peers');
    super(options, new TcpTransport(settings), TCP_OPTION_NAMES, peers);
  }

  /**
   * Creates a client, claims its id in the route directory (if one is given)
   * and starts listening (unless `listen: false`). `T` declares what peers
   * exchange (see `PeerTypes`); an aborted `signal` stops the start,
   * releases the claim and rejects with its reason.
   */
  static async create<T extends PeerTypes = PeerTypes>(options: TcpClientOptions, create?: CreateOptions): Promise<TcpClient<T>> {
    creating = true;
    let client: TcpClient<T>;
    try {
      client = new TcpClient<T>(options);
    } finally {
      creating = false;
    }
    await client.start(create?.signal);
    return client;
  }
}

/** True only while {@link TcpClient.create} constructs a client. */
let creating = false;
