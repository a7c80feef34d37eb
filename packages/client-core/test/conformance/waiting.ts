import { unlink } from 'node:fs/promises';
import {
  ClientClosedError,
  FsDirectory,
  IdInUseError,
  InvalidOptionError,
  OptionRangeError,
  WaitTimeoutError,
  WrongTransportError,
  type Client,
  type PeerEvent,
} from '@ipcm/client-core';
import { FakeTimers, settledFlag } from '../fake-timers.js';
import { Harness, nextErrors, nextMessages, type ConformanceTarget } from './harness.js';
import { waitUntil } from './suite.js';

/** FsDirectory's defaults, which the directory a client makes from `route` runs with. */
const RESCAN_INTERVAL_MS = 2000;
const DEBOUNCE_MS = 20;

/**
 * Moves fake time once, by `budgetMs`, then waits for `event` with no more
 * fake time: it must follow from what fell due within the budget (the
 * debounce after a filesystem event, or one periodic rescan). No real time
 * is waited for; the scans themselves are real I/O.
 */
async function within<T>(event: Promise<T>, timers: FakeTimers, budgetMs: number): Promise<T> {
  timers.advance(budgetMs);
  return event;
}

/** The next 'peer' event of `client` about `id` of this `type`. */
function nextPeerEvent(client: Client, id: string, type: PeerEvent['type']): Promise<PeerEvent> {
  return new Promise((resolve) => {
    const listener = (event: PeerEvent): void => {
      if (event.id !== id || event.type !== type) return;
      client.off('peer', listener);
      resolve(event);
    };
    client.on('peer', listener);
  });
}

