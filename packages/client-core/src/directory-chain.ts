/*
 * Several PeerDirectories as one: register in the first, look up in order.
 * What a client builds from its `route` and `peers` shorthands, and how a
 * user adds a directory of their own in front of (or behind) those.
 */
import { byId, diffLocations, EventChannel } from './directory-events.js';
import type { DirectoryEvent, PeerDirectory, PeerLocation, RegisterOptions, Registration, WatchOptions } from './peer-directory.js';
import { goneFrom } from './peer-locator.js';
import type { EntryKind, PeerStats } from './route-types.js';

/**
 * Combines directories, the first taking precedence:
 *
 * - `register` registers in `primary` only (the others are not told).
 * - `lookup` asks each in order; the first that lists the id wins.
 * - `isGone` is true when every directory says the id is gone.
 * - `list` is the union, sorted by id; on an id listed by several, the
 *   first directory's location wins (so does `stats`).
 * - `watch` merges every directory's watch into one view with the same
 *   precedence: its first event is one `resync` (once every directory gave
 *   its baseline), then an `up` or `down` whenever the merged view changes
 *   (a peer leaving the primary but listed by a later directory is an `up`
 *   with the later location, not a `down`). It ends when the signal
 *   aborts, the chain closes, or any directory's watch ends (with that
 *   watch's error, if any).
 * - `close` closes every directory given: the chain owns them.
 *
 * @example
 * const directory = combineDirectories(
 *   await FsDirectory.open(route),
 *   new StaticDirectory({ db: { transport: 'tcp', host: '10.0.0.5', port: 4000 } }),
 * );
 */
export function combineDirectories(primary: PeerDirectory, ...others: PeerDirectory[]): PeerDirectory {
  return new DirectoryChain([primary, ...others], primary);
}

/**
 * A client's `route` and `peers` shorthands together: ids are looked up in
 * `overlay` (the configured peers) first, as they always were, but the id
 * is registered in `base` (the route directory). Internal: users combine
 * with {@link combineDirectories}.
 */
export function overlayDirectory(overlay: PeerDirectory, base: PeerDirectory): PeerDirectory {
  return new DirectoryChain([overlay, base], base);
}

class DirectoryChain implements PeerDirectory {
  readonly description: string;
  readonly #directories: readonly PeerDirectory[];
  readonly #registrar: PeerDirectory;
  readonly #closing = new AbortController();
  #closed: Promise<void> | undefined;

  constructor(directories: readonly PeerDirectory[], registrar: PeerDirectory) {
    for (const [index, directory] of directories.entries()) {
      if (typeof directory?.lookup !== 'function' || typeof directory.watch !== 'function') {
        throw new TypeError(`directory ${index} is not a PeerDirectory`);
      }
    }
    this.#directories = directories;
    this.#registrar = registrar;
    this.description = directories.map((directory) => directory.description).join(', then ');
  }

  register(id: string, kind: EntryKind, options?: RegisterOptions): Promise<Registration> {
    return this.#registrar.register(id, kind, options);
  }

  async lookup(id: string): Promise<PeerLocation | undefined> {
    for (const directory of this.#directories) {
      const location = await directory.lookup(id);
      if (location !== undefined) return location;
    }
    return undefined;
  }

  /** Gone when every directory says so (a peer listed by any is not gone). */
  async isGone(id: string): Promise<boolean> {
    for (const directory of this.#directories) if (!(await goneFrom(directory, id))) return false;
    return true;
  }

  async list(): Promise<PeerLocation[]> {
    const lists = await Promise.all(this.#directories.map((directory) => directory.list()));
    return [...merge(lists.map(byId)).values()].sort(compareIds);
  }

  async stats(id: string): Promise<PeerStats | undefined> {
    for (const directory of this.#directories) {
      const stats = await directory.stats?.(id);
      if (stats !== undefined) return stats;
    }
    return undefined;
  }

  watch(options: WatchOptions = {}): AsyncIterable<DirectoryEvent> {
    const closing = this.#closing.signal;
    const signal = options.signal === undefined ? closing : AbortSignal.any([options.signal, closing]);
    // Each iteration merges on its own: its baseline and diffs are its own.
    return {
      [Symbol.asyncIterator]: () => {
        let merged = new Map<string, PeerLocation>();
        const subscribe = (channel: EventChannel): (() => void) => {
          const stop = new AbortController();
          const views: (Map<string, PeerLocation> | undefined)[] = this.#directories.map(() => undefined);
          let started = false;
          const apply = (index: number, event: DirectoryEvent): void => {
            const view = (views[index] ??= new Map());
            if (event.type === 'resync') views[index] = byId(event.peers);
            else if (event.type === 'up') view.set(event.id, event.location);
            else view.delete(event.id);
            if (views.some((each) => each === undefined)) return;
            const next = merge(views as Map<string, PeerLocation>[]);
            if (!started) {
              started = true;
              channel.push({ type: 'resync', peers: [...next.values()].sort(compareIds) });
            } else for (const change of diffLocations(merged, next)) channel.push(change);
            merged = next;
          };
          for (const [index, directory] of this.#directories.entries()) {
            void pump(directory.watch({ signal: stop.signal, ref: options.ref }), (event) => apply(index, event)).then(
              () => channel.end(),
              (err: unknown) => channel.fail(err),
            );
          }
          return () => stop.abort();
        };
        return new EventChannel({ subscribe, current: () => [...merged.values()].sort(compareIds) }, signal);
      },
    };
  }

  close(): Promise<void> {
    this.#closing.abort();
    this.#closed ??= Promise.all(this.#directories.map((directory) => directory.close())).then(() => undefined);
    return this.#closed;
  }
}

async function pump(events: AsyncIterable<DirectoryEvent>, each: (event: DirectoryEvent) => void): Promise<void> {
  for await (const event of events) each(event);
}

/** The union of `views`, the first view winning on an id. */
function merge(views: readonly ReadonlyMap<string, PeerLocation>[]): Map<string, PeerLocation> {
  const merged = new Map<string, PeerLocation>();
  for (const view of views) for (const [id, location] of view) if (!merged.has(id)) merged.set(id, location);
  return merged;
}

function compareIds(a: PeerLocation, b: PeerLocation): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
