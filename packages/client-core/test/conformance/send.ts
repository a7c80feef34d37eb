import { once } from 'node:events';
import type { Socket } from 'node:net';
import { BackpressureError, InvalidOptionError, OptionRangeError, type Client, type DisconnectEvent, type Message } from '@ipcm/client-core';
import { FakeTimers, settledFlag } from '../fake-timers.js';
import { Harness, helloFrame, writeRaw, type ConformanceTarget } from './harness.js';
import { waitUntil } from './suite.js';

/**
 * The send contract (RELIABILITY R34, R35 and the send semantics of the
 * README): what `send()`'s promise means, how an awaited loop and an
 * unawaited flood meet backpressure, and how messages a dying connection
 * could not write are reported. Behaviour only, never timing.
 */
export function defineSendSuite(target: ConformanceTarget): void {
  describe(`${target.name} client: send contract`, () => {
    const h = new Harness(target);
    beforeEach(() => h.setup());
    afterEach(() => h.cleanup());

    /** A raw peer that connects to `peerId`, says hello as `as`, and never reads. */
    async function staller(client: Client, peerId: string, as: string): Promise<Socket> {
      const raw = await h.raw(peerId);
      raw.pause();
      await writeRaw(raw, helloFrame(as));
      await waitUntil(() => client.hasConnection(as));
      return raw;
    }

    test('R34: destroy() after 1,000 sends: the peer receives exactly the resolved sends not reported unwritten', async () => {
      const alice = await h.client('alice');
      const bob = await h.client('bob');
      let received = 0;
      bob.on('message', () => received++);
      await alice.send('bob', 'warm');
      await waitUntil(() => received === 1);
      const disconnects: DisconnectEvent[] = [];
      alice.on('disconnect', (event) => disconnects.push(event));
      const aliceGone = once(bob, 'disconnect');
      const outcomes = Array.from({ length: 1000 }, (_, i) =>
        alice.send('bob', { i, pad: 'p'.repeat(100) }).then(
          () => 'ok',
          (error: { code?: string }) => error.code,
        ),
      );
      await alice.destroy();
      const settled = await Promise.all(outcomes);
      await aliceGone; // bob has read everything alice's connection carried
      const resolved = settled.filter((outcome) => outcome === 'ok').length;
      for (const outcome of settled.filter((o) => o !== 'ok')) expect(outcome).toMatch(/^ERR_IPCM_(CLIENT_CLOSED|CONNECTION_CLOSED)$/);
      const unwritten = alice.stats().unwritten;
      expect(disconnects.reduce((sum, event) => sum + event.unwritten, 0)).toBe(unwritten);
      expect(received - 1).toBe(resolved - unwritten);
      expect(alice.stats().sent['bob']).toBe(resolved + 1);
    });

    test('an awaited send loop against a slow reader never gets a backpressure error; it goes at the reader pace', async () => {
      // One waiting slot is all an awaited loop needs.
      const alice = await h.client('alice', { maxPendingBytes: 64 * 1024, maxWaitingSends: 1 });
      const bob = await h.client('bob', { maxQueuedMessages: 10 }); // reads only as fast as it is consumed
      const count = 2000;
      const pad = 's'.repeat(4096); // 8 MB in all: far more than the bound and the kernel hold
      const reader = (async () => {
        const seen: number[] = [];
        for await (const message of bob) {
          seen.push((message.content as { i: number }).i);
          if (seen.length % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
          if (seen.length === count) break;
        }
        return seen;
      })();
      let mostPending = 0;
      for (let i = 0; i < count; i++) {
        await alice.send('bob', { i, pad });
        mostPending = Math.max(mostPending, alice.pendingBytes('bob'));
      }
      expect(await reader).toEqual(Array.from({ length: count }, (_, i) => i));
      expect(mostPending).toBeLessThanOrEqual(64 * 1024 + 8 * 1024); // the bound, overshot by one frame at most
      expect(alice.stats().unwritten).toBe(0);
    });

    test('an unawaited flood stays within maxPendingBytes; past maxWaitingSends sends get a coded backpressure error', async () => {
      const alice = await h.client('alice', { maxPendingBytes: 256 * 1024, maxWaitingSends: 16 });
      await staller(alice, 'alice', 'x');
      const pad = 'u'.repeat(1024);
      const outcomes = Array.from({ length: 5000 }, (_, i) => {
        const send = alice.send('x', { i, pad });
        return { send, outcome: send.then(() => 'ok', (error: unknown) => error) };
      });
      // Everything was decided in this turn: accepted, waiting (16) or refused.
      expect(alice.pendingBytes('x')).toBeLessThanOrEqual(256 * 1024 + 2048);
      const refused = outcomes.slice(-100).map((o) => o.outcome);
      for (const outcome of await Promise.all(refused)) {
        expect(outcome).toBeInstanceOf(BackpressureError);
        expect(outcome).toMatchObject({ code: 'ERR_IPCM_BACKPRESSURE' });
      }
      await alice.destroy();
      const settled = await Promise.all(outcomes.map((o) => o.outcome));
      const ok = settled.filter((outcome) => outcome === 'ok').length;
      const codes = new Set(settled.filter((o) => o !== 'ok').map((o) => (o as { code: string }).code));
      expect([...codes].sort()).toEqual(['ERR_IPCM_BACKPRESSURE', 'ERR_IPCM_CLIENT_CLOSED']);
      expect(settled.filter((o) => (o as { code?: string }).code === 'ERR_IPCM_CLIENT_CLOSED')).toHaveLength(16);
      expect(alice.stats().sent['x']).toBe(ok);
      expect(alice.stats().unwritten).toBeGreaterThan(0); // the peer never read: accepted frames were lost, and said so
      expect(alice.stats().unwritten).toBeLessThanOrEqual(ok);
    });

    test('R34: accepted frames a dying connection never wrote are counted in its disconnect event and stats()', async () => {
      const alice = await h.client('alice', { maxPendingBytes: 1024 * 1024 });
      const raw = await staller(alice, 'alice', 'x');
      const disconnected = new Promise<DisconnectEvent>((resolve) => alice.on('disconnect', resolve));
      const big = 'g'.repeat(64 * 1024);
      const sends = Array.from({ length: 64 }, () => alice.send('x', big).then(() => 'ok', (error: unknown) => error));
      await waitUntil(() => alice.pendingBytes('x') > 0);
      raw.destroy(); // the peer dies without reading
      const event = await disconnected;
      const settled = await Promise.all(sends);
      const ok = settled.filter((outcome) => outcome === 'ok').length;
      for (const failure of settled.filter((o) => o !== 'ok')) expect(failure).toMatchObject({ code: 'ERR_IPCM_CONNECTION_CLOSED' });
      expect(event.unwritten).toBeGreaterThan(0);
      expect(event.unwritten).toBeLessThanOrEqual(ok);
      expect(alice.stats().unwritten).toBe(event.unwritten);
    });

    test('a waiting send is cancelled by its AbortSignal (coded, with the reason) and by timeoutMs on the injected timers; the rest still arrive in order', async () => {
      const timers = new FakeTimers();
      const alice = await h.client('alice', { maxPendingBytes: 1024 * 1024, maxWaitingSends: 4096, timers });
      const raw = await staller(alice, 'alice', 'x');
      const big = 'a'.repeat(64 * 1024);
      // 125 MiB asked for: far past the bound plus what any kernel buffers, so most wait.
      const flood = Array.from({ length: 2000 }, () => alice.send('x', big).then(() => 'ok', (error: unknown) => error));
      const controller = new AbortController();
      const aborted = alice.send('x', 'never', { signal: controller.signal });
      const reason = new Error('changed my mind');
      controller.abort(reason);
      await expect(aborted).rejects.toMatchObject({ code: 'ERR_IPCM_SEND_ABORTED', cause: reason });
      // The timeout runs on the client's timers: 30 s take no real time, and not a millisecond less.
      const late = alice.send('x', 'late', { timeoutMs: 30_000 });
      const lateDone = settledFlag(late);
      timers.advance(29_999);
      await new Promise((resolve) => setImmediate(resolve));
      expect(lateDone()).toBe(false);
      timers.advance(1);
      await expect(late).rejects.toMatchObject({ code: 'ERR_IPCM_SEND_TIMEOUT' });
      const already = new AbortController();
      already.abort();
      await expect(alice.send('x', 'no', { signal: already.signal })).rejects.toMatchObject({ code: 'ERR_IPCM_SEND_ABORTED' });
      await expect(alice.send('x', 'no', { timeoutMs: -1 })).rejects.toBeInstanceOf(OptionRangeError);
      // Past 2^31 - 1 ms Node would fire the timer after 1 ms: refused instead.
      await expect(alice.send('x', 'no', { timeoutMs: 2 ** 31 })).rejects.toMatchObject({
        name: 'OptionRangeError',
        code: 'ERR_IPCM_INVALID_OPTION',
        message: expect.stringMatching(/timeoutMs.*2147483648/) as unknown,
      });
      await expect(alice.send('x', 'no', { timeoutMs: '5' as unknown as number })).rejects.toBeInstanceOf(InvalidOptionError);
      await expect(alice.send('x', 'no', { signal: {} as AbortSignal })).rejects.toBeInstanceOf(InvalidOptionError);
      raw.destroy();
      const settled = await Promise.all(flood);
      expect(settled.filter((o) => o !== 'ok').length).toBeGreaterThan(0);
    });

    test('a send with room is accepted at once, whatever its signal or timeout', async () => {
      const alice = await h.client('alice');
      const bob = await h.client('bob');
      const got: Message[] = [];
      bob.on('message', (message: Message) => got.push(message));
      await alice.send('bob', 'first'); // the dial: a send waits for its connection to open
      await alice.send('bob', 'second', { timeoutMs: 0 });
      await alice.send('bob', 'third', { signal: new AbortController().signal, timeoutMs: 0 });
      await waitUntil(() => got.length === 3);
      expect(got.map((m) => m.content)).toEqual(['first', 'second', 'third']);
    });

    test('R35: a send refused for backpressure is refused before its content is encoded', async () => {
      const alice = await h.client('alice', { maxPendingBytes: 64 * 1024, maxWaitingSends: 0 });
      await staller(alice, 'alice', 'x');
      let encodes = 0;
      const content = {
        toJSON(): string {
          encodes++;
          return 'r'.repeat(1024);
        },
      };
      const outcomes: unknown[] = [];
      for (let i = 0; i < 200; i++) outcomes.push(await alice.send('x', content).then(() => 'ok', (error: unknown) => error));
      const accepted = outcomes.filter((outcome) => outcome === 'ok').length;
      expect(accepted).toBeGreaterThan(0);
      expect(outcomes.slice(accepted).every((outcome) => outcome instanceof BackpressureError)).toBe(true);
      expect(encodes).toBe(accepted);
    });

    test('R35: RAM under backpressure is bounded in bytes: growth within 1.5x maxPendingBytes per stalled connection', async () => {
      const maxPendingBytes = 16 * 1024 * 1024;
      // V8's young generation grows with the allocation rate, up to tens of
      // MiB per process, and its pages show in RSS whenever they are first
      // touched (often during a later flood than the one that grew it): not
      // memory a queue holds. A 1 MiB semi-space keeps that to a few MiB.
      const sender = await h.child('sender', { maxPendingBytes, maxWaitingSends: 0 }, {}, {
        execArgv: [...process.execArgv, '--max-semi-space-size=1'],
      });
      expect(sender.ready['ready']).toBe(true);
      let stalled = 0;
      for (const bytes of [16, 100, 64 * 1024]) {
        const raw = await h.raw('sender');
        raw.pause();
        await writeRaw(raw, helloFrame(`stall-${bytes}`));
        stalled++;
        // Until the sender has taken the hello, it does not know the peer.
        for (;;) {
          const { stats } = (await sender.command({ cmd: 'stats' })) as { stats: { open: { inbound: number } } };
          if (stats.open.inbound === stalled) break;
        }
        const report = await sender.command({ cmd: 'flood', to: `stall-${bytes}`, bytes });
        if (process.env['IPCM_REPORT'] !== undefined) process.stdout.write(`R35 ${target.name} ${bytes}: ${JSON.stringify(report)}\n`);
        expect(report).toMatchObject({ refused: 'ERR_IPCM_BACKPRESSURE' });
        expect(report['accepted']).toBeGreaterThan(0);
        expect(report['pendingBytes']).toBeLessThanOrEqual(maxPendingBytes + bytes + 1024);
        expect(report['rss']).toBeLessThanOrEqual(1.5 * maxPendingBytes);
        expect(report['heap']).toBeLessThanOrEqual(1.5 * maxPendingBytes);

      }
    });
  });
}
