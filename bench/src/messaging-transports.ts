import { createServer, type AddressInfo, type ListenOptions, type NetConnectOpts, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import type { Client } from '@ipcm/client-core';
import { TcpClient } from '@ipcm/client-tcp';
import { UnixClient } from '@ipcm/client-unix';

/**
 * What the messaging benchmark needs from a transport: a way to make an
 * @ipcm client, where the bare `net` baseline and node-ipc listen, and what
 * zeromq binds. The suites and their child processes pick a transport by
 * name from {@link TRANSPORTS}; adding one is adding an entry.
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
  /**
   * Where node-ipc's server listens: a socket path, or a loopback host and a
   * free port (node-ipc cannot listen on port 0: it reads 0 as "use the
   * default port 8000").
   */
  nodeIpcAddress(dir: string): Promise<NetConnectOpts>;
  /** What a zeromq socket named `name` binds to; may end in `:*` (the bound endpoint is read back). */
  zmqBindEndpoint(dir: string, name: string): string;
}

/** A free loopback port: listen on port 0, read the port, close. Racy, but only this run binds ports here. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Room for the fire-all pattern's unawaited sends: a full run fires 100,000
 * ~150-byte messages at once, ~65 MiB as `maxPendingBytes` counts them
 * (bytes plus per-frame bookkeeping), past the 16 MiB default. A user who
 * fires that many without awaiting raises the bound the same way; the other
 * patterns never come near it.
 */
const BENCH_MAX_PENDING_BYTES = 256 * 1024 * 1024;

export const TRANSPORTS: Readonly<Record<string, MessagingTransport>> = {
  unix: {
    createClient: (id, route) => UnixClient.create({ id, route, maxPendingBytes: BENCH_MAX_PENDING_BYTES }),
    bareListenOptions: (dir) => ({ path: join(dir, 'bare.sock') }),
    bareConnectOptions: (_server, listen) => ({ path: listen.path as string }),
    nodeIpcAddress: async (dir) => ({ path: join(dir, 'ni.sock') }),
    zmqBindEndpoint: (dir, name) => `ipc://${join(dir, `${name}.sock`)}`,
  },
  tcp: {
    // Listens on 127.0.0.1, a free port, published in the route directory.
    createClient: (id, route) => TcpClient.create({ id, route, maxPendingBytes: BENCH_MAX_PENDING_BYTES }),
    bareListenOptions: () => ({ host: '127.0.0.1', port: 0 }),
    bareConnectOptions: (server) => ({ host: '127.0.0.1', port: (server.address() as AddressInfo).port }),
    // @ipcm and zeromq disable Nagle's algorithm on their TCP sockets; node-ipc does not, and is left as it is.
    configureSocket: (socket) => socket.setNoDelay(true),
    nodeIpcAddress: async () => ({ host: '127.0.0.1', port: await freePort() }),
    zmqBindEndpoint: () => 'tcp://127.0.0.1:*',
  },
};

export function transportNamed(name: string): MessagingTransport {
  const transport = TRANSPORTS[name];
  if (transport === undefined) {
    throw new RangeError(`unknown transport ${JSON.stringify(name)}; known: ${Object.keys(TRANSPORTS).join(', ')}`);
  }
  return transport;
}
