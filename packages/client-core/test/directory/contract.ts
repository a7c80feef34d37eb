// The PeerDirectory contract: one suite, run against every implementation
// (the filesystem route directory, the static map, the chain, and any
// third-party directory: see "PeerDirectory" in the client-core README).
//
//   describeDirectoryContract('my directory', async () => ({
//     open: () => MyDirectory.connect(url),   // a new view of one shared store
//     cleanup: () => dropStore(url),
//   }));
//
// Events are awaited, never slept for; a directory that never delivers one
// fails by the jest timeout.
// It imports only the package's public surface, so a directory in another
// package of this repository runs it as it is.
import {
  IdInUseError,
  InvalidIdError,
  type DirectoryEvent,
  type EntryKind,
  type PeerDirectory,
  type PeerLocation,
  type Registration,
  type RouteAddress,
} from '@ipcm/client-core';

/** What a directory under test gives the contract suite. */
export interface DirectoryHarness {
  /**
   * A new view of the same shared store, as another process would open it
   * (the suite registers in one view and looks up in another). Every view
   * opened is closed by the suite.
   */
  open(): Promise<PeerDirectory>;
  /**
   * Makes `registration`'s holder die without releasing (a SIGKILL): the
   * directory must then stop listing it and report it `down`. Without this
   * hook those cases are skipped.
   */
  kill?(registration: Registration): Promise<void>;
  /**
   * Makes a `'socket'` registration listen at its `path`, for directories
   * that place sockets in the filesystem. Without this hook socket cases are
   * skipped.
   */
  listen?(registration: Registration): Promise<void>;
  /** Removes the shared store and whatever the harness opened. */
  cleanup(): Promise<void>;
  /** What the directory offers; each field defaults to `true`. */
  readonly supports?: {
    /**
     * Registrations are shared: another view sees a published peer, and a
     * live id cannot be registered twice. `false` for a directory whose
     * registrations hold nothing (a static map).
     */
    readonly registry?: boolean | undefined;
  };
}

/** An address as a TCP peer publishes it. */
const ADDRESS: RouteAddress = { transport: 'tcp', host: '127.0.0.1', port: 40001 };
const MOVED: RouteAddress = { transport: 'tcp', host: '127.0.0.1', port: 40002 };

/** Pulls events from `events` until one matches; fails if the iteration ends first. */
export async function nextMatching(
  events: AsyncIterator<DirectoryEvent>,
  matches: (event: DirectoryEvent) => boolean,
): Promise<DirectoryEvent> {
  for (;;) {
    const result = await events.next();
    if (result.done === true) throw new Error('the watch ended before the expected event');
    if (matches(result.value)) return result.value;
  }
}

/** Where `id` is in a resync's peers, or an up's location. */
function locationIn(event: DirectoryEvent, id: string): PeerLocation | undefined {
  if (event.type === 'resync') return event.peers.find((peer) => peer.id === id);
  return event.type === 'up' && event.id === id ? event.location : undefined;
}

/**
 * Defines the contract cases (a jest `describe`) for the directory that
 * `makeHarness` builds afresh for every case.
 */
