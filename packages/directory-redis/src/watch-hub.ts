/*
 * Who comes and goes, for every `watch()` of one directory. One subscriber
 * connection (a `duplicate()` of the directory's, opened when the first
 * watcher starts iterating, closed when the last one stops) hears the up
 * and down events members publish at claim, publish and release; a list
 * diff every ttl/3 catches the deaths nobody announces (a SIGKILL) and
 * anything said while the subscriber was away. Every watcher starts with a
 * `resync` holding the list (its baseline); after a reconnect, or when a
 * watcher fell too far behind, it gets a `resync` with the full list again.
 */
import type { DirectoryEvent, PeerLocation } from '@ipcm/client-core';
import type { RedisConnection } from './options.js';
import { byId, type RedisStore } from './store.js';

/** Events a watcher may leave unread before it gets a `resync` instead. */
export const MAX_QUEUED_EVENTS = 1024;

class Watcher {
  readonly events: DirectoryEvent[] = [];
  /**
   * The watcher has no baseline yet (it just started, or its queue
   * overflowed): its next read is a `resync`, and events until then are
   * dropped, since that resync already reflects them.
   */
  needsBaseline = true;
  ended = false;
  wake: (() => void) | undefined;

  push(event: DirectoryEvent): void {
    if (this.ended) return;
    if (event.type === 'resync') {
      this.baseline(event);
      return;
    }
    if (this.needsBaseline) return;
    if (this.events.length >= MAX_QUEUED_EVENTS) {
      this.events.length = 0;
      this.needsBaseline = true;
    } else {
      this.events.push(event);
    }
    this.#notify();
  }

  /** Replaces whatever is queued with `resync`, the state later events apply to. */
  baseline(resync: DirectoryEvent & { type: 'resync' }): void {
    this.events.length = 0;
    this.needsBaseline = false;
    this.events.push(resync);
    this.#notify();
  }

  end(): void {
    this.ended = true;
    this.#notify();
  }

  #notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

export class WatchHub {
  readonly #store: RedisStore;
  readonly #intervalMs: number;
  readonly #watchers = new Set<Watcher>();
  /**
   * What the watchers were last told, by id (the location and its JSON, to
   * compare): every event broadcast is a change to this map, so a copy of
   * it is a baseline exactly consistent with the events that follow.
   */
  #known = new Map<string, { readonly location: PeerLocation; readonly json: string }>();
  #subscriber: RedisConnection | undefined;
  #timer: unknown;
  /**
   * `#known` may be missing changes (the hub is starting, a list failed, the
   * subscriber reconnected): the next successful list is broadcast as a
   * resync, and watchers needing a baseline wait for it.
   */
  #missed = true;
  #closed = false;
  #live: Promise<void> = Promise.resolve();

  constructor(store: RedisStore, intervalMs: number) {
    this.#store = store;
    this.#intervalMs = intervalMs;
  }

