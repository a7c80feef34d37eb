import { lstat, chmod } from 'node:fs/promises';
import { createConnection, createServer, type Socket } from 'node:net';
import {
  RouteError,
  whenSocketReady,
  type DialTarget,
  type Liveness,
  type ProbeTarget,
  type Transport,
  type TransportListener,
} from '@ipcm/client-core';

/**
 * Unix-domain socket transport: a listening peer's route entry is its
 * socket, so the route directory is also the address book.
 */
export class UnixTransport implements Transport {
  readonly name = 'unix';
  readonly entryKind = 'socket';

  async listen(entryPath: string | undefined, onConnection: (socket: Socket) => void): Promise<TransportListener> {
    if (entryPath === undefined) throw new RouteError('a Unix client listens in its route directory; none was given');
    const server = createServer(onConnection);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(entryPath, () => {
        server.off('error', reject);
        resolve();
      });
    });
    // Past the listen, a server error (EMFILE while accepting) must not kill
    // the process; the server keeps listening and accepts again once
    // descriptors free up.
    server.on('error', () => {});
    try {
      // Node binds a path over 107 bytes without error but no file appears
      // there; make sure peers can find us, then keep the socket private
      // even under umask 000 (R15, R19).
      const stat = await lstat(entryPath);
      if (!stat.isSocket()) throw new RouteError(`${entryPath} is not a socket after listening`);
      await chmod(entryPath, 0o600);
    } catch (error) {
      server.close();
      throw error instanceof RouteError
        ? error
        : new RouteError(`listening socket did not appear at ${entryPath}: ${(error as Error).message}`, { cause: error });
    }
    return {
      unref: () => void server.unref(),
      ref: () => void server.ref(),
      // Resolve once no longer accepting; established connections belong to
      // the client, which closes them itself (server.close's own callback
      // would wait for all of them).
      close: () =>
        new Promise<void>((resolve) => {
          if (!server.listening) return resolve();
          server.close();
          resolve();
        }),
    };
  }

  connect(target: DialTarget): { socket: Socket; ready: Promise<void> } {
    if (target.path === undefined) {
      throw new RouteError(`peer ${JSON.stringify(target.id)} has no socket path`);
    }
    const socket = createConnection({ path: target.path });
    return { socket, ready: whenSocketReady(socket) };
  }

  async probe(target: ProbeTarget): Promise<Liveness> {
    // Another transport's entry can't be checked from here: say live, so it
    // is never reaped on our word.
    if (target.kind !== 'socket') return 'live';
    const socket = createConnection({ path: target.path });
    try {
      await whenSocketReady(socket);
      return 'live';
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // Only a refusal or a missing file proves nobody listens there.
      return code === 'ECONNREFUSED' || code === 'ENOENT' ? 'stale' : 'live';
    } finally {
      socket.destroy();
    }
  }
}
