import { access, readFile, readdir } from 'node:fs/promises';
import * as path from 'node:path';
import fc from 'fast-check';
import {
  BadHelloError,
  BadJsonError,
  BadMessageError,
  FrameTooLargeError,
  HelloTimeoutError,
  InvalidIdError,
  ProtocolError,
  TruncatedFrameError,
  encodeFrame,
  type Client,
  type ConnectEvent,
  type DisconnectEvent,
  type Message,
} from '@ipcm/client-core';
import {
  Harness,
  closedByPeer,
  helloFrame,
  jsonFrame,
  messageFrame,
  nextErrors,
  nextFrames,
  nextMessages,
  recordErrors,
  writeRaw,
  type ConformanceTarget,
} from './harness.js';
import { waitUntil } from './suite.js';
import { FakeTimers } from '../fake-timers.js';

/** A well-formed message as a plain object, to be bent out of shape. */
function wire(from: string, to: string, content: unknown): Record<string, unknown> {
  return { id: `${from}-${String(Math.random())}`, stamp: Date.now() / 1000, stamp_ord: 0, from, to, content };
}

/** A frame holding exactly these payload bytes. */
function rawFrame(payload: string | Uint8Array): Buffer {
  return encodeFrame(typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload);
}

/** A 4-byte frame header announcing `length` payload bytes, and nothing else. */
function header(length: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(length, 0);
  return bytes;
}

