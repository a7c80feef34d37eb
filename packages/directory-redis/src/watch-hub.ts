/*
 * Who comes and goes, for every `watch()` of one directory. One subscriber
 * connection (a `duplicate()` of the directory's, opened when the first
 * watcher starts iterating, closed when the last one stops) hears the up
 * and down events members publish at claim, publish and release; a list
 * diff every ttl/3 catches the deaths nobody announces (a SIGKILL) and
 * anything said while the subscriber was away. After a reconnect, or when a
 * watcher fell too far behind, the watcher gets a `resync` with the full
 * list instead.
 */
import type { DirectoryEvent, PeerLocation } from '@ipcm/client-core';
import type { RedisConnection, TimerHandle } from './options.js';
import type { RedisStore } from './store.js';

/** Events a watcher may leave unread before it gets a `resync` instead. */
export const MAX_QUEUED_EVENTS = 1024;

class Watcher {
  readonly events: DirectoryEvent[] = [];
  /**
   * The next read is a resync: at the start of every watch (the contract:
   * each iteration starts with the current list), and after the queue
   * overflowed.
   */
  resync = true;
  ended = false;
  wake: (() => void) | undefined;

  push(event: DirectoryEvent): void {
    if (this.ended) return;
    if (event.type === 'resync') {
      // While this watcher's own resync was pending, events kept queueing
      // (all of them, in order): they follow the list, harmless if it already
      // saw them, not lost if not. A resync of the hub's supersedes them.
      const during = this.resync ? this.events.splice(0) : [];
      this.events.length = 0;
      this.resync = false;
      this.events.push(event, ...during);
    } else if (this.events.length >= MAX_QUEUED_EVENTS) {
      this.events.length = 0;
      this.resync = true;
    } else {
      this.events.push(event);
    }
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
  /** What the watchers were last told: id -> location as JSON. */
  #known = new Map<string, string>();
  #subscriber: RedisConnection | undefined;
  #timer: TimerHandle | undefined;
  /** A list failed or the subscriber reconnected: the next successful list is a resync. */
  #missed = false;
  #closed = false;
  #live: Promise<void> = Promise.resolve();

  constructor(store: RedisStore, intervalMs: number) {
    this.#store = store;
    this.#intervalMs = intervalMs;
  }

  /** The events from now on, until `signal` aborts or the hub closes. */
  async *watch(signal: AbortSignal | undefined): AsyncGenerator<DirectoryEvent, void, undefined> {
    if (this.#closed || signal?.aborted === true) return;
    const watcher = new Watcher();
    const onAbort = (): void => watcher.end();
    signal?.addEventListener('abort', onAbort, { once: true });
    this.#watchers.add(watcher);
    if (this.#watchers.size === 1) this.#start();
    try {
      // Subscribed before the first list: every change after it reaches us.
      await this.#live;
      for (;;) {
        if (watcher.resync) {
          const peers = await this.#store.list().catch(() => undefined);
          if (watcher.ended) return;
          if (peers !== undefined) watcher.push({ type: 'resync', peers });
          else await this.#waitForPoll(watcher);
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
    // either published to us or caught by the next diff. The first list only
    // learns who is there (`watch` reports from now on).
    this.#live = subscriber
      .subscribe(this.#store.channel)
      .catch(() => {
        this.#missed = true;
      })
      .then(() => this.#poll(true));
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
    if (this.#known.get(location.id) === json) return;
    this.#known.set(location.id, json);
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
    void this.#poll(false);
  }

  /** Lists the group and reports the difference from what watchers were told. */
  async #poll(silent: boolean): Promise<void> {
    const subscriber = this.#subscriber;
    let peers: PeerLocation[] | undefined;
    try {
      peers = await this.#store.list();
    } catch {
      this.#missed = true;
    }
    if (subscriber !== this.#subscriber || subscriber === undefined) return; // stopped meanwhile
    if (peers !== undefined) {
      if (silent) {
        for (const peer of peers) this.#known.set(peer.id, JSON.stringify(peer));
      } else if (this.#missed) {
        this.#missed = false;
        this.#known = new Map(peers.map((peer) => [peer.id, JSON.stringify(peer)]));
        this.#broadcast({ type: 'resync', peers });
      } else {
        const listed = new Set(peers.map((peer) => peer.id));
        for (const id of [...this.#known.keys()]) if (!listed.has(id)) this.#down(id);
        for (const peer of peers) this.#up(peer);
      }
    }
    for (const wake of this.#pollWaiters.splice(0)) wake();
    this.#store.timers.clearTimeout(this.#timer);
    this.#timer = this.#store.timers.setTimeout(() => void this.#poll(false), this.#intervalMs);
  }

  readonly #pollWaiters: (() => void)[] = [];

  /** Waits for the next poll (or the watcher's end) before a watcher retries its resync. */
  #waitForPoll(watcher: Watcher): Promise<void> {
    return new Promise((resolve) => {
      this.#pollWaiters.push(resolve);
      watcher.wake = resolve;
    });
  }
}