/** waitForPeer() and the 'peer' event: peers coming up and going away, seen through the client's directory. */
export function defineWaitingSuite(target: ConformanceTarget): void {
  describe(`${target.name} client: waiting for peers`, () => {
    const h = new Harness(target);
    beforeEach(() => h.setup());
    afterEach(() => h.cleanup());

    test('waitForPeer resolves when a peer process started after the wait began comes up; a send then reaches it', async () => {
      const alice = await h.client('alice');
      const waited = alice.waitForPeer('bob', { timeoutMs: 60_000 });
      const bob = await h.child('bob');
      expect(bob.ready).toMatchObject({ ready: true });
      await waited;
      const replies = nextMessages(alice, 1);
      await alice.send('bob', 'ping');
      expect((await replies)[0]).toMatchObject({ from: 'bob', content: { echo: 'ping' } });
    });

    test('waitForPeer resolves at once for a peer already up', async () => {
      const alice = await h.client('alice');
      await h.client('bob');
      await alice.waitForPeer('bob');
    });

    test('waitForPeer rejects with ERR_IPCM_WAIT_TIMEOUT after timeoutMs (injected timers: no real waiting)', async () => {
      const timers = new FakeTimers();
      const alice = await h.client('alice', { timers });
      const waited = alice.waitForPeer('nobody', { timeoutMs: 30_000 });
      const settled = settledFlag(waited);
      timers.advance(29_999);
      await new Promise((resolve) => setImmediate(resolve));
      expect(settled()).toBe(false);
      timers.advance(1);
      await expect(waited).rejects.toBeInstanceOf(WaitTimeoutError);
      await expect(waited).rejects.toMatchObject({ code: 'ERR_IPCM_WAIT_TIMEOUT' });
    });

    test('waitForPeer refuses a timeoutMs past 2^31 - 1 ms (Node would fire it after 1 ms) and bad options with ERR_IPCM_INVALID_OPTION', async () => {
      const alice = await h.client('alice');
      const tooLong = alice.waitForPeer('nobody', { timeoutMs: 2 ** 31 });
      await expect(tooLong).rejects.toBeInstanceOf(OptionRangeError);
      await expect(tooLong).rejects.toMatchObject({ code: 'ERR_IPCM_INVALID_OPTION', message: expect.stringMatching(/timeoutMs.*2147483648/) as unknown });
      await expect(alice.waitForPeer('nobody', { timeoutMs: -1 })).rejects.toBeInstanceOf(OptionRangeError);
      await expect(alice.waitForPeer('nobody', { timeoutMs: '5' as unknown as number })).rejects.toBeInstanceOf(InvalidOptionError);
      await expect(alice.waitForPeer('nobody', { signal: {} as AbortSignal })).rejects.toBeInstanceOf(InvalidOptionError);
    });

    test("waitForPeer rejects with the signal's reason when aborted, and at once for a signal already aborted", async () => {
      const alice = await h.client('alice');
      const controller = new AbortController();
      const waited = alice.waitForPeer('nobody', { signal: controller.signal });
      const reason = new Error('stop waiting');
      controller.abort(reason);
      await expect(waited).rejects.toBe(reason);
      await expect(alice.waitForPeer('nobody', { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    });

    test('waitForPeer rejects with ERR_IPCM_CLIENT_CLOSED when the client closes meanwhile', async () => {
      const alice = await h.client('alice');
      const waited = alice.waitForPeer('nobody');
      waited.catch(() => undefined);
      await alice.close();
      await expect(waited).rejects.toBeInstanceOf(ClientClosedError);
    });

    test('waitForPeer rejects at once with ERR_IPCM_WRONG_TRANSPORT for a peer listening on another transport', async () => {
      const alice = await h.client('alice');
      const directory = await FsDirectory.open(h.route);
      const registration = await directory.register('pigeon', 'address');
      try {
        await registration.publish({ transport: 'carrier-pigeon', loft: 7 });
        await expect(alice.waitForPeer('pigeon', { timeoutMs: 60_000 })).rejects.toBeInstanceOf(WrongTransportError);
      } finally {
        await registration.release();
        await directory.close();
      }
    });

    test("'peer' events: up when a peer process starts, down when it closes, down when one is SIGKILLed (seen by the rescan), each within rescanIntervalMs + debounce of fake time", async () => {
      const timers = new FakeTimers();
      const alice = await h.client('alice', { timers });
      // One listener throughout: the watch runs only while someone listens,
      // and a watch started afresh reports the peers listed at its start.
      alice.on('peer', () => {});
      const budget = RESCAN_INTERVAL_MS + DEBOUNCE_MS;
      const upBob = nextPeerEvent(alice, 'bob', 'up');
      const bob = await h.child('bob');
      await within(upBob, timers, budget);
      const upCarol = nextPeerEvent(alice, 'carol', 'up');
      const carol = await h.child('carol');
      await within(upCarol, timers, budget);

      const downBob = nextPeerEvent(alice, 'bob', 'down');
      await bob.command({ cmd: 'close' });
      await within(downBob, timers, budget);

      // A SIGKILLed peer leaves its files: only the periodic rescan's pid
      // check tells, and it runs on the injected timers.
      const downCarol = nextPeerEvent(alice, 'carol', 'down');
      carol.process.kill('SIGKILL');
      await carol.exited;
      await within(downCarol, timers, budget);
    });

    test("the 'peer' watch runs only while someone listens: its rescan timer is armed by the first listener and gone with the last (injected timers)", async () => {
      const timers = new FakeTimers();
      const alice = await h.client('alice', { timers });
      const idle = timers.active; // the registration's lock check
      const first = (): void => {};
      const second = (): void => {};
      alice.on('message', () => {}); // other listeners start no watch
      for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
      expect(timers.active).toBe(idle);
      alice.on('peer', first);
      await waitUntil(() => timers.active === idle + 1); // the directory's periodic rescan
      alice.on('peer', second);
      alice.off('peer', first);
      for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
      expect(timers.active).toBe(idle + 1);
      alice.off('peer', second);
      await waitUntil(() => timers.active === idle);
      // A new listener starts it again.
      alice.on('peer', first);
      await waitUntil(() => timers.active === idle + 1);
    });

    test('a lost id (its lock gone, seen by the check on the injected timers) is an ERR_IPCM_ID_IN_USE error; the client stops accepting, open connections go on', async () => {
      const timers = new FakeTimers();
      const alice = await h.client('alice', { timers });
      const bob = await h.client('bob');
      const first = nextMessages(alice, 1);
      await bob.send('alice', 'before');
      await first;
      const errors = nextErrors(alice, 1);
      await unlink(`${await h.entryPath('alice')}.pid`);
      timers.advance(5000); // the registration's check interval
      const [error] = await errors;
      expect(error).toBeInstanceOf(IdInUseError);
      expect(error).toMatchObject({ code: 'ERR_IPCM_ID_IN_USE' });
      const carol = await h.client('carol');
      await expect(carol.send('alice', 'after')).rejects.toMatchObject({
        code: expect.stringMatching(/^ERR_IPCM_(UNKNOWN_PEER|CONNECT)$/),
      });
      const still = nextMessages(alice, 1);
      await bob.send('alice', 'still open');
      expect((await still)[0]).toMatchObject({ content: 'still open' });
    });
  });
}
