import type { Timers } from './options.js';

/**
 * Waits for `promise` to settle, or for `ms` milliseconds on `timers`,
 * whichever comes first; never rejects. The timer is cleared either way.
 * A closing client bounds its waits (running handlers, dials in progress)
 * with it, on its injected timers, so a test of that bound takes no real
 * time.
 */
export async function withTimeout(promise: Promise<unknown>, ms: number, timers: Timers): Promise<void> {
  let timer: unknown;
  const elapsed = new Promise<void>((resolve) => {
    timer = timers.setTimeout(resolve, ms);
  });
  try {
    await Promise.race([promise.then(noop, noop), elapsed]);
  } finally {
    timers.clearTimeout(timer);
  }
}

function noop(): void {}
