import { once } from 'node:events';
import {
  BadContentError,
  IpcmError,
  UnknownPeerError,
  jsonSerializer,
  type Message,
  type Serializer,
} from '@ipcm/client-core';
import { Harness, nextErrors, nextMessages, recordErrors, type ConformanceTarget } from './harness.js';

/** Content `send()` must refuse, and what the error must say about it. */
function unsendable(): Array<[label: string, content: unknown, says: RegExp]> {
  const circular: Record<string, unknown> = { name: 'loop' };
  circular['self'] = circular;
  return [
    ['a function', () => 1, /content is a function, which has no JSON form/],
    ['a symbol', Symbol('s'), /content is a symbol, which has no JSON form/],
    ['undefined', undefined, /content is undefined, which has no JSON form/],
    ['null', null, /content is null \(an IPC::Manager peer refuses/],
    ['a BigInt', 10n, /content has no JSON form \(.*BigInt/],
    ['a BigInt inside an object', { n: [1n] }, /content has no JSON form \(.*BigInt/],
    ['a circular object', circular, /content has no JSON form \(.*circular/],
    ['an invalid Date (its toJSON() gives null)', new Date(NaN), /toJSON\(\) returned null/],
    ['an object whose toJSON() throws', { toJSON: () => { throw new Error('no form'); } }, /content has no JSON form \(no form\)/],
  ];
}

/**
 * Sending: a send resolves only for a message the peer will read (content
 * with a JSON form IPC::Manager accepts), and rejections from listeners (the
 * README's reply pattern) never crash the process.
 */
export function defineContentSuite(target: ConformanceTarget): void {
  describe(`${target.name} client: sending`, () => {
    const h = new Harness(target);
    beforeEach(() => h.setup());
    afterEach(() => h.cleanup());

    test.each(unsendable())(
      'send() refuses %s as content with ERR_IPCM_BAD_CONTENT naming the peer, and writes nothing',
      async (_label, content, says) => {
        const alice = await h.client('alice');
        const bob = await h.client('bob');
        const bobErrors = recordErrors(bob);
        const error = await alice.send('bob', content).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(BadContentError);
        expect(error).toBeInstanceOf(IpcmError);
        expect(error).toMatchObject({ code: 'ERR_IPCM_BAD_CONTENT' });
        expect((error as Error).message).toContain('"bob"');
        expect((error as Error).message).toMatch(says);
        // Nothing was written, not even a connection opened for it.
        expect(alice.stats()).toMatchObject({ connects: 0, framesOut: 0, bytesOut: 0 });
        expect(alice.connections()).toEqual([]);
        // The next good message is the first thing bob reads.
        const arrived = nextMessages(bob, 1);
        await alice.send('bob', 'good');
        expect((await arrived)[0]?.content).toBe('good');
        expect(bob.stats().read).toEqual({ alice: 1 });
        expect(bobErrors).toEqual([]);
      },
    );

    test('nested functions and undefined follow JSON.stringify (left out of objects, null in arrays)', async () => {
      const alice = await h.client('alice');
      const bob = await h.client('bob');
      const arrived = nextMessages(bob, 1);
      await alice.send('bob', { keep: 1, fn: () => 1, missing: undefined, list: [undefined, () => 1, 2] });
      expect((await arrived)[0]?.content).toEqual({ keep: 1, list: [null, null, 2] });
    });

    test('a custom serializer that throws: ERR_IPCM_BAD_CONTENT with the thrown error as cause, nothing written', async () => {
      const failure = new Error('cannot encode this');
      const picky: Serializer = {
        encode: (value) => {
          if ((value as { content?: unknown }).content === 'unencodable') throw failure;
          return jsonSerializer.encode(value);
        },
        decode: jsonSerializer.decode,
      };
      const alice = await h.client('alice', { serializer: picky });
      const bob = await h.client('bob');
      const error = await alice.send('bob', 'unencodable').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(BadContentError);
      expect(error).toMatchObject({ code: 'ERR_IPCM_BAD_CONTENT', cause: failure });
      expect((error as Error).message).toMatch(/"bob".*the serializer failed \(cannot encode this\)/);
      expect(alice.stats()).toMatchObject({ connects: 0, framesOut: 0 });
      const arrived = nextMessages(bob, 1);
      await alice.send('bob', 'fine');
      expect((await arrived)[0]?.content).toBe('fine');
    });

    test('broadcast() refuses content with no JSON form the same way, before anything is sent to anyone', async () => {
      const alice = await h.client('alice');
      const bob = await h.client('bob');
      const carol = await h.client('carol');
      for (const [, content, says] of unsendable()) {
        const error = await alice.broadcast(content).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(BadContentError);
        expect((error as Error).message).toMatch(/broadcast/);
        expect((error as Error).message).toMatch(says);
      }
      expect(alice.stats()).toMatchObject({ connects: 0, framesOut: 0 });
      const atBob = nextMessages(bob, 1);
      const atCarol = nextMessages(carol, 1);
      await alice.broadcast('good');
      expect((await atBob)[0]?.content).toBe('good');
      expect((await atCarol)[0]?.content).toBe('good');
    });

    test("the README reply pattern: a reply to a requester that left rejects into the 'error' event", async () => {
      const bob = await h.client('bob');
      const alice = await h.client('alice');
      const aliceLeft = once(bob, 'disconnect');
      let gone: () => void = () => undefined;
      const requesterGone = new Promise<void>((resolve) => (gone = resolve));
      // As the READMEs show it (the wait only makes "the requester has left" certain).
      bob.on('message', async (message: Message) => {
        await requesterGone;
        await bob.send(message.from, { echo: message.content });
      });
      const errors = nextErrors(bob, 1);
      await alice.send('bob', 'ping');
      // Bob reads the ping, then sees alice's connection end; alice is gone.
      await Promise.all([alice.close(), aliceLeft]);
      gone();
      const [error] = await errors;
      expect(error).toBeInstanceOf(UnknownPeerError);
      expect(error?.message).toContain('"alice"');
      expect(bob.stats().errors).toBe(1);
    });

    test('the README reply pattern with no error listener: the process survives and the failed reply is counted', async () => {
      const asker = await h.client('asker');
      // The replier runs the README's pattern in its own process, with no
      // 'error' listener; it reports once its reply has failed.
      const replier = await h.child('replier', {}, { mode: 'readme-reply' });
      expect(replier.ready).toMatchObject({ ready: true });
      // A crash (the process exits first) fails the wait: the outcome says so.
      const report = replier.next('replied').catch(async () => ({ exited: (await replier.exited, replier.process.exitCode) }));
      await asker.send('replier', 'ping');
      await asker.close(); // the replier replies only once asker's connection has ended
      const outcome = await report;
      // Gone from the route directory, or still listed but no longer listening.
      expect(outcome).toMatchObject({ replied: expect.stringMatching(/^ERR_IPCM_(UNKNOWN_PEER|CONNECT)$/) as unknown });
      const { stats } = await replier.command({ cmd: 'stats' });
      expect((stats as { errors: number }).errors).toBe(1);
    });
  });
}

