// Small helpers shared by this package's tests.
import * as path from 'node:path';
import type { DirectoryEvent, PeerDirectory } from '@ipcm/client-core';
import type { Timers } from '@ipcm/client-core';
import { PeerProcess } from '@ipcm/peer-process';

/** The rejection of `promise`; fails the test if it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

/**
 * Watches `directory` and resolves with the first event `matches` accepts
 * (the watch's baseline `resync` included), rejecting after `withinMs` (the
 * behaviour's own deadline, not a sleep).
 */
export function watchFor(directory: PeerDirectory, matches: (event: DirectoryEvent) => boolean, withinMs: number): Promise<DirectoryEvent> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), withinMs);
  return (async () => {
    try {
      for await (const event of directory.watch({ signal: controller.signal })) {
        if (matches(event)) return event;
      }
      throw new Error(`no matching directory event within ${withinMs} ms`);
    } finally {
      clearTimeout(timer);
      controller.abort();
    }
  })();
}

/**
 * Resolves when `id` is listed in `directory`: in the resync a watch starts
 * with, or on a later `up` or `resync` that lists it.
 */
export async function whenListed(directory: PeerDirectory, id: string, withinMs: number): Promise<void> {
  await watchFor(
    directory,
    (event) => (event.type === 'up' && event.id === id) || (event.type === 'resync' && event.peers.some((peer) => peer.id === id)),
    withinMs,
  );
}

/**
 * Timers run by hand: `fire(ms)` runs the pending callbacks scheduled with
 * that delay, never real time. Not client-core's FakeTimers (a clock that
 * `advance()` moves): these tests await the *next delay scheduled* after
 * Redis I/O (`nextScheduled()`, to read a backoff sequence) and fire one
 * kind of timer (a refresh) without also firing every shorter one (the
 * command timeouts), which a clock cannot do.
 */
export class ManualTimers implements Timers {
  readonly pending = new Map<number, { callback: () => void; ms: number }>();
  /** Delays scheduled and not yet taken by {@link nextScheduled}. */
  readonly #scheduled: number[] = [];
  #waiter: ((ms: number) => void) | undefined;
  #next = 1;

  setTimeout(callback: () => void, ms: number): number {
    const handle = this.#next++;
    this.pending.set(handle, { callback, ms });
    const waiter = this.#waiter;
    this.#waiter = undefined;
    if (waiter !== undefined) waiter(ms);
    else this.#scheduled.push(ms);
    return handle;
  }

  /** The delay of the next timer scheduled (or the oldest one not yet taken). */
  nextScheduled(): Promise<number> {
    const ms = this.#scheduled.shift();
    if (ms !== undefined) return Promise.resolve(ms);
    return new Promise((resolve) => (this.#waiter = resolve));
  }

  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }

  /** Forgets the delays scheduled so far (for {@link nextScheduled}). */
  forget(): void {
    this.#scheduled.length = 0;
  }

  /** Delays of the pending timers. */
  delays(): number[] {
    return [...this.pending.values()].map((timer) => timer.ms);
  }

  /** Runs every pending timer with delay `ms`. */
  fire(ms: number): void {
    for (const [handle, timer] of [...this.pending]) {
      if (timer.ms !== ms) continue;
      this.pending.delete(handle);
      timer.callback();
    }
  }
}

const REGISTRANT = path.join(__dirname, 'fixtures', 'registrant.js');

/** How a registration attempt of the registrant fixture ended. */
export interface Outcome {
  readonly won?: true;
  readonly pid?: number;
  readonly code?: string;
  readonly message?: string;
}

/** The registrant fixture (fixtures/registrant.js), a peer on the shared harness. */
export type Registrant = {
  readonly settings: { readonly url: string; readonly group: string; readonly id: string; readonly ttlMs: number; readonly mode: 'hold' | 'race' };
  /** 'hold': the outcome of its registration; 'race': loaded. */
  readonly ready: Outcome | { readonly loaded: true };
  readonly commands: { readonly go: { readonly args: null; readonly reply: Outcome } };
  readonly event: never;
  readonly closed: void;
};

/** Forks the registrant fixture; its `ready` says when it is loaded (race) or registered (hold). */
export function forkRegistrant(url: string, group: string, id: string, ttlMs: number, mode: 'hold' | 'race'): PeerProcess<Registrant> {
  return new PeerProcess<Registrant>({ entry: REGISTRANT, settings: { url, group, id, ttlMs, mode } });
}
