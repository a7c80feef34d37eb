import type { Timers } from '../src/options.js';

interface FakeTimer {
  readonly at: number;
  readonly seq: number;
  readonly callback: () => void;
}

/** Timers driven by the test: `advance(ms)` fires what falls due, in order; nothing waits for real time. */
export class FakeTimers implements Timers {
  now = 0;
  readonly #timers = new Set<FakeTimer>();
  #seq = 0;

  setTimeout = (callback: () => void, ms: number): unknown => {
    const timer = { at: this.now + ms, seq: this.#seq++, callback };
    this.#timers.add(timer);
    return timer;
  };

  clearTimeout = (handle: unknown): void => {
    this.#timers.delete(handle as FakeTimer);
  };

  /** Timers scheduled and neither fired nor cleared. */
  get active(): number {
    return this.#timers.size;
  }

  advance(ms: number): void {
    const until = this.now + ms;
    for (;;) {
      let next: FakeTimer | undefined;
      for (const timer of this.#timers) {
        if (timer.at <= until && (next === undefined || timer.at < next.at || (timer.at === next.at && timer.seq < next.seq))) next = timer;
      }
      if (next === undefined) break;
      this.#timers.delete(next);
      this.now = next.at;
      next.callback();
    }
    this.now = until;
  }
}

/**
 * Whether `promise` has settled yet, for checking that a timeout has not
 * fired a moment too early (its rejection is still the caller's to await).
 */
export function settledFlag(promise: Promise<unknown>): () => boolean {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  return () => settled;
}
