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

/**
 * Drives `timers` until `promise` settles: each round moves fake time by
 * `stepMs` (firing the directory's debounce and rescan timers) and lets I/O
 * run once. No real time is waited for; the scans themselves are real.
 */
async function drive<T>(promise: Promise<T>, timers: FakeTimers, stepMs: number): Promise<T> {
  let settled = false;
  const watched = promise.finally(() => {
    settled = true;
  });
  watched.catch(() => undefined);
  while (!settled) {
    timers.advance(stepMs);
    await new Promise((resolve) => setImmediate(resolve));
  }
  return watched;
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

    test("'peer' events: up when a peer process starts, down when it closes, down when one is SIGKILLed (seen by the rescan, injected timers)", async () => {
      const timers = new FakeTimers();
      const alice = await h.client('alice', { timers });
      // One listener throughout: the watch runs only while someone listens,
      // and a watch started afresh reports the peers listed at its start.
      alice.on('peer', () => {});
      const upBob = nextPeerEvent(alice, 'bob', 'up');
      const bob = await h.child('bob');
      await drive(upBob, timers, 2000);
      const upCarol = nextPeerEvent(alice, 'carol', 'up');
      const carol = await h.child('carol');
      await drive(upCarol, timers, 2000);

      const downBob = nextPeerEvent(alice, 'bob', 'down');
      await bob.command({ cmd: 'close' });
      await drive(downBob, timers, 2000);

      // A SIGKILLed peer leaves its files: only the periodic rescan's pid
      // check tells, and it runs on the injected timers.
      const downCarol = nextPeerEvent(alice, 'carol', 'down');
      carol.process.kill('SIGKILL');
      await carol.exited;
      await drive(downCarol, timers, 2000);
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
