/**
 * The timer functions the harness uses for its timeouts; injectable so a
 * test can fire a timeout without waiting for it.
 */
export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The global timers. Read at call time, never captured at import (fake timers installed later still apply). */
export const realTimers: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};
