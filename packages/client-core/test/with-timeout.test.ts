// withTimeout: the bound a closing client puts on its waits (running
// handlers, dials in progress), on injected timers: no real waiting.
import { FakeTimers, settledFlag } from './fake-timers.js';
import { withTimeout } from '../src/with-timeout.js';

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('withTimeout', () => {
  test('gives up after ms on the injected timers, not a millisecond earlier, and never rejects', async () => {
    const timers = new FakeTimers();
    const never = new Promise<void>(() => {});
    const waited = withTimeout(never, 30_000, timers);
    const settled = settledFlag(waited);
    timers.advance(29_999);
    await turn();
    expect(settled()).toBe(false);
    timers.advance(1);
    await expect(waited).resolves.toBeUndefined();
    expect(timers.active).toBe(0);
  });

  test('settles with the promise (resolved or rejected) and clears its timer', async () => {
    const timers = new FakeTimers();
    await expect(withTimeout(Promise.resolve('done'), 30_000, timers)).resolves.toBeUndefined();
    expect(timers.active).toBe(0);
    await expect(withTimeout(Promise.reject(new Error('failed')), 30_000, timers)).resolves.toBeUndefined();
    expect(timers.active).toBe(0);
  });
});
