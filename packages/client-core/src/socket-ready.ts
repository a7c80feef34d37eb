import type { Socket } from 'node:net';

/**
 * Resolves when a dialled socket is ready (`'connect'`, or `'secureConnect'`
 * for TLS) and rejects with its error, with an `ECONNABORTED` error when it
 * is closed first, or with an `ETIMEDOUT` error after `timeoutMs` (the socket
 * is then destroyed). Listeners and the timer are removed either way. For transports: the `ready` promise of `Transport.connect`.
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
    const settle = (): void => {
      clearTimeout(timer);
      socket.off(event, onReady);
      socket.off('error', onError);
      socket.off('close', onClose);
    };
    const onError = (error: Error): void => {
      settle();
      reject(error);
    };
    // destroy() without an error emits only 'close'.
    const onClose = (): void => {
      settle();
      reject(Object.assign(new Error('the connection was closed before it was ready'), { code: 'ECONNABORTED' }));
    };
    const onReady = (): void => {
      settle();
      resolve();
    };
    socket.once(event, onReady);
    socket.once('error', onError);
    socket.once('close', onClose);
  });
}
