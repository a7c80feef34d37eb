import { ConfigError, IdInUseError, InvalidIdError, IpcmError, OptionRangeError, type Registration } from '@ipcm/client-core';
import { Redis } from 'ioredis';
import { DirectoryUnavailableError, MAX_QUEUED_EVENTS, RedisDirectory } from '@ipcm/directory-redis';
import { makeRedisHarness, type RedisHarness } from './harness';
import { forkRegistrant, ManualTimers, rejection, watchFor } from './helpers';
import { describeWithRedis, RedisServer } from './redis-server';

const TCP = { transport: 'tcp', host: '127.0.0.1', port: 4000 } as const;

describeWithRedis('RedisDirectory on a real redis-server', () => {
  let server: RedisServer;
  let harness: RedisHarness;
  const registrations: Registration[] = [];

  beforeAll(async () => {
    server = await RedisServer.start();
  });
  afterAll(async () => {
    await server.stop();
  });
  beforeEach(() => {
    harness = makeRedisHarness(server);
  });
  afterEach(async () => {
    for (const registration of registrations.splice(0)) await registration.release();
    await harness.cleanup();
  });

  async function register(directory: RedisDirectory, id: string, kind: 'address' | 'marker' = 'address'): Promise<Registration> {
    const registration = await directory.register(id, kind);
    registrations.push(registration);
    return registration;
  }

  test('a published address is found by lookup and list from another view, and gone after release', async () => {
    const a = await harness.open();
    const b = await harness.open();
    const registration = await register(a, 'alpha');
    expect(registration).toMatchObject({ id: 'alpha', kind: 'address', path: undefined });
    expect(await b.lookup('alpha')).toBeUndefined(); // claimed, not yet published
    await registration.publish(TCP);
    const marker = await register(b, 'beta', 'marker');
    await marker.publish();
    expect(await b.lookup('alpha')).toEqual({ id: 'alpha', listening: true, address: TCP });
    expect(await a.list()).toEqual([
      { id: 'alpha', listening: true, address: TCP },
      { id: 'beta', listening: false },
    ]);
    await registration.release();
    await registration.release(); // idempotent
    expect(await b.lookup('alpha')).toBeUndefined();
    expect((await b.list()).map((peer) => peer.id)).toEqual(['beta']);
    expect(registration.lost.aborted).toBe(false);
  });

  test('publish may be called again to change the address', async () => {
    const a = await harness.open();
    const registration = await register(a, 'mover');
    await registration.publish(TCP);
    await registration.publish({ ...TCP, port: 4001 });
    expect(await a.lookup('mover')).toMatchObject({ address: { port: 4001 } });
  });

  test('R41: a live id is never taken over, not even from another view; free once released', async () => {
    const a = await harness.open();
    const b = await harness.open();
    const held = await register(a, 'solo');
    await held.publish(TCP);
    for (const directory of [a, b]) {
      const err = await rejection(directory.register('solo', 'address'));
      expect(err).toBeInstanceOf(IdInUseError);
      expect(err).toMatchObject({ code: 'ERR_IPCM_ID_IN_USE' });
    }
    await held.release();
    await register(b, 'solo');
  });

  test('R18: views racing for one id: exactly one wins', async () => {
    const views = await Promise.all(Array.from({ length: 6 }, () => harness.open()));
    const results = await Promise.allSettled(views.map((view) => view.register('contested', 'address')));
    const won = results.filter((result) => result.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const result of results) {
      if (result.status === 'fulfilled') registrations.push(result.value);
      else expect(result.reason).toBeInstanceOf(IdInUseError);
    }
  });

  test('R18: processes racing for one id: exactly one wins', async () => {
    const children = [0, 1, 2].map(() => forkRegistrant(server.url, harness.group, 'raced', 5000, 'race'));
    try {
      await Promise.all(children.map((child) => child.ready)); // all loaded, none registered yet
      const reports = await Promise.all(children.map((child) => child.request('go', null)));
      expect(reports.filter((r) => r.won === true)).toHaveLength(1);
      expect(reports.filter((r) => r.code === 'ERR_IPCM_ID_IN_USE')).toHaveLength(2);
    } finally {
      await Promise.all(children.map((child) => child.kill()));
    }
  });

  test('R41: a SIGKILLed registrant is gone from lookups within its TTL (1 s) and a down event is seen; its id is free only then', async () => {
    const watcher = await harness.open();
    const child = forkRegistrant(server.url, harness.group, 'doomed', 1000, 'hold');
    const raw = new Redis(server.url);
    try {
      expect(await child.ready).toMatchObject({ won: true });
      const down = watchFor(watcher, (event) => event.type === 'down' && event.id === 'doomed', 10_000);
      await watcher.whenWatching();
      expect(await watcher.lookup('doomed')).toMatchObject({ listening: true });
      await child.kill();
      // Redis itself says when the key goes: at most the TTL after the kill
      // (lookups are GETs, which never return an expired key).
      const remaining = await raw.pttl(`ipcm:{${harness.group}}:peer:doomed`);
      expect(remaining).toBeGreaterThan(0);
      expect(remaining).toBeLessThanOrEqual(1000);
      // Still held until then: a live-looking id is never taken over.
      expect(await rejection(watcher.register('doomed', 'address'))).toBeInstanceOf(IdInUseError);
      expect(await down).toEqual({ type: 'down', id: 'doomed' });
      expect(await watcher.lookup('doomed')).toBeUndefined();
      expect((await watcher.list()).map((peer) => peer.id)).not.toContain('doomed');
      await register(watcher, 'doomed');
    } finally {
      raw.disconnect();
      await child.kill();
    }
  });

  test('watch: up when another view publishes, down when it releases', async () => {
    const watcher = await harness.open();
    const other = await harness.open();
    const up = watchFor(watcher, (event) => event.type === 'up', 5000);
    await watcher.whenWatching();
    const registration = await register(other, 'comer');
    await registration.publish(TCP);
    expect(await up).toEqual({ type: 'up', id: 'comer', location: { id: 'comer', listening: true, address: TCP } });
    const down = watchFor(watcher, (event) => event.type === 'down', 5000);
    await watcher.whenWatching();
    await registration.release();
    expect(await down).toEqual({ type: 'down', id: 'comer' });
  });

  test('every watch starts with a resync of the current list, also one that joins a directory already watching', async () => {
    const watcher = await harness.open();
    const other = await harness.open();
    const location = { id: 'present', listening: true, address: TCP };
    const first = watcher.watch()[Symbol.asyncIterator]();
    const second = watcher.watch()[Symbol.asyncIterator]();
    try {
      expect((await first.next()).value).toEqual({ type: 'resync', peers: [] });
      const registration = await register(other, 'present');
      await registration.publish(TCP);
      expect((await first.next()).value).toEqual({ type: 'up', id: 'present', location });
      // Started after the up: its baseline holds the peer, and it hears what follows.
      expect((await second.next()).value).toEqual({ type: 'resync', peers: [location] });
      await registration.release();
      expect((await first.next()).value).toEqual({ type: 'down', id: 'present' });
      expect((await second.next()).value).toEqual({ type: 'down', id: 'present' });
    } finally {
      await first.return?.();
      await second.return?.();
    }
  });

  test('a watch ends when its signal aborts, and when the directory closes', async () => {
    const directory = await harness.open();
    const controller = new AbortController();
    const iteration = (async () => {
      for await (const _event of directory.watch({ signal: controller.signal })) {
        // no events expected
      }
    })();
    await directory.whenWatching();
    controller.abort();
    await iteration;
    const second = (async () => {
      for await (const _event of directory.watch()) {
        // no events expected
      }
    })();
    await directory.whenWatching();
    await directory.close();
    await second;
  });

  test('a watcher that leaves more than MAX_QUEUED_EVENTS unread gets a resync with the full list instead', async () => {
    const watcher = await harness.open();
    const other = await harness.open();
    const iterator = watcher.watch()[Symbol.asyncIterator]();
    try {
      expect((await iterator.next()).value).toEqual({ type: 'resync', peers: [] }); // the baseline
      const first = iterator.next();
      await watcher.whenWatching();
      const last = { ...TCP, port: MAX_QUEUED_EVENTS + 10 };
      // A second watcher of the same directory is fed by the same hub, in
      // the same order: once it has the last event, so has the first.
      const delivered = watchFor(watcher, (event) => event.type === 'up' && event.location.address?.['port'] === last.port, 10_000);
      const registration = await register(other, 'chatty');
      for (let port = 1; port <= last.port; port += 1) await registration.publish({ ...TCP, port });
      expect((await first).value).toMatchObject({ type: 'up', id: 'chatty', location: { address: { port: 1 } } });
      await delivered;
      const next = await iterator.next();
      expect(next.value).toEqual({ type: 'resync', peers: [{ id: 'chatty', listening: true, address: last }] });
    } finally {
      await iterator.return?.();
    }
  });

  test('refreshes every ttl/3 (injected timers); a refresh that finds the key gone re-claims it', async () => {
    const timers = new ManualTimers();
    const a = await harness.open({ timers, ttlMs: 3000 });
    const b = await harness.open();
    const registration = await register(a, 'refreshed');
    await registration.publish(TCP);
    expect(timers.delays()).toEqual([1000]);
    const raw = new Redis(server.url);
    try {
      const key = `ipcm:{${harness.group}}:peer:refreshed`;
      const ttlBefore = await raw.pttl(key);
      await raw.del(key); // what a restarted Redis or a failover does
      expect(await b.lookup('refreshed')).toBeUndefined();
      const up = watchFor(b, (event) => event.type === 'up' && event.id === 'refreshed', 5000);
      await b.whenWatching();
      timers.fire(1000);
      expect(await up).toMatchObject({ location: { address: TCP } }); // the re-claim is announced
      expect(await b.lookup('refreshed')).toEqual({ id: 'refreshed', listening: true, address: TCP });
      expect(await raw.pttl(key)).toBeGreaterThan(ttlBefore - 1000);
      expect(registration.lost.aborted).toBe(false);
    } finally {
      raw.disconnect();
    }
  });

  test('R42: a refresh that finds the id held by another owner aborts lost with ERR_IPCM_ID_IN_USE and stops refreshing', async () => {
    const timers = new ManualTimers();
    const a = await harness.open({ timers, ttlMs: 3000 });
    const b = await harness.open();
    const registration = await register(a, 'usurped');
    await registration.publish(TCP);
    const raw = new Redis(server.url);
    try {
      const key = `ipcm:{${harness.group}}:peer:usurped`;
      await raw.del(key);
      const thief = await register(b, 'usurped'); // someone else claims the lapsed id first
      await thief.publish({ ...TCP, port: 5000 });
      const lost = new Promise((resolve) => registration.lost.addEventListener('abort', resolve));
      timers.fire(1000);
      await lost;
      expect(registration.lost.reason).toBeInstanceOf(IdInUseError);
      expect(timers.delays()).toEqual([]);
      expect(await b.lookup('usurped')).toMatchObject({ address: { port: 5000 } }); // never held by two
      expect(await rejection(registration.publish(TCP))).toBeInstanceOf(IdInUseError);
      await registration.release(); // never throws for a lost id, and leaves the thief alone
      expect(await b.lookup('usurped')).toMatchObject({ address: { port: 5000 } });
    } finally {
      raw.disconnect();
    }
  });

  test('R42: release leaves alone an id another owner took since the last refresh', async () => {
    const timers = new ManualTimers(); // no refresh runs: the registration still believes it holds the id
    const a = await harness.open({ timers, ttlMs: 3000 });
    const b = await harness.open();
    const stale = await register(a, 'taken');
    await stale.publish(TCP);
    const raw = new Redis(server.url);
    try {
      await raw.del(`ipcm:{${harness.group}}:peer:taken`);
      const thief = await register(b, 'taken');
      await thief.publish({ ...TCP, port: 5000 });
      await stale.release();
      expect(await b.lookup('taken')).toMatchObject({ address: { port: 5000 } });
    } finally {
      raw.disconnect();
    }
  });

  test('R44: a non-loopback address needs authenticated (token or TLS), from the options or at register', async () => {
    const plain = await harness.open();
    const registration = await register(plain, 'remote');
    const err = await rejection(registration.publish({ transport: 'tcp', host: '10.1.2.3', port: 7000 }));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err).toMatchObject({ code: 'ERR_IPCM_CONFIG' });
    expect(await plain.lookup('remote')).toBeUndefined();
    for (const host of ['127.0.0.2', '::1', 'localhost']) await registration.publish({ transport: 'tcp', host, port: 7000 });
    const authenticated = await plain.register('remote-tls', 'address', { authenticated: true });
    registrations.push(authenticated);
    await authenticated.publish({ transport: 'tcp', host: '10.1.2.3', port: 7000 });
    const trusting = await harness.open({ authenticated: true });
    const third = await register(trusting, 'remote-token');
    await third.publish({ transport: 'tcp', host: 'host-b.example', port: 7000 });
    expect((await plain.list()).map((peer) => peer.id)).toEqual(['remote', 'remote-tls', 'remote-token']);
  });

  test('rejects socket registrations, invalid ids, malformed addresses and bad options with their codes', async () => {
    const directory = await harness.open();
    expect(await rejection(directory.register('sock', 'socket'))).toBeInstanceOf(ConfigError);
    expect(await rejection(directory.register('_reserved', 'address'))).toBeInstanceOf(InvalidIdError);
    const registration = await register(directory, 'shape');
    await expect(registration.publish({ transport: '' })).rejects.toThrow(TypeError);
    await expect(registration.publish()).rejects.toThrow(TypeError);
    const controller = new AbortController();
    controller.abort(new Error('gave up'));
    await expect(directory.register('aborted', 'address', { signal: controller.signal })).rejects.toThrow('gave up');
    expect(() => new RedisDirectory({ redis: server.url, group: 'a{b}' })).toThrow(TypeError);
    expect(() => new RedisDirectory({ redis: server.url, group: 'g', ttlMs: 0 })).toThrow(RangeError);
    // A timer cannot wait longer than 2^31 - 1 ms: a longer commandTimeoutMs would fire at once.
    expect(() => new RedisDirectory({ redis: server.url, group: 'g', commandTimeoutMs: 2 ** 31 })).toThrow(OptionRangeError);
    expect(() => new RedisDirectory({ redis: server.url, group: 'g', commandTimeoutMs: 2 ** 31 })).toThrow(/commandTimeoutMs.*2147483648/);
  });

  test('a URL makes a connection of its own, closed by close(); lookups after close reject', async () => {
    const directory = new RedisDirectory({ redis: server.url, group: harness.group });
    const registration = await directory.register('by-url', 'marker');
    await registration.publish();
    expect(await directory.lookup('by-url')).toEqual({ id: 'by-url', listening: false });
    await registration.release();
    await directory.close();
    await directory.close();
    await expect(directory.lookup('by-url')).rejects.toMatchObject({ code: 'ERR_IPCM_CLIENT_CLOSED' });
  });

  test('DirectoryUnavailableError is an IpcmError with its own stable code', () => {
    const err = new DirectoryUnavailableError('down', { cause: new Error('ECONNREFUSED') });
    expect(err).toBeInstanceOf(IpcmError);
    expect(err).toBeInstanceOf(DirectoryUnavailableError);
    expect(err.code).toBe('ERR_IPCM_DIRECTORY_UNAVAILABLE');
    expect(err.name).toBe('DirectoryUnavailableError');
    expect(err.cause).toBeInstanceOf(Error);
  });
});
