// The watch behind 'peer' events before the client has a directory, and
// what keeps the process alive while a directory is watched (issue 11).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ClientClosedError, combineDirectories, FsDirectory, realTimers, RouteError, StaticDirectory, type DirectoryEvent, type IpcmError, type PeerDirectory, type Timers, type PeerEvent, type Transport, type WatchOptions } from '../src/index.js';
import { PeerWatch, RESTART_MAX_MS, RESTART_MIN_MS } from '../src/peer-watch.js';
import { FakeTimers } from './fake-timers.js';

const transport: Transport = {
  name: 'memory',
  entryKind: 'address',
  listen: () => Promise.reject(new Error('not used')),
  connect: () => {
    throw new Error('not used');
  },
  probe: () => Promise.resolve('live'),
};

/** A PeerWatch over whatever `directory()` returns (throwing, as a client not yet started does, while undefined). */
function watchOf(
  get: () => PeerDirectory | undefined,
  timers: Timers = new FakeTimers(),
): { watch: PeerWatch; events: PeerEvent[]; errors: IpcmError[] } {
  const events: PeerEvent[] = [];
  const errors: IpcmError[] = [];
  const watch = new PeerWatch({
    id: 'alice',
    transport,
    timers,
    isClosed: () => false,
    directory: () => {
      const directory = get();
      if (directory === undefined) throw new ClientClosedError('the client has not started');
      return directory;
    },
    describeDirectory: () => 'static peers',
    closedError: () => new ClientClosedError('closed'),
    emitPeer: (event) => events.push(event),
    reportError: (error) => errors.push(error),
  });
  return { watch, events, errors };
}

async function until(done: () => boolean): Promise<void> {
  for (let round = 0; !done(); round++) {
    if (round === 100) throw new Error('gave up waiting');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

test("'peer' listened for before the client started: no ERR_IPCM_CLIENT_CLOSED, and the watch starts once the client has (opened())", async () => {
  let directory: PeerDirectory | undefined;
  const { watch, events, errors } = watchOf(() => directory);
  watch.start();
  await until(() => true);
  expect(watch.watching).toBe(false);
  expect(errors).toEqual([]);
  directory = new StaticDirectory({ bob: { transport: 'memory', name: 'bob' } });
  watch.opened();
  expect(watch.watching).toBe(true);
  await until(() => events.length === 1);
  expect(events).toEqual([{ id: 'bob', type: 'up' }]);
  watch.close();
  await until(() => !watch.watching);
});

test("setRef(false) restarts the 'peer' watch with ref: false (a resync: no event repeated); setRef(true) with ref: true", async () => {
  const inner = new StaticDirectory({ bob: { transport: 'memory', name: 'bob' } });
  const refs: Array<boolean | undefined> = [];
  const recording: PeerDirectory = {
    description: inner.description,
    register: (id, kind, options) => inner.register(id, kind, options),
    lookup: (id) => inner.lookup(id),
    list: () => inner.list(),
    watch: (options?: WatchOptions) => {
      refs.push(options?.ref);
      return inner.watch(options);
    },
    close: () => inner.close(),
  };
  const { watch, events } = watchOf(() => recording);
  watch.start();
  await until(() => events.length === 1);
  watch.setRef(false);
  await until(() => refs.length === 2);
  watch.setRef(true);
  await until(() => refs.length === 3);
  expect(refs).toEqual([true, false, true]);
  expect(events).toEqual([{ id: 'bob', type: 'up' }]);
  watch.close();
  await until(() => !watch.watching);
});

/** A directory whose every watch reports a resync (of nobody) and then fails. */
const failingAfterResync: PeerDirectory = {
  description: 'a directory failing after its resync',
  register: () => Promise.reject(new Error('not used')),
  lookup: () => Promise.resolve(undefined),
  list: () => Promise.resolve([]),
  watch: () => ({
    async *[Symbol.asyncIterator](): AsyncGenerator<DirectoryEvent> {
      yield { type: 'resync', peers: [] };
      throw new RouteError('the directory went away');
    },
  }),
  close: () => Promise.resolve(),
};

test("a watch that fails right after each resync backs off (a resync alone does not reset the backoff)", async () => {
  const timers = new FakeTimers();
  const { watch, errors } = watchOf(() => failingAfterResync, timers);
  watch.start();
  await until(() => errors.length === 1);
  // Each failure doubles the pause: nothing restarts 1 ms before it ends.
  for (const [failure, pause] of [RESTART_MIN_MS, 2 * RESTART_MIN_MS, 4 * RESTART_MIN_MS].entries()) {
    timers.advance(pause - 1);
    for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(errors).toHaveLength(failure + 1);
    timers.advance(1);
    await until(() => errors.length === failure + 2);
  }
  watch.close();
});

test('failures hours apart are not "in a row": a watch that has run RESTART_MAX_MS starts the backoff over', async () => {
  const timers = new FakeTimers();
  // Each watch reports a resync, then fails at once while `failAtOnce`,
  // else when the test breaks it.
  let failAtOnce = true;
  let breakIt: () => void = () => {};
  const directory: PeerDirectory = {
    ...failingAfterResync,
    watch: () => ({
      async *[Symbol.asyncIterator](): AsyncGenerator<DirectoryEvent> {
        yield { type: 'resync', peers: [] };
        if (!failAtOnce) await new Promise<void>((resolve) => (breakIt = resolve));
        throw new RouteError('the directory went away');
      },
    }),
  };
  const { watch, errors } = watchOf(() => directory, timers);
  const turns = async (): Promise<void> => {
    for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve));
  };
  watch.start();
  await until(() => errors.length === 1);
  timers.advance(RESTART_MIN_MS);
  await until(() => errors.length === 2);
  // The pause is now 2 x RESTART_MIN_MS; the restart after it stays up.
  failAtOnce = false;
  timers.advance(2 * RESTART_MIN_MS);
  await turns();
  expect(errors).toHaveLength(2);
  timers.advance(RESTART_MAX_MS); // a working watch for that long
  breakIt();
  await until(() => errors.length === 3);
  failAtOnce = true;
  timers.advance(RESTART_MIN_MS - 1);
  await turns();
  expect(errors).toHaveLength(3);
  timers.advance(1);
  await until(() => errors.length === 4);
  watch.close();
});

