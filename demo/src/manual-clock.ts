import type { Clock } from '@ipcm/client-core';

/**
 * A clock that only moves when told to, injected into a client so the demo
 * can make its connections an hour old without waiting an hour. It starts
 * at the current epoch time, so the client's `lastActivity()` reads as a
 * date.
 */
export class ManualClock implements Clock {
  #now = Date.now();

  now(): number {
    return this.#now;
  }

  advance(ms: number): void {
    this.#now += ms;
  }
}