  /**
   * A `resync` with the current list, then the events from there on, until
   * `signal` aborts or the hub closes.
   */
  async *watch(signal: AbortSignal | undefined): AsyncGenerator<DirectoryEvent, void, undefined> {
    if (this.#closed || signal?.aborted === true) return;
    const watcher = new Watcher();
    const onAbort = (): void => watcher.end();
    signal?.addEventListener('abort', onAbort, { once: true });
    this.#watchers.add(watcher);
    if (this.#watchers.size === 1) this.#start();
    try {
      for (;;) {
        if (watcher.needsBaseline) {
          // The hub's first list (taken when the first watcher starts, once
          // subscribed) is broadcast as a resync; a watcher that joins a
          // live hub, or overflowed, gets what the hub knows now.
          if (this.#missed) await this.#waitForPoll(watcher);
          else watcher.baseline({ type: 'resync', peers: this.#peers() });
          if (watcher.ended) return;
          continue;
        }
        const event = watcher.events.shift();
        if (event !== undefined) {
          yield event;
          continue;
        }
        if (watcher.ended) return;
        await new Promise<void>((resolve) => (watcher.wake = resolve));
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      watcher.end();
      this.#watchers.delete(watcher);
      if (this.#watchers.size === 0) this.#stop();
    }
  }

  /** Ends every watch and closes the subscriber. */
  close(): void {
    this.#closed = true;
    for (const watcher of this.#watchers) watcher.end();
    this.#stop();
  }

  #start(): void {
    const subscriber = this.#store.redis.duplicate();
    this.#subscriber = subscriber;
    let connected = false;
    subscriber.on('error', () => {
      // Reported as `missed` on reconnect; the poll keeps watchers right meanwhile.
    });
    subscriber.on('ready', () => {
      // ioredis resubscribes by itself after a reconnect; we may have missed events.
      if (connected) this.#resync();
      connected = true;
    });
    subscriber.on('message', (_channel: string, message: string) => this.#onMessage(message));
    this.#known = new Map();
    // Subscribed first, then listed: whatever changes after the list is
    // either published to us or caught by the next diff. The first list is
    // a resync: the baseline of the watchers waiting for it.
    this.#missed = true;
    this.#live = subscriber
      .subscribe(this.#store.channel)
      .catch(() => undefined)
      .then(() => this.#poll());
  }

  /** Resolves when the watch is live: subscribed, and the current peers listed. */
  live(): Promise<void> {
    return this.#live;
  }

  #stop(): void {
    this.#store.timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#subscriber?.disconnect();
    this.#subscriber = undefined;
  }

  #onMessage(message: string): void {
    let event: unknown;
    try {
      event = JSON.parse(message);
    } catch {
      return;
    }
    if (typeof event !== 'object' || event === null) return;
    const { type, id, location } = event as { type?: unknown; id?: unknown; location?: unknown };
    if (typeof id !== 'string') return;
    if (type === 'down') this.#down(id);
    else if (type === 'up' && typeof location === 'object' && location !== null) this.#up(location as PeerLocation);
  }

  #up(location: PeerLocation): void {
    const json = JSON.stringify(location);
    if (this.#known.get(location.id)?.json === json) return;
    this.#known.set(location.id, { location, json });
    this.#broadcast({ type: 'up', id: location.id, location });
  }

  #down(id: string): void {
    if (!this.#known.delete(id)) return;
    this.#broadcast({ type: 'down', id });
  }

  #broadcast(event: DirectoryEvent): void {
    for (const watcher of this.#watchers) watcher.push(event);
  }

  #resync(): void {
    this.#missed = true;
    this.#store.timers.clearTimeout(this.#timer);
    void this.#poll();
  }

  /**
   * Lists the group and reports the difference from what watchers were
   * told, or the whole list as a resync when events may have been missed
   * (and at the start).
   */
  async #poll(): Promise<void> {
    const subscriber = this.#subscriber;
    let peers: PeerLocation[] | undefined;
    try {
      peers = await this.#store.list();
    } catch {
      this.#missed = true;
    }
    if (subscriber !== this.#subscriber || subscriber === undefined) return; // stopped meanwhile
    if (peers !== undefined) {
      if (this.#missed) {
        this.#missed = false;
        this.#known = new Map(peers.map((peer) => [peer.id, { location: peer, json: JSON.stringify(peer) }]));
        this.#broadcast({ type: 'resync', peers });
      } else {
        const listed = new Set(peers.map((peer) => peer.id));
        for (const id of [...this.#known.keys()]) if (!listed.has(id)) this.#down(id);
        for (const peer of peers) this.#up(peer);
      }
    }
    for (const wake of this.#pollWaiters.splice(0)) wake();
    this.#store.timers.clearTimeout(this.#timer);
    this.#timer = this.#store.timers.setTimeout(() => void this.#poll(), this.#intervalMs);
  }

  readonly #pollWaiters: (() => void)[] = [];

  /** What the hub knows, as a list sorted by id (as `list()` gives it). */
  #peers(): PeerLocation[] {
    return [...this.#known.values()].map((known) => known.location).sort(byId);
  }

  /** Waits for the next poll (or the watcher's end or its baseline). */
  #waitForPoll(watcher: Watcher): Promise<void> {
    return new Promise((resolve) => {
      this.#pollWaiters.push(resolve);
      watcher.wake = resolve;
    });
  }
}
