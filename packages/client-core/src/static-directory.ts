/*
 * A PeerDirectory over a fixed map of id -> address (today's TCP `peers`
 * option): nothing to claim, nothing to watch, every configured peer
 * presumed alive.
 */
import { ConfigError } from './errors.js';
import { validatePeerId } from './message.js';
import { watchIterable } from './directory-events.js';
import type { DirectoryEvent, PeerDirectory, PeerLocation, RegisterOptions, Registration, WatchOptions } from './peer-directory.js';
import { assertRouteAddress } from './route-address.js';
import type { EntryKind, RouteAddress } from './route-types.js';

const NEVER_ABORTED = new AbortController().signal;

/**
 * A fixed map of peers and their addresses.
 *
 * - `lookup`/`list` answer from the map: every configured peer is listed as
 *   listening at its address, whether or not it runs (a static map has no
 *   liveness; a dial finds out).
 * - `register` holds nothing: it checks the id and returns a registration
 *   whose `publish` only checks its argument, whose `lost` never aborts, and
 *   which no other view ever sees. Ids are therefore not kept unique, and a
 *   `'socket'` registration is refused with `ConfigError` (there is no
 *   filesystem to place it in). Combine with a shared directory
 *   ({@link combineDirectories}) when ids must be claimed.
 * - `watch` yields one `resync` with the map, then nothing until its signal
 *   aborts or the directory closes.
 *
 * @example
 * const peers = new StaticDirectory({ db: { transport: 'tcp', host: '10.0.0.5', port: 4000 } });
 * await peers.lookup('db'); // { id: 'db', listening: true, address: {...} }
 */
export class StaticDirectory implements PeerDirectory {
  readonly description: string;
  readonly #peers: ReadonlyMap<string, PeerLocation>;
  readonly #closing = new AbortController();

  /**
   * @param peers id -> address; ids are checked with the peer-id rule and
   *   addresses with the address rules.
   * @throws {InvalidIdError} for an id no peer may have.
   * @throws {TypeError} for an address that is not one.
   */
  constructor(peers: Readonly<Record<string, RouteAddress>> | ReadonlyMap<string, RouteAddress>, description = 'static peers') {
    const entries = peers instanceof Map ? [...peers] : Object.entries(peers);
    const map = new Map<string, PeerLocation>();
    for (const [id, address] of entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      validatePeerId(id);
      assertRouteAddress(address);
      map.set(id, { id, listening: true, address });
    }
    this.#peers = map;
    this.description = description;
  }

  register(id: string, kind: EntryKind, options: RegisterOptions = {}): Promise<Registration> {
    try {
      options.signal?.throwIfAborted();
      validatePeerId(id);
      if (kind === 'socket') throw new ConfigError(`${this.description} cannot hold a socket entry: it has no filesystem`);
      if (kind !== 'address' && kind !== 'marker') throw new TypeError(`kind must be 'socket', 'address' or 'marker', received ${String(kind)}`);
    } catch (err) {
      return Promise.reject(err);
    }
    return Promise.resolve(new NothingHeld(id, kind));
  }

  lookup(id: string): Promise<PeerLocation | undefined> {
    return Promise.resolve(this.#peers.get(id));
  }

  list(): Promise<PeerLocation[]> {
    return Promise.resolve([...this.#peers.values()]);
  }

  watch(options: WatchOptions = {}): AsyncIterable<DirectoryEvent> {
    const closing = this.#closing.signal;
    const signal = options.signal === undefined ? closing : AbortSignal.any([options.signal, closing]);
    const peers = (): PeerLocation[] => [...this.#peers.values()];
    return watchIterable(
      {
        subscribe: (channel) => {
          channel.push({ type: 'resync', peers: peers() });
          return () => {};
        },
        current: peers,
      },
      signal,
    );
  }

  close(): Promise<void> {
    this.#closing.abort();
    return Promise.resolve();
  }
}

/** The registration a static map gives: it holds nothing. */
class NothingHeld implements Registration {
  readonly id: string;
  readonly kind: EntryKind;
  readonly path = undefined;
  readonly lost = NEVER_ABORTED;

  constructor(id: string, kind: EntryKind) {
    this.id = id;
    this.kind = kind;
  }

  publish(address?: RouteAddress): Promise<void> {
    try {
      if (this.kind === 'address') assertRouteAddress(address);
      else if (address !== undefined) throw new TypeError(`a ${this.kind} entry takes no address`);
    } catch (err) {
      return Promise.reject(err);
    }
    return Promise.resolve();
  }

  release(): Promise<void> {
    return Promise.resolve();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.release();
  }
}
