import { Client } from '@ipcm/client-core';
import type { TcpClientOptions } from './options.js';
import { checkTcpOptions } from './tcp-settings.js';
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
export class TcpClient extends Client {
  private constructor(options: TcpClientOptions) {
    super(options, new TcpTransport(checkTcpOptions(options)));
  }

  /**
   * Creates a client, claims its id in the route directory (if one is given)
   * and starts listening (unless `listen: false`).
   */
  static async create(options: TcpClientOptions): Promise<TcpClient> {
    const client = new TcpClient(options);
    await client.start();
    return client;
  }
}