/** Records what a client delivers and announces. */
function watch(client: Client): { messages: Message[]; connects: ConnectEvent[]; disconnects: DisconnectEvent[] } {
  const seen = { messages: [] as Message[], connects: [] as ConnectEvent[], disconnects: [] as DisconnectEvent[] };
  client.on('message', (message: Message) => seen.messages.push(message));
  client.on('connect', (event: ConnectEvent) => seen.connects.push(event));
  client.on('disconnect', (event: DisconnectEvent) => seen.disconnects.push(event));
  return seen;
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

/**
 * The raw-protocol and identity cases of RELIABILITY.md (R1-R14): a real
 * client on one side, a raw socket speaking the wire format by hand on the
 * other. Transport-neutral: everything goes through the {@link Harness}.
 */
export function defineProtocolSuite(target: ConformanceTarget): void {
  describe(`${target.name} client: raw protocol`, () => {
    const h = new Harness(target);
    beforeEach(() => h.setup());
    afterEach(() => h.cleanup());

    test('R1: malformed JSON in a valid frame: coded error, that connection closed, other peers unaffected', async () => {
      const bob = await h.client('bob');
      const alice = await h.client('alice');
      // alice is connected before the bad frame arrives, and stays connected.
      const first = nextMessages(bob, 1);
      await alice.send('bob', 'before');
      await first;

      const seen = watch(bob);
      const raw = await h.raw('bob');
      const errors = nextErrors(bob, 1);
      raw.write(Buffer.concat([helloFrame('x'), rawFrame('{"id":"1","from":"x",')]));
      const [error] = await errors;
      expect(error).toBeInstanceOf(BadJsonError);
      expect(error).toMatchObject({ code: 'ERR_IPCM_BAD_JSON' });
      await closedByPeer(raw);
      await waitUntil(() => seen.disconnects.length === 1);
      expect(seen.disconnects[0]).toMatchObject({ peerId: 'x', direction: 'inbound', reason: 'error', error });
      expect(bob.hasConnection('x')).toBe(false);

      const atBob = nextMessages(bob, 1);
      await alice.send('bob', 'after');
      expect((await atBob)[0]).toMatchObject({ from: 'alice', content: 'after' });
      const atAlice = nextMessages(alice, 1);
      await bob.send('alice', 'reply');
      expect((await atAlice)[0]).toMatchObject({ from: 'bob', content: 'reply' });
      expect(alice.stats().connects).toBe(1); // the same connection throughout
      expect(bob.stats().drops).toEqual({ error: 1 });
    });

    test('R2: valid JSON of the wrong shape: a coded error each, no pollution, the connection stays open', async () => {
      const bob = await h.client('bob');
      const seen = watch(bob);
      const errors = recordErrors(bob);
      const raw = await h.raw('bob');
      const good = (content: string): Record<string, unknown> => wire('x', 'bob', content);
      const without = (key: string): Record<string, unknown> => {
        const message = good('shapeless');
        delete message[key];
        return message;
      };
      const poisoned = `{"__proto__":{"polluted":"yes"},${JSON.stringify(good('poisoned')).slice(1)}`;
      const bad: Buffer[] = [
        jsonFrame([good('in an array')]),
        jsonFrame(without('from')),
        jsonFrame(without('content')),
        jsonFrame(wire('x', 'carol', 'not for bob')),
        jsonFrame(wire('y', 'bob', 'not from x')),
        rawFrame(poisoned),
      ];
      await writeRaw(raw, Buffer.concat([helloFrame('x'), jsonFrame(good('first'))]));
      for (const frame of bad) await writeRaw(raw, frame);
      await writeRaw(raw, jsonFrame(good('last')));
      // Frames are handled in order, so once 'last' is in, every bad one was judged.
      await waitUntil(() => seen.messages.some((message) => message.content === 'last'));

      expect(seen.messages.map((message) => message.content)).toEqual(['first', 'last']);
      expect(errors).toHaveLength(bad.length);
      for (const error of errors) {
        expect(error).toBeInstanceOf(BadMessageError);
        expect(error).toMatchObject({ code: 'ERR_IPCM_BAD_MESSAGE' });
      }
      expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
      expect(Object.hasOwn(Object.prototype, 'polluted')).toBe(false);
      for (const message of seen.messages) expect(Object.getPrototypeOf(message)).toBe(Object.prototype);
      expect(raw.destroyed).toBe(false);
      expect(bob.connections()).toEqual(['x']);
      expect(seen.disconnects).toEqual([]);
    });

    test('R3: frame length 0xFFFFFFFF and max+1 are refused from the header; exactly max is delivered', async () => {
      const max = 4096;
      const bob = await h.client('bob', { maxFrameBytes: max });
      for (const length of [0xffffffff, max + 1]) {
        const raw = await h.raw('bob');
        const errors = nextErrors(bob, 1);
        // Only the header: the client must decide without waiting for a payload.
        await writeRaw(raw, Buffer.concat([helloFrame(`big-${length}`), header(length)]));
        const [error] = await errors;
        expect(error).toBeInstanceOf(FrameTooLargeError);
        expect(error).toMatchObject({ code: 'ERR_IPCM_FRAME_TOO_LARGE' });
        await closedByPeer(raw);
      }

      const message = wire('x', 'bob', '');
      const base = Buffer.byteLength(JSON.stringify(message));
      message['content'] = 'm'.repeat(max - base);
      const frame = jsonFrame(message);
      expect(frame.length).toBe(4 + max);
      const raw = await h.raw('bob');
      const arrived = nextMessages(bob, 1);
      await writeRaw(raw, Buffer.concat([helloFrame('x'), frame]));
      expect((await arrived)[0]).toMatchObject({ from: 'x', content: message['content'] });
      expect(raw.destroyed).toBe(false);
      expect(bob.connections()).toEqual(['x']);
    });

    test('R4: a zero-length frame is bad JSON; 100,000 tiny frames in one write arrive in order, loop responsive', async () => {
      const bob = await h.client('bob');
      const empty = await h.raw('bob');
      const errors = nextErrors(bob, 1);
      empty.write(Buffer.concat([helloFrame('empty'), header(0)]));
      const [error] = await errors;
      expect(error).toBeInstanceOf(BadJsonError);
      await closedByPeer(empty);

      const total = 100_000;
      const frames = [helloFrame('x')];
      for (let i = 0; i < total; i++) {
        frames.push(jsonFrame({ id: String(i), stamp: 0, stamp_ord: i, from: 'x', to: 'bob', content: i }));
      }
      const burst = Buffer.concat(frames);
      let delivered = 0;
      let firstOutOfOrder = -1;
      const all = new Promise<void>((resolve) => {
        bob.on('message', (message: Message) => {
          if (message.content !== delivered && firstOutOfOrder < 0) firstOutOfOrder = delivered;
          if (++delivered === total) resolve();
        });
      });
      const raw = await h.raw('bob');
      raw.write(burst);
      let atFirstTurn = -1;
      setImmediate(() => (atFirstTurn = delivered));
      // Count deliveries between event-loop turns: none may take the whole burst.
      let largestBatch = 0;
      let turns = 0;
      const ticker = (async () => {
        let last = 0;
        while (delivered < total) {
          await new Promise((resolve) => setImmediate(resolve));
          turns++;
          largestBatch = Math.max(largestBatch, delivered - last);
          last = delivered;
        }
      })();
      await all;
      await ticker;
      expect(firstOutOfOrder).toBe(-1);
      expect(atFirstTurn).toBeGreaterThanOrEqual(0);
      expect(atFirstTurn).toBeLessThan(total);
      expect(largestBatch).toBeLessThan(total / 4);
      expect(turns).toBeGreaterThan(4);
      expect(bob.stats().read['x']).toBe(total);
      expect(bob.stats().errors).toBe(1); // the empty frame's, nothing else
    });

    test('R5: a truncated frame (or header) then EOF: coded error, entry removed', async () => {
      const bob = await h.client('bob');
      const seen = watch(bob);
      const truncations = [Buffer.concat([header(100), Buffer.from('{"id":"1",')]), header(100).subarray(0, 2)];
      for (const [i, tail] of truncations.entries()) {
        const id = `x${i}`;
        const raw = await h.raw('bob');
        await writeRaw(raw, helloFrame(id));
        await waitUntil(() => bob.hasConnection(id));
        const errors = nextErrors(bob, 1);
        // Not events.once: it would reject on the 'error' event that comes first.
        const gone = new Promise<DisconnectEvent>((resolve) => bob.once('disconnect', resolve));
        await writeRaw(raw, tail);
        raw.end();
        const [error] = await errors;
        expect(error).toBeInstanceOf(TruncatedFrameError);
        expect(error).toMatchObject({ code: 'ERR_IPCM_TRUNCATED_FRAME' });
        expect(await gone).toMatchObject({ peerId: id, reason: 'error', error });
        await closedByPeer(raw);
        expect(bob.connections()).toEqual([]);
        expect(bob.hasConnection(id)).toBe(false);
        expect(bob.stats().drops).toEqual({ error: i + 1 });
        expect(bob.stats().open).toEqual({ outbound: 0, inbound: 0 });
      }
      expect(seen.messages).toEqual([]);
    });

    test('R6: a partial frame that stalls is closed after frameTimeoutMs; an idle connection is not (injected timers)', async () => {
      const timers = new FakeTimers();
      const bob = await h.client('bob', { frameTimeoutMs: 30_000, timers });
      const idle = await h.raw('bob');
      await writeRaw(idle, helloFrame('idle'));
      const stalled = await h.raw('bob');
      await writeRaw(stalled, helloFrame('stalled'));
      await waitUntil(() => bob.hasConnection('idle') && bob.hasConnection('stalled'));
      const errors = nextErrors(bob, 1);
      const armed = timers.active;
      await writeRaw(stalled, Buffer.concat([header(100), Buffer.from('{"id":')]));
      await waitUntil(() => timers.active > armed); // bob has read the partial frame
      timers.advance(29_999);
      expect(bob.hasConnection('stalled')).toBe(true);
      timers.advance(1);
      const [error] = await errors;
      expect(error).toMatchObject({ code: 'ERR_IPCM_FRAME_TIMEOUT' });
      await closedByPeer(stalled);
      // Just as long without a byte, but between frames: still open, still works.
      expect(bob.hasConnection('idle')).toBe(true);
      const arrived = nextMessages(bob, 1);
      await writeRaw(idle, messageFrame('idle', 'bob', 'still here'));
      expect((await arrived)[0]).toMatchObject({ content: 'still here' });
    });

    test('R7: any chunking of hello and messages gives the same messages in the same order', async () => {
      const bob = await h.client('bob');
      let run = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.string({ unit: 'grapheme', maxLength: 12 }), { minLength: 1, maxLength: 8 }),
          fc.oneof(
            { weight: 1, arbitrary: fc.constant('every byte' as const) },
            { weight: 4, arbitrary: fc.array(fc.nat(), { maxLength: 30 }) },
          ),
          async (texts, chunking) => {
            const id = `w${run++}`;
            const frames = [helloFrame(id), ...texts.map((text, seq) => jsonFrame(wire(id, 'bob', { seq, text })))];
            const bytes = Buffer.concat(frames);
            const cuts =
              chunking === 'every byte'
                ? Array.from({ length: bytes.length - 1 }, (_, i) => i + 1)
                : [...new Set(chunking.map((n) => n % bytes.length))].filter((n) => n > 0).sort((a, b) => a - b);
            const received: unknown[] = [];
            const onMessage = (message: Message): void => {
              if (message.from === id) received.push(message.content);
            };
            bob.on('message', onMessage);
            const raw = await h.raw('bob');
            try {
              const base = bob.stats().bytesIn;
              let start = 0;
              for (const end of [...cuts, bytes.length]) {
                await writeRaw(raw, bytes.subarray(start, end));
                // Wait until the client has read this chunk, so the next one is a separate read.
                await waitUntil(() => bob.stats().bytesIn >= base + end);
                start = end;
              }
              expect(received).toEqual(texts.map((text, seq) => ({ seq, text })));
            } finally {
              bob.off('message', onMessage);
              raw.end();
              await closedByPeer(raw);
            }
          },
        ),
        { numRuns: 25 },
      );
      expect(bob.stats().errors).toBe(0);
    });

    test('R8: random bytes from a raw socket cause only coded errors; a good peer still delivers afterwards (injected timers: every connection closes without a timeout)', async () => {
      // The hello and frame timeouts never fire: each noisy connection is
      // closed by what it sent and its end, and leaves no timer behind.
      const timers = new FakeTimers();
      const bob = await h.client('bob', { timers });
      const idle = timers.active;
      const errors: unknown[] = [];
      bob.on('error', (error) => errors.push(error));
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 512 }), fc.boolean(), async (bytes, afterHello) => {
          const raw = await h.raw('bob');
          if (afterHello) await writeRaw(raw, helloFrame('noise'));
          await writeRaw(raw, bytes);
          raw.end();
          await closedByPeer(raw);
        }),
        { numRuns: 20 },
      );
      await waitUntil(() => timers.active === idle);
      for (const error of errors) expect(error).toMatchObject({ code: expect.stringMatching(/^ERR_IPCM_[A-Z_]+$/) });
      const alice = await h.client('alice');
      const arrived = nextMessages(bob, 1);
      await alice.send('bob', 'after the noise');
      expect((await arrived)[0]).toMatchObject({ from: 'alice', content: 'after the noise' });
    });

    test('R9: invalid UTF-8 is rejected as bad JSON, never replaced; the connection is closed', async () => {
      const bob = await h.client('bob');
      const seen = watch(bob);
      const invalid = [
        Buffer.from([0xff]), // never valid
        Buffer.from([0xc0, 0xaf]), // overlong '/'
        Buffer.from([0xed, 0xa0, 0x80]), // an encoded surrogate
        Buffer.from([0xf4, 0x90, 0x80, 0x80]), // past U+10FFFF
        Buffer.from([0xe2, 0x82]), // cut short
      ];
      const raws = await Promise.all(invalid.map(() => h.raw('bob')));
      const errors = nextErrors(bob, invalid.length);
      invalid.forEach((bytes, i) => {
        // Otherwise a valid message: if the bytes were replaced by U+FFFD it would be delivered.
        const payload = Buffer.concat([
          Buffer.from(`{"id":"${i}","stamp":0,"stamp_ord":0,"from":"u${i}","to":"bob","content":"`),
          bytes,
          Buffer.from('"}'),
        ]);
        raws[i]?.write(Buffer.concat([helloFrame(`u${i}`), rawFrame(payload)]));
      });
      for (const error of await errors) {
        expect(error).toBeInstanceOf(BadJsonError);
        expect(error).toMatchObject({ code: 'ERR_IPCM_BAD_JSON' });
      }
      await Promise.all(raws.map((raw) => closedByPeer(raw)));
      expect(seen.messages).toEqual([]);
      expect(bob.connections()).toEqual([]);
    });

    test('R10: no hello within helloTimeoutMs: closed, never cached (injected timers)', async () => {
      const timers = new FakeTimers();
      const bob = await h.client('bob', { helloTimeoutMs: 5000, timers });
      const seen = watch(bob);
      const errors = nextErrors(bob, 2);
      const before = timers.active;
      const silent = await h.raw('bob');
      const halfHello = await h.raw('bob');
      halfHello.write(helloFrame('x').subarray(0, 6));
      // Both accepted: two hello timers, and the half hello's partial-frame timer.
      await waitUntil(() => timers.active >= before + 3);
      timers.advance(4999);
      expect(seen.connects).toEqual([]);
      expect(bob.stats().errors).toBe(0);
      timers.advance(1);
      for (const error of await errors) {
        expect(error).toBeInstanceOf(HelloTimeoutError);
        expect(error).toMatchObject({ code: 'ERR_IPCM_HELLO_TIMEOUT' });
      }
      await Promise.all([closedByPeer(silent), closedByPeer(halfHello)]);
      expect(bob.connections()).toEqual([]);
      expect(seen.connects).toEqual([]);
      expect(seen.disconnects).toEqual([]);
      expect(bob.stats().accepts).toBe(0);
    });

    test('R11: a bad hello (not JSON, missing, empty, non-string, too long, lone surrogate, leading _) is refused', async () => {
      const bob = await h.client('bob');
      const seen = watch(bob);
      const hellos: Buffer[] = [
        rawFrame('{"hello":'),
        jsonFrame(['x']),
        jsonFrame({ id: 'x' }),
        jsonFrame({ hello: '' }),
        jsonFrame({ hello: 42 }),
        jsonFrame({ hello: null }),
        jsonFrame({ hello: 'a'.repeat(1025) }),
        jsonFrame({ hello: 'é'.repeat(513) }), // 513 characters, 1,026 bytes
        jsonFrame({ hello: 'a\ud800b' }), // JSON.stringify writes it as the escape \ud800
        jsonFrame({ hello: '_x' }),
      ];
      const raws = await Promise.all(hellos.map(() => h.raw('bob')));
      const errors = nextErrors(bob, hellos.length);
      hellos.forEach((frame, i) => raws[i]?.write(Buffer.concat([frame, jsonFrame(wire('a', 'bob', 'after'))])));
      for (const error of await errors) {
        expect(error).toBeInstanceOf(BadHelloError);
        expect(error).toMatchObject({ code: 'ERR_IPCM_BAD_HELLO' });
      }
      await Promise.all(raws.map((raw) => closedByPeer(raw)));
      expect(bob.connections()).toEqual([]);
      expect(seen.connects).toEqual([]);
      expect(seen.messages).toEqual([]);
    });

    test('R12: a second hello on one connection is a protocol error and closes it', async () => {
      const bob = await h.client('bob');
      const seen = watch(bob);
      const raw = await h.raw('bob');
      const errors = nextErrors(bob, 1);
      raw.write(
        Buffer.concat([
          helloFrame('x'),
          jsonFrame(wire('x', 'bob', 'before')),
          helloFrame('x'),
          jsonFrame(wire('x', 'bob', 'after')),
        ]),
      );
      const [error] = await errors;
      expect(error).toBeInstanceOf(ProtocolError);
      expect(error).toMatchObject({ code: 'ERR_IPCM_PROTOCOL' });
      await closedByPeer(raw);
      await waitUntil(() => seen.disconnects.length === 1);
      expect(seen.messages.map((message) => message.content)).toEqual(['before']);
      expect(seen.disconnects[0]).toMatchObject({ peerId: 'x', reason: 'error', error });
      expect(bob.connections()).toEqual([]);
    });

    test('R13: a second connection saying the same hello replaces the first; the old frames come first', async () => {
      const bob = await h.client('bob');
      const seen = watch(bob);
      const old = await h.raw('bob');
      // Handed to the kernel before the new connection even exists.
      await writeRaw(old, Buffer.concat([helloFrame('x'), jsonFrame(wire('x', 'bob', 'old 1')), jsonFrame(wire('x', 'bob', 'old 2'))]));
      const arrived = nextMessages(bob, 3);
      const replacement = await h.raw('bob');
      await writeRaw(replacement, Buffer.concat([helloFrame('x'), jsonFrame(wire('x', 'bob', 'new 1'))]));
      expect((await arrived).map((message) => message.content)).toEqual(['old 1', 'old 2', 'new 1']);
      await closedByPeer(old);
      expect(seen.disconnects).toEqual([{ peerId: 'x', direction: 'inbound', reason: 'replaced', unwritten: 0 }]);
      expect(seen.connects).toEqual([
        { peerId: 'x', direction: 'inbound' },
        { peerId: 'x', direction: 'inbound' },
      ]);
      expect(bob.connections()).toEqual(['x']);
      expect(bob.stats().open).toEqual({ outbound: 0, inbound: 1 });
      // Replies go over the new connection.
      const reply = nextFrames(replacement, 1);
      await bob.send('x', 'reply');
      expect((await reply)[0]).toMatchObject({ from: 'bob', to: 'x', content: 'reply' });
      expect(replacement.destroyed).toBe(false);
    });

    test('R11: a hello from an id with control characters (as IPC::Manager peers use) is accepted, and replies reach it', async () => {
      const bob = await h.client('bob');
      for (const id of ['tab\there', 'bell\u0007', 'del\u007fchar', 'nul\u0000byte']) {
        const raw = await h.raw('bob');
        const arrived = nextMessages(bob, 1);
        await writeRaw(raw, Buffer.concat([helloFrame(id), jsonFrame(wire(id, 'bob', 'hi'))]));
        expect((await arrived)[0]).toMatchObject({ from: id, to: 'bob', content: 'hi' });
        const reply = nextFrames(raw, 1);
        await bob.send(id, 'reply');
        expect((await reply)[0]).toMatchObject({ from: 'bob', to: id, content: 'reply' });
      }
    });

    test('R14: ids with /, .., \\, NUL and control characters stay inside the route directory, hashed; leading _, empty and lone surrogates are refused', async () => {
      const alice = await h.client('alice');
      const escape = `escape-${process.pid}-${String(Math.random()).slice(2, 8)}`;
      const odd = [
        'a/b',
        '..',
        `../${escape}`,
        'a\\b',
        '/abs',
        'c:\\tmp\\x',
        'a\u0000b',
        '\u0000abstract',
        'a\u0001b',
        '\u001b[31mred',
        'line\nbreak',
        'tab\there',
      ];
      const route = path.resolve(h.route);
      for (const id of odd) {
        const peer = await h.client(id);
        const atPeer = nextMessages(peer, 1);
        await alice.send(id, { to: id });
        expect((await atPeer)[0]).toMatchObject({ from: 'alice', to: id, content: { to: id } });
        const atAlice = nextMessages(alice, 1);
        await peer.send('alice', { from: id });
        expect((await atAlice)[0]).toMatchObject({ from: id, content: { from: id } });

        const entry = await h.entryPath(id);
        expect(path.dirname(entry)).toBe(route);
        expect(path.basename(entry)).toMatch(/^h-[0-9a-f]{40}$/);
        expect(await readdir(route)).toContain(path.basename(entry));
        expect(await readFile(`${entry}.name`, 'utf8')).toBe(id);
      }
      expect(await exists(path.join(route, '..', escape))).toBe(false);
      expect(await exists(path.join(route, '..', `${escape}.pid`))).toBe(false);
      for (const name of await readdir(route)) expect(name).not.toMatch(/[\u0000-\u001f/\\]/);
      expect(await alice.peers()).toEqual([...odd].sort());

      const before = (await readdir(route)).sort();
      for (const id of ['_reserved', '', 'lone\ud800']) {
        await expect(h.client(id)).rejects.toBeInstanceOf(InvalidIdError);
        await expect(h.client(id)).rejects.toMatchObject({ code: 'ERR_IPCM_INVALID_ID' });
      }
      expect((await readdir(route)).sort()).toEqual(before);
    });
  });
}
