import { readdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { Socket } from 'node:net';
import {
  BadHelloError,
  BadJsonError,
  BadMessageError,
  ConnectError,
  ConnectionClosedError,
  RouteDirectory,
  encodeFrame,
  type ConnectEvent,
  type IpcmError,
} from '@ipcm/client-core';
import {
  Harness,
  closedByPeer,
  helloFrame,
  messageFrame,
  nextErrors,
  nextMessages,
  recordErrors,
  writeRaw,
  type ConformanceTarget,
} from './harness.js';
import { FakeTimers } from '../fake-timers.js';
import { waitUntil } from './suite.js';

/**
 * The cases found under attack (RELIABILITY.md R36-R40): a peer that
 * reconnects to beat the receive bound, a handshake flood, peer bytes in
 * errors, and broadcast to a failing peer. Transport-neutral, like the
 * other conformance suites.
 */
export function defineAttackSuite(target: ConformanceTarget): void {
  describe(`${target.name} client: found under attack`, () => {
    const h = new Harness(target);
    beforeEach(() => h.setup());
    afterEach(() => h.cleanup());

    test('R36: a peer reconnecting with the same id while writing on its old connection cannot make a backlogged receiver read more', async () => {
      const bound = 10;
      const timers = new FakeTimers();
      // lingerMs below frameTimeoutMs: advancing by it fires no partial-frame timer.
      const lingerMs = 2000;
      const bob = await h.client('bob', { maxQueuedMessages: bound, lingerMs, timers });
      const errors = recordErrors(bob);
      const connects: ConnectEvent[] = [];
      bob.on('connect', (event: ConnectEvent) => connects.push(event));
      const burst = (round: number, from: number): Buffer =>
        Buffer.concat(Array.from({ length: 30 }, (_, i) => messageFrame('x', 'bob', { round, seq: from + i })));

      // Nobody consumes. The first connection is read until the queue is over its bound.
      const sockets: Socket[] = [await h.raw('bob')];
      await writeRaw(sockets[0] as Socket, Buffer.concat([helloFrame('x'), burst(0, 0)]));
      await waitUntil(() => bob.stats().read['x'] === bound + 1);
      for (let round = 1; round <= 3; round++) {
        const old = sockets[round - 1] as Socket;
        await writeRaw(old, burst(round - 1, 30)); // keeps writing on the old connection...
        const replacement = await h.raw('bob'); // ...while reconnecting with the same id
        sockets.push(replacement);
        await writeRaw(replacement, Buffer.concat([helloFrame('x'), burst(round, 0)]));
        // The hello is read (a handshake is never paused); the frames behind it
        // in the same read are not delivered.
        await waitUntil(() => connects.length === round + 1);
        expect(bob.stats().read['x']).toBe(bound + 1);
      }
      // Each replaced (retiring) connection stays paused, is closed after
      // lingerMs (injected timers: not before, and no real waiting), and what
      // it had read and could not deliver is reported.
      for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
      expect(errors).toEqual([]);
      expect(bob.stats().undelivered).toBe(0);
      timers.advance(lingerMs);
      await Promise.all(sockets.slice(0, 3).map((socket) => closedByPeer(socket)));
      await waitUntil(() => errors.length === 3);
      for (const error of errors) {
        expect(error).toBeInstanceOf(ConnectionClosedError);
        expect(error.message).toMatch(/unread: the application was behind/);
      }
      expect(bob.stats().undelivered).toBe(30 - (bound + 1) + 30 + 30);
      expect(bob.stats().read['x']).toBe(bound + 1);

      // Once the application catches up, the live connection delivers everything
      // it holds, in order, and the bound still holds at every step.
      const got: unknown[] = [];
      while (got.length < bound + 1 + 30) {
        const batch = bob.getMessages();
        expect(batch.length).toBeLessThanOrEqual(bound + 1);
        got.push(...batch.map((message) => message.content));
        if (batch.length === 0) await waitUntil(() => bob.stats().read['x'] !== got.length);
      }
      expect(got.slice(bound + 1)).toEqual(Array.from({ length: 30 }, (_, seq) => ({ round: 3, seq })));
      expect(bob.hasConnection('x')).toBe(true);
    });

    test('R37: a client start reaps what SIGKILLed peers left (entries, temp files of a claim), at most 16 entries per start, never a live one', async () => {
      const [alive, ...killed] = await Promise.all(['alive', 'dead-a', 'dead-b'].map((id) => h.child(id)));
      if (alive === undefined) throw new Error('no child');
      for (const child of [...killed, alive]) expect(child.ready).toMatchObject({ ready: true });
      for (const child of killed) child.process.kill('SIGKILL');
      await Promise.all(killed.map((child) => child.exited));
      const deadPid = killed[0]?.process.pid as number;
      // More entries of killed peers than one start reaps (markers with a
      // dead pid), and the temp files of claims cut short by a SIGKILL.
      for (let i = 0; i < 18; i++) {
        await writeFile(path.join(h.route, `gone-${i}`), '', { mode: 0o600 });
        await writeFile(path.join(h.route, `gone-${i}.pid`), `${deadPid}\n`, { mode: 0o600 });
      }
      const temps = [`_tmp.${deadPid}.0123456789ab`, `_tmp.${deadPid}.ba9876543210`, `_tmp.${process.pid}.00000000000a`];
      for (const name of temps) await writeFile(path.join(h.route, name), `${deadPid}\n`, { mode: 0o600 });
      const dir = await RouteDirectory.open(h.route, { create: false });
      const dead = async (): Promise<string[]> =>
        (await dir.list({ includeDead: true })).filter((entry) => !entry.alive).map((entry) => entry.id);
      expect(await dead()).toHaveLength(20);

      await h.client('first');
      expect(await dead()).toHaveLength(20 - 16);
      const names = await readdir(h.route);
      expect(names.filter((name) => name.startsWith('_tmp.'))).toEqual([`_tmp.${process.pid}.00000000000a`]);
      await h.client('second');
      expect(await dead()).toEqual([]);
      expect((await readdir(h.route)).filter((name) => /^(dead-|gone-)/.test(name))).toEqual([]);
      // The live peer's entry is untouched and it still answers.
      expect((await dir.list()).map((entry) => entry.id)).toEqual(['alive', 'first', 'second']);
      const third = await h.client('third');
      const echoed = nextMessages(third, 1);
      await third.send('alive', 'still there?');
      expect((await echoed)[0]).toMatchObject({ from: 'alive', content: { echo: 'still there?' } });
    });

    test('R38: a flood of silent sockets filling maxHandshakes does not cost a prompt peer its connection: the oldest is closed first', async () => {
      const slots = 8;
      const bob = await h.client('bob', { maxHandshakes: slots });
      const alice = await h.client('alice');
      const silent: Socket[] = [];
      for (let i = 0; i < slots + 12; i++) silent.push(await h.raw('bob'));
      const closed = new Set<number>();
      silent.forEach((socket, i) => void closedByPeer(socket).then(() => closed.add(i)));
      await waitUntil(() => closed.size === 12);
      // The twelve oldest made room for the twelve newest.
      expect([...closed].sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i));

      // A peer that says hello at once gets through, and its message arrives.
      const arrived = nextMessages(bob, 1);
      await alice.send('bob', 'through the flood');
      expect((await arrived)[0]).toMatchObject({ from: 'alice', content: 'through the flood' });
      expect(bob.hasConnection('alice')).toBe(true);
      await waitUntil(() => closed.size === 13); // alice's handshake took the oldest silent one's slot
      expect(closed.has(12)).toBe(true);
    });

    test('R39: no peer bytes in our errors or their causes (bad JSON, bad hellos, bad messages)', async () => {
      const bob = await h.client('bob');
      const secret = 'S3CR3T';
      const bad: Buffer[] = [
        // hellos
        encodeFrame(Buffer.from(`{"hello":"x","token":"${secret}-token"`)),
        encodeFrame(Buffer.from(`${secret} is not json`)),
        encodeFrame(Buffer.from(`{"hello":"x" "${secret}"}`)),
        helloFrame(`_${secret}`),
        helloFrame(`a\ud800${secret}`), // a lone surrogate: never a valid id
        helloFrame(`${secret}`.repeat(200)),
        // messages after a good hello
        Buffer.concat([helloFrame('x1'), encodeFrame(Buffer.from(`{"from":"x1","content":"${secret}" oops}`))]),
        Buffer.concat([helloFrame('x2'), encodeFrame(Buffer.from(`${secret}`))]),
        Buffer.concat([helloFrame('x3'), messageFrame('x3', `${secret}-elsewhere`, 1)]),
        Buffer.concat([helloFrame('x4'), messageFrame(`${secret}-from`, 'bob', 1)]),
      ];
      const errors = nextErrors(bob, bad.length);
      const raws = await Promise.all(bad.map(() => h.raw('bob')));
      await Promise.all(bad.map((frame, i) => writeRaw(raws[i] as Socket, frame)));
      const seen = await errors;
      expect(seen.filter((error) => error instanceof BadHelloError)).toHaveLength(6);
      expect(seen.filter((error) => error instanceof BadJsonError)).toHaveLength(2);
      expect(seen.filter((error) => error instanceof BadMessageError)).toHaveLength(2);
      for (const error of seen) {
        for (const text of chain(error)) expect(text).not.toContain(secret);
      }
      // What they say instead: where, and how long.
      const json = seen.find((error) => error instanceof BadJsonError && /character \d+/.test(error.message));
      expect(json?.message).toMatch(/^frame payload \(\d+ bytes\) is not valid JSON: syntax error at character \d+$/);
    });

    test('R40: broadcast with a failing peer (a stale listening entry): that peer gets { sent: false, error }, the others are delivered', async () => {
      const alice = await h.client('alice');
      const bob = await h.client('bob');
      const carol = await h.client('carol');
      // A peer killed without cleaning up, whose pid file now names a live
      // process (a recycled pid): listed as alive and listening, but dead.
      const ghost = await h.child('ghost');
      expect(ghost.ready).toMatchObject({ ready: true });
      ghost.process.kill('SIGKILL');
      await ghost.exited;
      await writeFile(`${await h.entryPath('ghost')}.pid`, `${process.pid}\n`);
      expect(await alice.listeningPeers()).toEqual(['bob', 'carol', 'ghost']);

      const arrivals = [nextMessages(bob, 1), nextMessages(carol, 1)];
      const results = await alice.broadcast({ news: 'to all' });
      expect([...results.keys()].sort()).toEqual(['bob', 'carol', 'ghost']);
      expect(results.get('bob')).toEqual({ sent: true });
      expect(results.get('carol')).toEqual({ sent: true });
      const failed = results.get('ghost');
      expect(failed?.sent).toBe(false);
      expect(failed?.error).toBeInstanceOf(ConnectError);
      expect(failed?.error).toMatchObject({ code: 'ERR_IPCM_CONNECT' });
      for (const arrival of arrivals) expect((await arrival)[0]).toMatchObject({ from: 'alice', content: { news: 'to all' } });
      expect(alice.connections()).toEqual(['bob', 'carol']);
      // The failure is the peer's alone: the next broadcast does the same.
      const again = await alice.broadcast('again');
      expect(again.get('ghost')?.sent).toBe(false);
      expect(again.get('bob')).toEqual({ sent: true });
    });
  });
}

/** The message, stack and causes of an error, all the way down. */
function chain(error: IpcmError): string[] {
  const texts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 10; depth++) {
    texts.push(current.message, String(current.stack));
    current = current.cause;
  }
  return texts;
}
