/*
 * The async iteration behind every PeerDirectory.watch: a push-based queue
 * that a directory feeds and a consumer pulls with `for await`. It
 * subscribes to its source only on the first `next()` and unsubscribes as
 * soon as the consumer leaves (abort, `break`, the directory closing), so a
 * watch costs nothing while nobody iterates.
 */
import type { DirectoryEvent, PeerLocation } from './peer-directory.js';

/** Most events queued for a consumer that does not read; past it they collapse into one `resync`. */
export const MAX_QUEUED_EVENTS = 1024;

/** What a directory gives a watch: how to start feeding a channel, and the current view for overflows. */
export interface WatchSource {
  /** Starts feeding `channel`; returns how to stop. Called once, on the first `next()`. */
  subscribe(channel: EventChannel): () => void;
  /** The peers as the source currently sees them, for the `resync` that replaces an overflowed queue. */
  current(): readonly PeerLocation[];
}

/** One consumer's queue of directory events. */
export class EventChannel implements AsyncIterableIterator<DirectoryEvent> {
  readonly #signal: AbortSignal | undefined;
  readonly #source: WatchSource;
  readonly #queue: DirectoryEvent[] = [];
  #waiter: { resolve(result: IteratorResult<DirectoryEvent>): void; reject(err: unknown): void } | undefined;
  #state: 'idle' | 'open' | 'ended' = 'idle';
  #error: { readonly value: unknown } | undefined;
  #unsubscribe: (() => void) | undefined;
  readonly #onAbort = (): void => this.end();

  constructor(source: WatchSource, signal: AbortSignal | undefined) {
    this.#source = source;
    this.#signal = signal;
  }

  /** Queues an event for the consumer (ignored once the channel ended). */
  push(event: DirectoryEvent): void {
    if (this.#state === 'ended') return;
    const waiter = this.#waiter;
    if (waiter !== undefined) {
      this.#waiter = undefined;
      waiter.resolve({ value: event, done: false });
      return;
    }
    if (this.#queue.length >= MAX_QUEUED_EVENTS) {
      // The consumer is behind: what it has not read is replaced by the whole picture.
      this.#queue.length = 0;
      this.#queue.push({ type: 'resync', peers: [...this.#source.current()] });
      return;
    }
    this.#queue.push(event);
  }

  /** Ends the iteration after the queued events. */
  end(): void {
    this.#finish(undefined);
  }

  /** Ends the iteration with `err`, thrown by the `next()` after the queued events. */
  fail(err: unknown): void {
    this.#finish({ value: err });
  }

  #finish(error: { readonly value: unknown } | undefined): void {
    if (this.#state === 'ended') return;
    this.#state = 'ended';
    this.#error = error;
    this.#signal?.removeEventListener('abort', this.#onAbort);
    const unsubscribe = this.#unsubscribe;
    this.#unsubscribe = undefined;
    unsubscribe?.();
    const waiter = this.#waiter;
    this.#waiter = undefined;
    if (waiter === undefined) return;
    if (error !== undefined) {
      this.#error = undefined;
      waiter.reject(error.value);
    } else waiter.resolve({ value: undefined, done: true });
  }

  next(): Promise<IteratorResult<DirectoryEvent>> {
    if (this.#state === 'idle') {
      this.#state = 'open';
      if (this.#signal?.aborted === true) this.end();
      else {
        this.#signal?.addEventListener('abort', this.#onAbort, { once: true });
        this.#unsubscribe = this.#source.subscribe(this);
      }
    }
    const event = this.#queue.shift();
    if (event !== undefined) return Promise.resolve({ value: event, done: false });
    if (this.#state === 'ended') {
      const error = this.#error;
      this.#error = undefined;
      return error !== undefined ? Promise.reject(error.value) : Promise.resolve({ value: undefined, done: true });
    }
    if (this.#waiter !== undefined) return Promise.reject(new Error('next() called again before the previous one settled'));
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  return(): Promise<IteratorResult<DirectoryEvent>> {
    this.#queue.length = 0;
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

/** The iterable a `watch()` returns: each iteration is its own channel. */
export function watchIterable(source: WatchSource, signal: AbortSignal | undefined): AsyncIterable<DirectoryEvent> {
  return { [Symbol.asyncIterator]: () => new EventChannel(source, signal) };
}

/** Whether two locations of one id differ (a changed location is reported as a new `up`). */
export function sameLocation(a: PeerLocation, b: PeerLocation): boolean {
  return (
    a.id === b.id &&
    a.listening === b.listening &&
    a.path === b.path &&
    JSON.stringify(a.address ?? null) === JSON.stringify(b.address ?? null)
  );
}

/** The events that turn the view `before` into `after` (both keyed by id). */
export function diffLocations(
  before: ReadonlyMap<string, PeerLocation>,
  after: ReadonlyMap<string, PeerLocation>,
): DirectoryEvent[] {
  const events: DirectoryEvent[] = [];
  for (const id of before.keys()) if (!after.has(id)) events.push({ type: 'down', id });
  for (const [id, location] of after) {
    const old = before.get(id);
    if (old === undefined || !sameLocation(old, location)) events.push({ type: 'up', id, location });
  }
  return events;
}

/** Locations keyed by id. */
export function byId(locations: readonly PeerLocation[]): Map<string, PeerLocation> {
  return new Map(locations.map((location) => [location.id, location]));
}