test("unref() during a restart pause: the pause's timer stops holding the process; ref() makes it hold again", async () => {
  // Real timers, never waited for: only whether the pending timer is ref'd.
  const { watch, errors } = watchOf(() => failingAfterResync, realTimers);
  const timeouts = (): number => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
  const baseline = timeouts();
  watch.start();
  await until(() => errors.length === 1);
  expect(timeouts()).toBe(baseline + 1); // the pause before the restart
  watch.setRef(false);
  expect(timeouts()).toBe(baseline);
  watch.setRef(true);
  expect(timeouts()).toBe(baseline + 1);
  watch.close();
  expect(timeouts()).toBe(baseline);
});

describe('FsDirectory watch and the process lifetime', () => {
  let route: string;
  beforeEach(async () => {
    route = await mkdtemp(path.join(tmpdir(), 'ipcm-ref-'));
  });
  afterEach(() => rm(route, { recursive: true, force: true }));

  /** Handles keeping the process alive, of the kinds a watch holds. */
  const held = (): number => process.getActiveResourcesInfo().filter((kind) => kind === 'FSEventWrap' || kind === 'Timeout').length;

  test.each([
    ['a route directory', (fs: FsDirectory): PeerDirectory => fs],
    ['a combined directory with a route directory inside', (fs: FsDirectory): PeerDirectory => combineDirectories(new StaticDirectory({ bob: { transport: 'memory', name: 'bob' } }), fs)],
  ])("%s: a watch with ref: false holds neither a persistent fs.watch nor a ref'd rescan timer; a ref'd iteration joining makes them hold again", async (_name, over) => {
    const directory = over(await FsDirectory.open(route));
    const stop = new AbortController();
    try {
      const baseline = held();
      const quiet = directory.watch({ signal: stop.signal, ref: false })[Symbol.asyncIterator]();
      expect((await quiet.next()).value).toMatchObject({ type: 'resync' });
      expect(held()).toBe(baseline);
      const loud = directory.watch({ signal: stop.signal })[Symbol.asyncIterator]();
      expect((await loud.next()).value).toMatchObject({ type: 'resync' });
      expect(held()).toBe(baseline + 2); // the watcher and the rescan timer
      await loud.return?.();
      expect(held()).toBe(baseline);
    } finally {
      stop.abort();
      await directory.close();
    }
  });
});
