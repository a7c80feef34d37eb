import type { ClientEngine } from './client-engine.js';
import { releaseClaim } from './client-directory.js';
import { debugLifecycle } from './diagnostics.js';
import type { IpcmError } from './errors.js';
import type { PeerTypes } from './peer-types.js';
import { withTimeout } from './with-timeout.js';

/** Options of `close()`. */
export interface CloseOptions {
  /** Aborting it turns the graceful close into `destroy()` (at once, or in progress). */
  signal?: AbortSignal | undefined;
}

/**
 * A client's graceful close (see `Client.close`): begins the shutdown once;
 * an aborted `signal` turns it into `destroy` (the client's `destroy()`), at
 * once or while it runs.
 */
export function closeClient<T extends PeerTypes>(
  engine: ClientEngine<T>,
  options: CloseOptions | undefined,
  destroy: () => Promise<void>,
): Promise<void> {
  const signal = options?.signal;
  if (signal?.aborted) return destroy();
  engine.shutdown ??= shutdown(engine, false);
  if (signal !== undefined && engine.state !== 'closed') {
    const onAbort = (): void => void destroy();
    signal.addEventListener('abort', onAbort, { once: true });
    engine.shutdown.then(
      () => signal.removeEventListener('abort', onAbort),
      () => signal.removeEventListener('abort', onAbort),
    );
  }
  return engine.shutdown;
}

/** A client's immediate close (see `Client.destroy`); a graceful close in progress becomes a forced one. */
export function destroyClient<T extends PeerTypes>(engine: ClientEngine<T>): Promise<void> {
  if (engine.shutdown === undefined) {
    engine.shutdown = shutdown(engine, true);
  } else if (engine.state === 'closing') {
    engine.forced = true;
    engine.answering = false;
    const closedError = engine.closedError();
    engine.requests.close(closedError);
    for (const conn of engine.sockets) conn.destroy(closedError);
  }
  return engine.shutdown;
}

/**
 * The shutdown sequence: stop answering (or let running handlers answer,
 * within `lingerMs`), stop listening and accepting, let dials in progress
 * flush (graceful) or drop them (forced), retire every cached connection
 * and wait for every socket to close, then fail the requests still
 * waiting, write the stats, release the id and end message iteration.
 */
async function shutdown<T extends PeerTypes>(engine: ClientEngine<T>, force: boolean): Promise<void> {
  const { dialer } = engine;
  const { lingerMs } = engine.options;
  engine.state = 'closing';
  engine.forced = force;
  debugLifecycle('close', { clientId: engine.id, reason: force ? 'destroy' : 'close' });
  engine.responder.handle(null);
  if (force) {
    engine.requests.close(engine.closedError());
  } else if (engine.responder.running > 0) {
    // Answers to requests already taken go out before the connections end.
    engine.answering = true;
    await withTimeout(engine.responder.whenIdle(), lingerMs, engine.timers);
    engine.answering = false;
  }
  const listenerClosed = engine.listener?.close();
  engine.acceptor.destroyAll();
  if (force) {
    for (const conn of dialer.dialing.values()) conn.socket?.destroy();
  } else if (dialer.dials.size > 0) {
    // Messages queued on a connection still being opened are flushed too
    // (R27), within the linger time.
    await withTimeout(Promise.allSettled(dialer.dials), lingerMs, engine.timers);
  }
  const closedError = engine.closedError();
  for (const conn of dialer.dialing.values()) conn.destroy(closedError);
  dialer.dialing.clear();
  const allClosed = new Promise<void>((resolve) => {
    engine.lifecycle.onAllClosed = resolve;
  });
  // Forced: each connection counts what it discards before its socket
  // goes, while the kernel's share of the write in flight is still known.
  if (force) for (const conn of engine.sockets) conn.destroy(closedError);
  engine.cache.drop((): boolean => true, 'client closed');
  if (engine.sockets.size === 0) engine.lifecycle.onAllClosed?.();
  await Promise.all([listenerClosed, allClosed, engine.lostListenerClosed]);
  engine.requests.close(engine.closedError());
  // Whatever happens to the files, the client ends closed and iteration ends.
  let failure: IpcmError | undefined;
  const registration = engine.registration;
  engine.peerWatch.close();
  try {
    if (registration !== undefined) {
      failure = await releaseClaim(registration, `${JSON.stringify(engine.id)} in ${engine.directory().description}`, engine.counters);
    }
    if (engine.ownsDirectory) await engine.currentDirectory?.close();
  } finally {
    engine.inbox.queue.close();
    engine.state = 'closed';
  }
  if (failure !== undefined) throw failure;
}