export function describeDirectoryContract(label: string, makeHarness: () => Promise<DirectoryHarness>): void {
  describe(`PeerDirectory contract: ${label}`, () => {
    let harness: DirectoryHarness;
    let views: PeerDirectory[];
    let registrations: Registration[];
    let watches: AbortController[];

    beforeEach(async () => {
      harness = await makeHarness();
      views = [];
      registrations = [];
      watches = [];
    });

    afterEach(async () => {
      for (const watch of watches) watch.abort();
      for (const registration of registrations) await registration.release();
      for (const view of views) await view.close();
      await harness.cleanup();
    });

    async function view(): Promise<PeerDirectory> {
      const directory = await harness.open();
      views.push(directory);
      return directory;
    }

    async function register(directory: PeerDirectory, id: string, kind: EntryKind): Promise<Registration> {
      const registration = await directory.register(id, kind);
      registrations.push(registration);
      return registration;
    }

    /** A watch of `directory`, past its first event (the baseline resync). */
    async function watch(directory: PeerDirectory): Promise<{ events: AsyncIterator<DirectoryEvent>; baseline: DirectoryEvent }> {
      const controller = new AbortController();
      watches.push(controller);
      const events = directory.watch({ signal: controller.signal })[Symbol.asyncIterator]();
      const first = await events.next();
      if (first.done === true) throw new Error('the watch ended before its baseline');
      return { events, baseline: first.value };
    }

    const registry = (): boolean => harness.supports?.registry !== false;

    test('an unknown id: lookup and stats give undefined, list leaves it out', async () => {
      const directory = await view();
      expect(await directory.lookup('nobody-here')).toBeUndefined();
      expect(directory.stats === undefined || (await directory.stats('nobody-here')) === undefined).toBe(true);
      expect((await directory.list()).map((peer) => peer.id)).not.toContain('nobody-here');
    });

    test('an id no peer may have: register rejects with InvalidIdError, lookup gives undefined', async () => {
      const directory = await view();
      for (const id of ['', '_reserved']) {
        await expect(directory.register(id, 'marker')).rejects.toBeInstanceOf(InvalidIdError);
        expect(await directory.lookup(id)).toBeUndefined();
      }
    });

    test('register and publish an address: another view looks it up and lists it', async () => {
      if (!registry()) return;
      const mine = await view();
      const other = await view();
      const registration = await register(mine, 'addr-peer', 'address');
      expect(registration.id).toBe('addr-peer');
      expect(registration.kind).toBe('address');
      expect(registration.lost.aborted).toBe(false);
      await registration.publish(ADDRESS);
      const location = await other.lookup('addr-peer');
      expect(location).toMatchObject({ id: 'addr-peer', listening: true, address: ADDRESS });
      expect(await other.list()).toContainEqual(location);
    });

    test('a marker is listed as not listening', async () => {
      if (!registry()) return;
      const registration = await register(await view(), 'quiet-peer', 'marker');
      await registration.publish();
      const location = await (await view()).lookup('quiet-peer');
      expect(location).toMatchObject({ id: 'quiet-peer', listening: false });
      expect(location?.address).toBeUndefined();
    });

    test('a socket registration listens at its path and is listed with it', async () => {
      if (!registry() || harness.listen === undefined) return;
      const registration = await register(await view(), 'sock-peer', 'socket');
      expect(typeof registration.path).toBe('string');
      await harness.listen(registration);
      await registration.publish();
      expect(await (await view()).lookup('sock-peer')).toMatchObject({ id: 'sock-peer', listening: true, path: registration.path });
    });

    test('publishing again changes the address another view finds', async () => {
      if (!registry()) return;
      const other = await view();
      const registration = await register(await view(), 'moving', 'address');
      await registration.publish(ADDRESS);
      await registration.publish(MOVED);
      expect((await other.lookup('moving'))?.address).toEqual(MOVED);
    });

    test('release: no longer listed, lost not aborted, release idempotent, the id free again', async () => {
      if (!registry()) return;
      const mine = await view();
      const other = await view();
      const registration = await register(mine, 'leaving', 'address');
      await registration.publish(ADDRESS);
      await registration.release();
      await registration.release();
      expect(registration.lost.aborted).toBe(false);
      expect(await other.lookup('leaving')).toBeUndefined();
      expect((await other.list()).map((peer) => peer.id)).not.toContain('leaving');
      const again = await register(other, 'leaving', 'marker');
      await again.publish();
      expect(await mine.lookup('leaving')).toMatchObject({ listening: false });
    });

    test('a live id registered twice: IdInUseError, from this view and from another; the holder stays listed', async () => {
      if (!registry()) return;
      const mine = await view();
      const other = await view();
      const registration = await register(mine, 'taken', 'address');
      await registration.publish(ADDRESS);
      const fromOther = await other.register('taken', 'address').catch((err: unknown) => err);
      expect(fromOther).toBeInstanceOf(IdInUseError);
      expect(fromOther).toMatchObject({ code: 'ERR_IPCM_ID_IN_USE' });
      await expect(mine.register('taken', 'marker')).rejects.toBeInstanceOf(IdInUseError);
      expect(registration.lost.aborted).toBe(false);
      expect(await other.lookup('taken')).toMatchObject({ address: ADDRESS });
    });

    test('register with an aborted signal rejects with the signal reason', async () => {
      if (!registry()) return;
      const reason = new Error('gave up');
      await expect((await view()).register('never', 'marker', { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
      expect(await (await view()).lookup('never')).toBeUndefined();
    });

    test('watch: a resync first, then up when another view registers and down when it releases', async () => {
      if (!registry()) return;
      const watcher = await view();
      const early = await register(await view(), 'early', 'marker');
      await early.publish();
      const { events, baseline } = await watch(watcher);
      expect(baseline.type).toBe('resync');
      expect(locationIn(baseline, 'early')).toMatchObject({ listening: false });

      const registration = await register(await view(), 'arriving', 'address');
      await registration.publish(ADDRESS);
      const up = await nextMatching(events, (event) => locationIn(event, 'arriving') !== undefined);
      expect(locationIn(up, 'arriving')).toMatchObject({ id: 'arriving', listening: true, address: ADDRESS });

      await registration.release();
      await nextMatching(
        events,
        (event) => (event.type === 'down' && event.id === 'arriving') || (event.type === 'resync' && locationIn(event, 'arriving') === undefined),
      );
    });

    test('watch: a changed address is reported as a new up', async () => {
      if (!registry()) return;
      const { events } = await watch(await view());
      const registration = await register(await view(), 'mover', 'address');
      await registration.publish(ADDRESS);
      await nextMatching(events, (event) => locationIn(event, 'mover')?.address?.['port'] === ADDRESS['port']);
      await registration.publish(MOVED);
      await nextMatching(events, (event) => locationIn(event, 'mover')?.address?.['port'] === MOVED['port']);
    });

    test('a holder that dies without releasing: reported down, no longer listed', async () => {
      if (!registry() || harness.kill === undefined) return;
      const watcher = await view();
      const registration = await register(await view(), 'doomed', 'address');
      await registration.publish(ADDRESS);
      const { events, baseline } = await watch(watcher);
      expect(locationIn(baseline, 'doomed')).toBeDefined();
      await harness.kill(registration);
      await nextMatching(
        events,
        (event) => (event.type === 'down' && event.id === 'doomed') || (event.type === 'resync' && locationIn(event, 'doomed') === undefined),
      );
      expect(await watcher.lookup('doomed')).toBeUndefined();
      expect((await watcher.list()).map((peer) => peer.id)).not.toContain('doomed');
    });

    test('watch ends when its signal aborts, and at once for a signal already aborted', async () => {
      const directory = await view();
      const controller = new AbortController();
      const events = directory.watch({ signal: controller.signal })[Symbol.asyncIterator]();
      expect((await events.next()).value).toMatchObject({ type: 'resync' });
      const pending = events.next();
      controller.abort();
      expect(await pending).toEqual({ value: undefined, done: true });
      expect(await events.next()).toMatchObject({ done: true });

      const late = directory.watch({ signal: AbortSignal.abort() })[Symbol.asyncIterator]();
      expect(await late.next()).toMatchObject({ done: true });
    });

    test('watch ends when the consumer breaks out of for-await', async () => {
      const directory = await view();
      const seen: DirectoryEvent[] = [];
      for await (const event of directory.watch()) {
        seen.push(event);
        break;
      }
      expect(seen.map((event) => event.type)).toEqual(['resync']);
    });

    test('watch ends when the directory closes; close is idempotent', async () => {
      const directory = await harness.open();
      const events = directory.watch()[Symbol.asyncIterator]();
      expect((await events.next()).value).toMatchObject({ type: 'resync' });
      const pending = events.next();
      await directory.close();
      expect(await pending).toMatchObject({ done: true });
      await directory.close();
      expect(typeof directory.description).toBe('string');
    });
  });
}
