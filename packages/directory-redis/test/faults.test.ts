// Redis itself failing: restarted with every key lost (R42), stopped (R43).
import { IdInUseError, type Registration } from '@ipcm/client-core';
import { nextMatching } from '../../client-core/test/directory/contract';
import { DirectoryUnavailableError, RedisDirectory } from '@ipcm/directory-redis';
import { makeRedisHarness, type RedisHarness } from './harness';
import { ManualTimers, rejection, whenListed } from './helpers';
import { describeWithRedis, RedisServer } from './redis-server';

const TCP = { transport: 'tcp', host: '127.0.0.1', port: 4000 } as const;

describeWithRedis('RedisDirectory when Redis fails', () => {
  let server: RedisServer;
  let harness: RedisHarness;
  const registrations: Registration[] = [];

  beforeEach(async () => {
    server = await RedisServer.start();
    harness = makeRedisHarness(server);
  });
  afterEach(async () => {
    if (!server.running) await server.restart();
    for (const registration of registrations.splice(0)) await registration.release();
    await harness.cleanup();
    await server.stop();
  });

  test('R42: after a restart that lost every key, live registrations re-claim and are found again; watchers resync', async () => {
    const a = await harness.open();
    const b = await harness.open();
    const held = [await a.register('one', 'address'), await b.register('two', 'marker')];
    registrations.push(...held);
    await held[0]?.publish(TCP);
    await held[1]?.publish();
    const watcher = await harness.open();
    const events = watcher.watch()[Symbol.asyncIterator]();
    try {
      expect((await events.next()).value).toEqual({
        type: 'resync',
        peers: [
          { id: 'one', listening: true, address: TCP },
          { id: 'two', listening: false },
        ],
      });

      await server.kill();
      await server.restart(); // same port, empty

      // Past the baseline, the watch's connection came back: a resync.
      await nextMatching(events, (event) => event.type === 'resync');
    } finally {
      await events.return?.();
    }
    await whenListed(watcher, 'one', 5000);
    await whenListed(watcher, 'two', 5000);
    expect(await watcher.list()).toEqual([
      { id: 'one', listening: true, address: TCP },
      { id: 'two', listening: false },
    ]);
    for (const registration of held) expect(registration.lost.aborted).toBe(false);
    // Re-claimed, so held again: nobody else gets the ids.
    expect(await rejection(watcher.register('one', 'address'))).toBeInstanceOf(IdInUseError);
  });

  test('R43: with Redis stopped, lookups, lists and registrations reject with ERR_IPCM_DIRECTORY_UNAVAILABLE; all recover when it returns', async () => {
    const a = await harness.open();
    const registration = await a.register('patient', 'address');
    registrations.push(registration);
    await registration.publish(TCP);
    // A directory over a URL, with ioredis's defaults (offline queue, 20 retries): still fails fast.
    const byUrl = new RedisDirectory({ redis: server.url, group: harness.group, commandTimeoutMs: 300 });
    try {
      expect(await byUrl.lookup('patient')).toMatchObject({ listening: true });

      await server.kill();
      for (const directory of [a, byUrl]) {
        for (const attempt of [directory.lookup('patient'), directory.list(), directory.register('newcomer', 'address')]) {
          const err = await rejection(attempt);
          expect(err).toBeInstanceOf(DirectoryUnavailableError);
          expect(err).toMatchObject({ code: 'ERR_IPCM_DIRECTORY_UNAVAILABLE' });
          expect((err as Error).message).toContain(harness.group);
        }
      }
      expect(registration.lost.aborted).toBe(false); // unreachable is not lost

      await server.restart(); // empty: the registration must re-claim
      await whenListed(byUrl, 'patient', 5000);
      expect(await a.lookup('patient')).toEqual({ id: 'patient', listening: true, address: TCP });
      expect(registration.lost.aborted).toBe(false);
    } finally {
      await byUrl.close();
    }
  });

  test('R43: while Redis is down a registration retries its refresh with backoff (50 ms doubling up to ttl/3), and re-claims when it returns', async () => {
    const timers = new ManualTimers();
    const commandTimeoutMs = 500;
    const a = await harness.open({ timers, ttlMs: 3000, commandTimeoutMs });
    const b = await harness.open();
    const registration = await a.register('backoff', 'address');
    registrations.push(registration);
    await registration.publish(TCP);
    timers.forget();
    // The delay of the next refresh, letting each command in between time out.
    const nextRefresh = async (): Promise<number> => {
      for (;;) {
        const ms = await timers.nextScheduled();
        if (ms !== commandTimeoutMs) return ms;
        timers.fire(commandTimeoutMs);
      }
    };

    await server.kill();
    const delays: number[] = [];
    timers.fire(1000);
    for (let i = 0; i < 6; i += 1) {
      const ms = await nextRefresh();
      delays.push(ms);
      timers.fire(ms);
    }
    expect(delays).toEqual([50, 100, 200, 400, 800, 1000]);
    expect(registration.lost.aborted).toBe(false);

    await server.restart(); // empty; the reconnect triggers a refresh at once, which re-claims
    await whenListed(b, 'backoff', 5000);
    expect(await b.lookup('backoff')).toEqual({ id: 'backoff', listening: true, address: TCP });
    expect(registration.lost.aborted).toBe(false);
  });
});
