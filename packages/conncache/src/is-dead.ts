interface Pingable {
  destroyed?: unknown;
  writable?: unknown;
  ping?: unknown;
}

/**
 * Whether `prune()` should drop this connection: a `net.Socket`-like object
 * that is `destroyed` or no longer `writable` (the peer closed it), or an
 * object whose `ping()` returns a falsy value, as in LWP::ConnCache.
 * Anything else counts as alive. May throw if a getter or `ping()` throws.
 * @internal
 */
export function isDead(conn: unknown): boolean {
  if (conn === null || (typeof conn !== 'object' && typeof conn !== 'function')) return false;
  const c = conn as Pingable;
  if (c.destroyed === true || c.writable === false) return true;
  if (typeof c.ping === 'function') return !(c.ping as () => unknown).call(conn);
  return false;
}
