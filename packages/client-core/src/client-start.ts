import type { ClientEngine } from './client-engine.js';
import { openDirectory } from './client-directory.js';
import { debugLifecycle } from './diagnostics.js';
import { IdInUseError, IpcmError } from './errors.js';
import type { PeerTypes } from './peer-types.js';
import type { Registration } from './peer-directory.js';
import type { EntryProbe } from './route-types.js';

/**
 * A client's start (see `Client.start`): open the directory, claim the id,
 * listen, publish the address, watch for the claim being lost. Each step
 * that fails or is aborted undoes the ones before it; an abort once open
 * runs the client's `destroy` first.
 */
export async function startClient<T extends PeerTypes>(
  engine: ClientEngine<T>,
  signal: AbortSignal | undefined,
  destroy: () => Promise<void>,
): Promise<void> {
  signal?.throwIfAborted();
  const { id, route, listen } = engine.options;
  const transport = engine.transport;
  const probe: EntryProbe = (target) => transport.probe(target);
  const { directory, owned } = await openDirectory(engine.options.directory, engine.configuredPeers, route, probe, engine.timers, engine.clock);
  if (owned) engine.ownsDirectory = true;
  engine.currentDirectory = directory;
  let registration: Registration;
  try {
    registration = await directory.register(id, listen ? transport.entryKind : 'marker', {
      probe,
      authenticated: transport.authenticated === true,
    });
  } catch (error) {
    engine.state = 'closed';
    if (engine.ownsDirectory) await directory.close();
    throw error;
  }
  engine.registration = registration;
  try {
    signal?.throwIfAborted();
    if (listen) {
      engine.listener = await transport.listen(registration.path, (socket) => engine.acceptor.accept(socket));
      debugLifecycle('listen', { clientId: id });
      await registration.publish(engine.listener.address);
    } else {
      await registration.publish();
    }
    signal?.throwIfAborted();
  } catch (error) {
    engine.state = 'closed';
    await engine.listener?.close();
    for (const conn of engine.sockets) conn.socket?.destroy(); // accepted while starting
    await registration.release();
    if (engine.ownsDirectory) await directory.close();
    throw error;
  }
  const lost = registration.lost;
  if (lost.aborted) onLost(engine, lost.reason);
  else lost.addEventListener('abort', () => onLost(engine, lost.reason), { once: true });
  engine.state = 'open';
  engine.peerWatch.opened(); // 'peer' listeners added before the start
  if (signal?.aborted) {
    await destroy().catch(() => undefined);
    throw signal.reason;
  }
}

/**
 * The directory could no longer keep this client's id (another process
 * took it over, a TTL key was lost and someone else claimed it): the
 * client reports an `IdInUseError` on `'error'` and stops accepting
 * connections as that id (its listener closes). Connections already open
 * keep working, and sends still dial; `close()` then releases nothing it
 * no longer holds.
 */
function onLost<T extends PeerTypes>(engine: ClientEngine<T>, reason: unknown): void {
  if (engine.isClosed()) return;
  engine.reportError(
    reason instanceof IpcmError
      ? reason
      : new IdInUseError(`${JSON.stringify(engine.id)} is no longer held in ${engine.directory().description}`, { cause: reason }),
  );
  const listener = engine.listener;
  engine.listener = undefined;
  engine.lostListenerClosed = listener?.close().catch(() => undefined);
}
