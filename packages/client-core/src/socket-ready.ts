import type { Socket } from 'node:net';

/**
 * Resolves when a dialled socket is ready (`'connect'`, or `'secureConnect'`
 * for TLS) and rejects with its error, or with an `ETIMEDOUT` error after
 * `timeoutMs` (the socket is then destroyed). Listeners are removed either
 * way. For transports: the `ready` promise of `Transport.connect`.
 */
export function whenSocketReady(
  socket: Socket,
  event: 'connect' | 'secureConnect' = 'connect',
  timeoutMs?: number,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            socket.destroy();
            reject(Object.assign(new Error(`no connection within ${timeoutMs} ms`), { code: 'ETIMEDOUT' }));
          }, timeoutMs);
    const onError = (error: Error): void => {
      clearTimeout(timer);
      socket.off(event, onReady);
      reject(error);
    };
    const onReady = (): void => {
      clearTimeout(timer);
      socket.off('error', onError);
      resolve();
    };
    socket.once(event, onReady);
    socket.once('error', onError);
  });
}
