import type { ListenOptions, NetConnectOpts, Server, Socket } from 'node:net';
import { join } from 'node:path';
import type { Client } from '@ipcm/client-core';
import { UnixClient } from '@ipcm/client-unix';

/**
 * What the messaging benchmark needs from a transport: a way to make an
 * @ipcm client, and where the bare `net` baseline listens and connects. The
 * suite and its child process pick a transport by name from
 * {@link TRANSPORTS}; adding one (TCP over 127.0.0.1) is adding an entry.
 */
export interface MessagingTransport {
  /** An @ipcm client of this transport with id `id` in the route directory `route`. */
  createClient(id: string, route: string): Promise<Client>;
  /** Where the bare server listens; `dir` is a private temporary directory it may use. */
  bareListenOptions(dir: string): ListenOptions;
  /** Where a bare client connects once `server` listens (sent to the other process as JSON). */
  bareConnectOptions(server: Server, listen: ListenOptions): NetConnectOpts;
  /** Per-socket setup of the bare baseline (for TCP: `setNoDelay`). */
  configureSocket?(socket: Socket): void;
}

export const TRANSPORTS: Readonly<Record<string, MessagingTransport>> = {
  unix: {
    createClient: (id, route) => UnixClient.create({ id, route }),
    bareListenOptions: (dir) => ({ path: join(dir, 'bare.sock') }),
    bareConnectOptions: (_server, listen) => ({ path: listen.path as string }),
  },
};

export function transportNamed(name: string): MessagingTransport {
  const transport = TRANSPORTS[name];
  if (transport === undefined) {
    throw new RangeError(`unknown transport ${JSON.stringify(name)}; known: ${Object.keys(TRANSPORTS).join(', ')}`);
  }
  return transport;
}
