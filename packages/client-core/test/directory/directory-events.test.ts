// The event channel behind every watch: lazy subscription, overflow into a
// resync, ending and failing.
import { EventChannel, MAX_QUEUED_EVENTS, type WatchSource } from '../../src/directory-events.js';
import type { DirectoryEvent, PeerLocation } from '../../src/peer-directory.js';

const peer: PeerLocation = { id: 'a', listening: false };

/** A source that counts its subscriptions. */
function source(): WatchSource & { subscribed: number; unsubscribed: number } {
  const state = {
    subscribed: 0,
    unsubscribed: 0,
    subscribe() {
      state.subscribed++;
      return () => {
        state.unsubscribed++;
      };
    },
    current: () => [peer],
  };
  return state;
}

describe('EventChannel', () => {
  test('subscribes on the first next(), not before; unsubscribes once when it ends', async () => {
    const src = source();
    const channel = new EventChannel(src, undefined);
    expect(src.subscribed).toBe(0);
    const pending = channel.next();
    expect(src.subscribed).toBe(1);
    channel.push({ type: 'down', id: 'a' });
    expect(await pending).toEqual({ done: false, value: { type: 'down', id: 'a' } });
    await channel.return();
    channel.end();
    expect(src.unsubscribed).toBe(1);
    expect(await channel.next()).toEqual({ done: true, value: undefined });
  });

  test(`a consumer more than ${MAX_QUEUED_EVENTS} events behind gets one resync with the current view instead`, async () => {
    const src = source();
    const channel = new EventChannel(src, undefined);
    const first = channel.next();
    channel.push({ type: 'resync', peers: [] });
    await first;
    for (let i = 0; i <= MAX_QUEUED_EVENTS; i++) channel.push({ type: 'down', id: `p${i}` });
    expect((await channel.next()).value).toEqual({ type: 'resync', peers: [peer] } satisfies DirectoryEvent);
    await channel.return();
  });

  test('fail: queued events first, then the error, then done', async () => {
    const channel = new EventChannel(source(), undefined);
    const first = channel.next();
    channel.push({ type: 'down', id: 'a' });
    await first;
    channel.push({ type: 'down', id: 'b' });
    const boom = new Error('store gone');
    channel.fail(boom);
    expect((await channel.next()).value).toEqual({ type: 'down', id: 'b' });
    await expect(channel.next()).rejects.toBe(boom);
    expect(await channel.next()).toEqual({ done: true, value: undefined });
  });

  test('an already aborted signal: done at once, never subscribed', async () => {
    const src = source();
    const channel = new EventChannel(src, AbortSignal.abort());
    expect(await channel.next()).toEqual({ done: true, value: undefined });
    expect(src.subscribed).toBe(0);
  });
});
