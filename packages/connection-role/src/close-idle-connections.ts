import type { ConnectionHost } from './connection-host.js';

/**
 * Close every cached connection that has been idle for longer than
 * `maxIdleMs`: those whose `lastActive < now - maxIdleMs` (strictly older;
 * a connection exactly `maxIdleMs` old is kept).
 *
 * Caller-driven: the role runs no timer. Call it from your own interval,
 * or before a batch of sends, as suits you.
 *
 * Idle connections are chosen first and closed afterwards, so the host's
 * `closeConnection` may remove entries, or close other connections, while
 * this runs. Before each close the entry is read again; one that is gone,
 * or has become active again, is skipped and not counted. An error thrown
 * by `closeConnection` propagates, and connections closed before it stay
 * closed.
 *
 * Cost: with the host's optional `connectionsByIdleness()` view, it reads
 * entries only up to the first one that is not idle (O(number closed));
 * otherwise it reads the whole table once (O(table size)).
 *
 * @param maxIdleMs - how long a connection may go without sending or
 *   receiving bytes, in milliseconds; `0` closes everything older than
 *   `now`, `Infinity` closes nothing.
 * @param now - the current time on the host's clock; defaults to
 *   `host.now()` if the host has one, else `Date.now()`.
 * @returns the number of connections closed.
 * @throws TypeError if `maxIdleMs` or `now` is not a number.
 * @throws RangeError if `maxIdleMs` is negative or NaN, or the time
 *   (`now` or the host's clock) is not finite.
 *
 * @example
 * ```ts
 * // Once a minute, drop connections that have been quiet for 5 minutes.
 * const sweep = setInterval(() => closeIdleConnections(client, 5 * 60_000), 60_000);
 * sweep.unref();
 * ```
 */
export function closeIdleConnections<Id extends string>(
  host: ConnectionHost<Id>,
  maxIdleMs: number,
  now?: number,
): number {
  checkMaxIdleMs(maxIdleMs);
  const at = now === undefined ? checkTime(host.now ? host.now() : Date.now(), 'host.now() must return') : checkTime(now, 'now must be');
  const cutoff = at - maxIdleMs;

  let closed = 0;
  for (const peerId of idlePeers(host, cutoff)) {
    // An earlier close may have removed this one, or it may have been
    // replaced by a fresh connection: decide on the entry as it is now.
    const entry = host.connectionTable().get(peerId);
    if (entry === undefined || !isIdle(entry.lastActive, cutoff)) continue;
    host.closeConnection(peerId, 'idle');
    closed++;
  }
  return closed;
}

/**
 * Ids of idle entries, collected before anything is closed: closing while
 * walking the host's table (or its ordered view, which may be a generator
 * over the same structure) would mutate what is being iterated.
 */
function idlePeers<Id extends string>(host: ConnectionHost<Id>, cutoff: number): Id[] {
  const idle: Id[] = [];
  const ordered = host.connectionsByIdleness?.();
  if (ordered !== undefined) {
    for (const [peerId, entry] of ordered) {
      if (!isIdle(entry.lastActive, cutoff)) break;
      idle.push(peerId);
    }
    return idle;
  }
  for (const [peerId, entry] of host.connectionTable()) {
    if (isIdle(entry.lastActive, cutoff)) idle.push(peerId);
  }
  return idle;
}

function isIdle(lastActive: number, cutoff: number): boolean {
  return lastActive < cutoff;
}

function checkMaxIdleMs(maxIdleMs: unknown): asserts maxIdleMs is number {
  if (typeof maxIdleMs !== 'number') {
    throw new TypeError(`maxIdleMs must be a number of milliseconds; received ${received(maxIdleMs)}`);
  }
  if (Number.isNaN(maxIdleMs) || maxIdleMs < 0) {
    throw new RangeError(`maxIdleMs must be a non-negative number of milliseconds; received ${received(maxIdleMs)}`);
  }
}

function checkTime(time: unknown, mustBe: string): number {
  if (typeof time !== 'number') {
    throw new TypeError(`${mustBe} a number of milliseconds; received ${received(time)}`);
  }
  if (!Number.isFinite(time)) {
    throw new RangeError(`${mustBe} a finite number of milliseconds; received ${received(time)}`);
  }
  return time;
}

function received(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'symbol') return value.toString();
  if (typeof value === 'function') return 'a function';
  if (value !== null && typeof value === 'object') return `an object (${Object.prototype.toString.call(value)})`;
  return String(value);
}
