type Closable = Partial<Record<'destroy' | 'end' | 'close', unknown>>;

/**
 * Releases a dropped connection the way its kind expects: `destroy()` for
 * sockets and streams, else `end()`, else `close()`. JavaScript does not close
 * a socket when the last reference goes, so a cache that merely forgot a
 * connection would leak its file descriptor.
 * @internal
 */
export function defaultDispose(conn: unknown): unknown {
  if (conn === null || (typeof conn !== 'object' && typeof conn !== 'function')) return undefined;
  const c = conn as Closable;
  for (const method of ['destroy', 'end', 'close'] as const) {
    const fn = c[method];
    if (typeof fn === 'function') return (fn as () => unknown).call(conn);
  }
  return undefined;
}
