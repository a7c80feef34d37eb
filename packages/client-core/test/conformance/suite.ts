import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import {
  BackpressureError,
  ClientClosedError,
  ConnectionClosedError,
  IdInUseError,
  PeerNotListeningError,
  UnknownPeerError,
  type DisconnectEvent,
  type Message,
} from '@ipcm/client-core';
import { FakeTimers, settledFlag } from '../fake-timers.js';
import {
  FakeClock,
  Harness,
  closedByPeer,
  helloFrame,
  messageFrame,
  nextErrors,
  nextMessages,
  writeRaw,
  type ConformanceTarget,
} from './harness.js';

/**
 * The behaviours every @ipcm client must have, whatever its transport. A
 * transport package runs it with its own factory:
 *
 *   defineConformanceSuite({ name: 'unix', create: UnixClient.create, ... });
 *
 * Raw-protocol cases (R1-R13) are in `protocol.ts`, route cases in
 * `route.ts`; this file holds the messaging behaviours of IPC::Manager and
 * the connection cache at work.
 */
export function defineBehaviourSuite(target: ConformanceTarget): void {
  describe(`${target.name} client: IPC::Manager behaviours`, () => {
    const h = new Harness(target);
    beforeEach(() => h.setup());
    afterEach(() => h.cleanup());

    test('two listeners exchange messages', async () => {
      const alice = await h.client('alice');
      const bob = await h.client('bob');
      const atBob = nextMessages(bob, 1);
      await alice.send('bob', { text: 'hi bob' });
      const [toBob] = await atBob;
      expect(toBob).toMatchObject({ from: 'alice', to: 'bob', content: { text: 'hi bob' } });
      expect(typeof toBob?.id).toBe('string');
      expect(typeof toBob?.stamp).toBe('number');

      const atAlice = nextMessages(alice, 1);
      await bob.send('alice', ['hi', 'alice']);
      expect((await atAlice)[0]).toMatchObject({ from: 'bob', to: 'alice', content: ['hi', 'alice'] });
    });

    test('a non-listener sends and the listener replies over the same connection', async () => {
      const server = await h.client('server');
      const quiet = await h.client('quiet', { listen: false });
      server.on('message', (message: Message) => void server.send(message.from, { echo: message.content }));
      const reply = nextMessages(quiet, 1);
      await quiet.send('server', 'ping');
      expect((await reply)[0]).toMatchObject({ from: 'server', to: 'quiet', content: { echo: 'ping' } });
      expect(server.stats().connects).toBe(0); // the reply used quiet's connection
      expect(server.hasConnection('quiet')).toBe(true);
      expect(quiet.stats().connects).toBe(1);
    });

    test('sending to a non-listener with no connection fails with a coded error', async () => {
      const alice = await h.client('alice');
      await h.client('quiet', { listen: false });
      await expect(alice.send('quiet', 'hello?')).rejects.toBeInstanceOf(PeerNotListeningError);
      await expect(alice.send('quiet', 'hello?')).rejects.toMatchObject({ code: 'ERR_IPCM_PEER_NOT_LISTENING' });
      await expect(alice.send('nobody', 'hello?')).rejects.toBeInstanceOf(UnknownPeerError);
      expect(alice.connections()).toEqual([]); // failed dials never occupy the cache (R29)
    });

    test('R26: many messages sent concurrently, during the hello, arrive in order', async () => {
      const alice = await h.client('alice');
      const bob = await h.client('bob');
      const count = 5_000;
      const arrived = nextMessages(bob, count);
      // Not awaited one by one: the first ones queue while the connection is
      // being opened, later ones while earlier writes are still pending.
      await Promise.all(Array.from({ length: count }, (_, seq) => alice.send('bob', { seq, pad: 'x'.repeat(seq % 7 === 0 ? 20_000 : 10) })));
      expect((await arrived).map((m) => (m.content as { seq: number }).seq)).toEqual(Array.from({ length: count }, (_, i) => i));
    });

    test('broadcast reaches three peers, each result reported', async () => {
      const alice = await h.client('alice');
      const peers = await Promise.all(['bob', 'carol', 'dave'].map((id) => h.client(id)));
      const arrivals = peers.map((peer) => nextMessages(peer, 1));
      const results = await alice.broadcast({ news: 'hello all' });
      expect([...results.keys()].sort()).toEqual(['bob', 'carol', 'dave']);
      for (const result of results.values()) expect(result).toEqual({ sent: true });
      for (const arrival of arrivals) {
        expect((await arrival)[0]).toMatchObject({ from: 'alice', broadcast: true, content: { news: 'hello all' } });
      }
    });

    test('broadcast reports a failing peer without failing the others', async () => {
      const alice = await h.client('alice');
      const bob = await h.client('bob');
      const arrived = nextMessages(bob, 1);
      await h.client('quiet', { listen: false }); // listed, but cannot be dialled
      const results = await alice.broadcast('x');
      expect(results.get('bob')).toEqual({ sent: true });
      expect(results.has('quiet')).toBe(false); // non-listeners are reachable only once connected
      await arrived;
    });

    test('one queue, three ways: getMessages(), the async iterator and message events', async () => {
      const alice = await h.client('alice');
      const bob = await h.client('bob');
      await alice.send('bob', 1);
      await alice.send('bob', 2);
      // Nobody listens yet: the messages wait in the queue.
      await waitUntil(() => bob.stats().read['alice'] === 2);
      expect(bob.getMessages().map((m) => m.content)).toEqual([1, 2]);
      expect(bob.getMessages()).toEqual([]);

      const iterator = bob[Symbol.asyncIterator]();
      const third = iterator.next();
      await alice.send('bob', 3);
      expect((await third).value).toMatchObject({ content: 3 });

      await alice.send('bob', 4);
      await alice.send('bob', 5);
      const events = nextMessages(bob, 2);
      expect((await events).map((m) => m.content)).toEqual([4, 5]);
    });

    test('a message listener attached late receives what was queued', async () => {
      const alice = await h.client('alice');
      const bob = await h.client('bob');
      const sent = [alice.send('bob', 'a'), alice.send('bob', 'b')];
      await Promise.all(sent);
      const iterated: unknown[] = [];
      for await (const message of bob) {
        iterated.push(message.content);
        break;
      }
      const rest = await nextMessages(bob, 1);
      expect([...iterated, ...rest.map((m) => m.content)]).toEqual(['a', 'b']);
    });

    test('1,000 messages to a peer open exactly one connection', async () => {
      const alice = await h.client('alice');
      const bob = await h.client('bob');
      const arrived = nextMessages(bob, 1_000);
      for (let i = 0; i < 1_000; i++) await alice.send('bob', i);
      await arrived;
      expect(alice.stats()).toMatchObject({ connects: 1, reuses: 999, sent: { bob: 1_000 } });
      expect(bob.stats()).toMatchObject({ accepts: 1, read: { alice: 1_000 } });
      expect(alice.connections()).toEqual(['bob']);
    });

    test('maxConnections 2 with 5 peers: never more than 2 open, every message delivered', async () => {
      const alice = await h.client('alice', { maxConnections: 2 });
      const ids = ['p1', 'p2', 'p3', 'p4', 'p5'];
      const peers = await Promise.all(ids.map((id) => h.client(id)));
      let open = 0;
      let maxOpen = 0;
      alice.on('connect', () => {
        open++;
        maxOpen = Math.max(maxOpen, open);
      });
      alice.on('disconnect', () => open--);
      const rounds = 4;
      const arrivals = peers.map((peer) => nextMessages(peer, rounds));
      for (let round = 0; round < rounds; round++) {
        for (const id of ids) await alice.send(id, { round });
      }
      for (const arrival of arrivals) {
        expect((await arrival).map((m) => (m.content as { round: number }).round)).toEqual([0, 1, 2, 3]);
      }
      expect(maxOpen).toBeLessThanOrEqual(2);
      expect(alice.connections().length).toBeLessThanOrEqual(2);
      expect(alice.stats().connects).toBe(ids.length * rounds); // evicted peers are re-dialled on demand
      expect(alice.stats().drops['total capacity']).toBe(ids.length * rounds - 2);
    });

    test('role API after real traffic: hasConnection, connections, lastActivity, closeIdleConnections, disconnectConnection', async () => {
      const clock = new FakeClock();
      const alice = await h.client('alice', { clock });
      const bob = await h.client('bob');
      const carol = await h.client('carol');
      const quiet = await h.client('quiet', { listen: false });
      const first = Promise.all([nextMessages(bob, 1), nextMessages(carol, 1), nextMessages(alice, 1)]);
      await alice.send('bob', 'one');
      await alice.send('carol', 'one');
      await quiet.send('alice', 'hi'); // an inbound connection counts too
      await first;
      clock.advance(10_000);
      const second = nextMessages(carol, 1);
      await alice.send('carol', 'two');
      await second;

      expect(alice.connections()).toEqual(['bob', 'carol', 'quiet']);
      expect(alice.hasConnection('bob')).toBe(true);
      expect(alice.hasConnection('dave')).toBe(false);
      const carolActive = alice.lastActivity('carol');
      const bobActive = alice.lastActivity('bob');
      expect(typeof carolActive).toBe('number');
      expect((carolActive as number) - (bobActive as number)).toBeGreaterThanOrEqual(10_000);
      expect(Math.abs((carolActive as number) - Date.now())).toBeLessThan(60_000); // epoch ms
      expect(alice.lastActivity('dave')).toBeUndefined();

      const reasons: string[] = [];
      alice.on('disconnect', (event: DisconnectEvent) => reasons.push(`${event.peerId}:${event.reason}`));
      expect(alice.closeIdleConnections(5_000)).toBe(2); // bob and quiet, idle for 10 s
      expect(alice.connections()).toEqual(['carol']);
      expect(reasons.sort()).toEqual(['bob:idle', 'quiet:idle']);
      expect(alice.closeIdleConnections(5_000)).toBe(0);

      expect(alice.disconnectConnection('carol')).toBe(true);
      expect(alice.disconnectConnection('carol')).toBe(false);
      expect(alice.connections()).toEqual([]);
      expect(alice.stats().drops).toMatchObject({ idle: 2, disconnect: 1 });

      // A closed connection is re-opened on the next send.
      const again = nextMessages(bob, 1);
      await alice.send('bob', 'again');
      await again;
      expect(alice.stats().connects).toBe(3);
    });

    test('peers(), peerExists(), peerIsListener(), listeningPeers(), peerActive()', async () => {
      const alice = await h.client('alice');
      await h.client('bob');
      await h.client('quiet', { listen: false });
      expect(await alice.peers()).toEqual(['bob', 'quiet']);
      expect(await alice.listeningPeers()).toEqual(['bob']);
      expect(await alice.peerExists('quiet')).toBe(true);
      expect(await alice.peerExists('nobody')).toBe(false);
      expect(await alice.peerIsListener('bob')).toBe(true);
      expect(await alice.peerIsListener('quiet')).toBe(false);
      expect(await alice.peerActive('bob')).toBe(true);
      expect(await alice.peerActive('nobody')).toBe(false);
    });

    test('peers in separate processes exchange messages both ways', async () => {
      const alice = await h.client('alice');
      const child = await h.child('echoer');
      expect(child.ready).toMatchObject({ ready: true });
      const echoed = nextMessages(alice, 1);
      await alice.send('echoer', { text: 'hi from alice' });
      expect((await echoed)[0]).toMatchObject({ from: 'echoer', content: { echo: { text: 'hi from alice' } } });

      const burst = nextMessages(alice, 200);
      expect(await child.command({ cmd: 'send', to: 'alice', count: 200 })).not.toHaveProperty('error');
      expect((await burst).map((m) => (m.content as { seq: number }).seq)).toEqual(Array.from({ length: 200 }, (_, i) => i));
      expect(await alice.peerActive('echoer')).toBe(true);
      await child.command({ cmd: 'close' });
      await child.exited;
      expect(await alice.peers()).toEqual([]);
    });

    test('R27: close() flushes queued messages; later sends get a coded closed error', async () => {
      const alice = await h.client('alice');
      const bob = await h.client('bob');
      const count = 2_000;
      const arrived = nextMessages(bob, count);
      const sends = Array.from({ length: count }, (_, i) => alice.send('bob', { i, pad: 'y'.repeat(1_000) }));
      const closed = alice.close();
      await Promise.all(sends);
      await closed;
      expect((await arrived).length).toBe(count);
      await expect(alice.send('bob', 'late')).rejects.toBeInstanceOf(ClientClosedError);
      await expect(alice.send('bob', 'late')).rejects.toMatchObject({ code: 'ERR_IPCM_CLIENT_CLOSED' });
      await expect(alice.close()).resolves.toBeUndefined(); // idempotent
      await expect(alice.destroy()).resolves.toBeUndefined();
    });

    test('R27: a retiring connection whose peer never acknowledges the end is destroyed after lingerMs (injected timers: no real waiting)', async () => {
      const timers = new FakeTimers();
      const bob = await h.client('bob', { lingerMs: 30_000, timers });
      // A peer that never reads: with bob's reply unread in front of it, it
      // never takes bob's end, so it never ends its own side.
      const raw = await h.raw('bob');
      const arrived = nextMessages(bob, 1);
      await writeRaw(raw, Buffer.concat([helloFrame('x'), messageFrame('x', 'bob', 'hi')]));
      await arrived;
      await bob.send('x', 'never read');
      const armed = timers.active;
      expect(bob.disconnectConnection('x')).toBe(true); // retiring: flushed, ended, waiting for the peer's end
      expect(timers.active).toBe(armed + 1); // its linger timer
      // close() resolves once every connection, the retiring one too, has closed.
      const closed = bob.close();
      const done = settledFlag(closed);
      timers.advance(29_999);
      for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
      expect(done()).toBe(false);
      expect(raw.destroyed).toBe(false);
      timers.advance(1);
      await closed;
      expect(timers.active).toBe(0);
      await closedByPeer(raw);
    });

    test('R32: close() removes the route entry and writes .stats; the id can be taken again', async () => {
      const alice = await h.client('alice');
      const bob = await h.client('bob');
      const arrived = nextMessages(bob, 3);
      for (let i = 0; i < 3; i++) await alice.send('bob', i);
      await arrived;
      await alice.close();
      expect(await bob.peerExists('alice')).toBe(false);
      const files = await readdir(h.route);
      expect(files.filter((f) => f.startsWith('alice'))).toEqual(['alice.stats']);
      expect(JSON.parse(await readFile(`${h.route}/alice.stats`, 'utf8'))).toMatchObject({ sent: { bob: 3 } });
      const again = await h.client('alice');
      expect(again.id).toBe('alice');
    });

    test('R16: an id held by a live client is refused; the holder keeps working', async () => {
      const alice = await h.client('alice');
      await expect(h.client('alice')).rejects.toBeInstanceOf(IdInUseError);
      const bob = await h.client('bob');
      const arrived = nextMessages(alice, 1);
      await bob.send('alice', 'still there?');
      await arrived;
    });

    test('R16: an id held by a SIGKILLed process is reaped and reused', async () => {
      const child = await h.child('phoenix');
      expect(child.ready).toMatchObject({ ready: true });
      child.process.kill('SIGKILL');
      await child.exited;
      const phoenix = await h.client('phoenix');
      const alice = await h.client('alice');
      const arrived = nextMessages(phoenix, 1);
      await alice.send('phoenix', 'reborn');
      expect((await arrived)[0]).toMatchObject({ content: 'reborn' });
    });

    test('R18: several processes racing for one id: exactly one wins', async () => {
      const racers = await Promise.all([1, 2, 3, 4].map(() => h.child('contested')));
      const winners = racers.filter((racer) => racer.ready['ready'] === true);
      const losers = racers.filter((racer) => racer.ready['error'] !== undefined);
      expect(winners).toHaveLength(1);
      expect(losers.map((racer) => racer.ready['error'])).toEqual(['ERR_IPCM_ID_IN_USE', 'ERR_IPCM_ID_IN_USE', 'ERR_IPCM_ID_IN_USE']);
      const alice = await h.client('alice');
      const echoed = nextMessages(alice, 1);
      await alice.send('contested', 'who won?');
      await echoed;
    });

    test('R22: a peer closing while we write: what was accepted and not written is reported, nothing resent', async () => {
      const alice = await h.client('alice');
      const bob = await h.client('bob');
      await alice.send('bob', 'first');
      const gone = new Promise<DisconnectEvent>((resolve) => alice.once('disconnect', resolve));
      const big = 'z'.repeat(256 * 1024);
      const sends = Array.from({ length: 32 }, () => alice.send('bob', big).then(() => 'sent', (error: unknown) => error));
      await bob.destroy();
      const outcomes = await Promise.all(sends);
      for (const failure of outcomes.filter((outcome) => outcome !== 'sent')) {
        expect(failure).toBeInstanceOf(ConnectionClosedError);
        expect((failure as ConnectionClosedError).cause).toBeDefined();
      }
      const event = await gone;
      expect(event.unwritten).toBeGreaterThan(0); // accepted (resolved) yet never written: said so
      expect(alice.stats().unwritten).toBe(event.unwritten);
      expect(alice.hasConnection('bob')).toBe(false);
      expect(alice.stats().connects).toBe(1); // nothing re-dialled behind the caller's back
    });

    test('R23: a peer process SIGKILLed mid-stream does not crash the client', async () => {
      // A small bound, so the awaited loop waits on the dead connection and sees it die.
      const alice = await h.client('alice', { maxPendingBytes: 64 * 1024 });
      const child = await h.child('victim');
      await child.command({ cmd: 'echo', on: false });
      const disconnected = new Promise<DisconnectEvent>((resolve) => alice.on('disconnect', resolve));
      const flood = (async () => {
        const outcomes: unknown[] = [];
        for (let i = 0; i < 2_000 && !alice.closed; i++) {
          outcomes.push(await alice.send('victim', { i, pad: 'k'.repeat(4096) }).catch((error: unknown) => error));
          if (i === 50) child.process.kill('SIGKILL');
          if (outcomes.at(-1) instanceof Error) break;
        }
        return outcomes;
      })();
      const outcomes = await flood;
      await disconnected;
      await child.exited;
      const last = outcomes.at(-1);
      expect(last).toBeInstanceOf(Error);
      expect(last).toMatchObject({ code: expect.stringMatching(/^ERR_IPCM_/) });
      expect(alice.hasConnection('victim')).toBe(false);
      const bob = await h.client('bob');
      const arrived = nextMessages(bob, 1);
      await alice.send('bob', 'still alive');
      await arrived;
    });

    test('R28: idle reaping never closes a connection with unflushed bytes', async () => {
      const clock = new FakeClock();
      const alice = await h.client('alice', { clock });
      // bob holds at most one message, then stops reading from its sockets.
      const bob = await h.client('bob', { maxQueuedMessages: 1 });
      const big = 'q'.repeat(1024 * 1024);
      const sends = Array.from({ length: 12 }, () => alice.send('bob', big));
      await waitUntil(() => alice.hasConnection('bob') && alice.pendingBytes('bob') > 0);
      clock.advance(60_000);
      expect(alice.closeIdleConnections(1_000)).toBe(0);
      expect(alice.hasConnection('bob')).toBe(true);
      // Let bob read again; everything arrives.
      const received: unknown[] = [];
      const drained = (async () => {
        for await (const message of bob) {
          received.push(message);
          if (received.length === 12) break;
        }
      })();
      await Promise.all(sends);
      await drained;
      expect(received).toHaveLength(12);
    });

    test('R29: capacity eviction takes idle, flushed connections first', async () => {
      const alice = await h.client('alice', { maxConnections: 2 });
      const busy = await h.client('busy', { maxQueuedMessages: 1 });
      const idle = await h.client('idle');
      const third = await h.client('third');
      const arrivals = [nextMessages(idle, 1), nextMessages(third, 1)];
      const big = 'w'.repeat(1024 * 1024);
      const sends = Array.from({ length: 12 }, () => alice.send('busy', big));
      await waitUntil(() => alice.hasConnection('busy') && alice.pendingBytes('busy') > 0);
      await alice.send('idle', 'x'); // newer than busy's connection, but flushed
      await alice.send('third', 'y'); // over capacity: the oldest *flushed* connection goes
      expect(alice.connections()).toEqual(['busy', 'third']);
      expect(alice.stats().drops).toEqual({ 'total capacity': 1 });
      const received: unknown[] = [];
      for await (const message of busy) {
        received.push(message);
        if (received.length === 12) break;
      }
      await Promise.all([...sends, ...arrivals]);
    });

    test('R22: after destroy() with bytes pending, each send is accepted (and counted, or reported unwritten) or rejected with a coded error', async () => {
      const alice = await h.client('alice', { maxPendingBytes: 4 * 1024 * 1024 });
      const bob = await h.client('bob', { maxQueuedMessages: 1 }); // stops reading: alice's bytes pile up
      const big = 'd'.repeat(1024 * 1024);
      const outcomes = Array.from({ length: 12 }, () => alice.send('bob', big).then(() => 'sent', (error: unknown) => error));
      await waitUntil(() => alice.hasConnection('bob') && alice.pendingBytes('bob') > 2 * 1024 * 1024);
      await alice.destroy();
      const settled = await Promise.all(outcomes);
      const sent = settled.filter((outcome) => outcome === 'sent').length;
      expect(sent).toBeLessThan(12);
      for (const failure of settled.filter((outcome) => outcome !== 'sent')) {
        expect(failure).toMatchObject({ code: expect.stringMatching(/^ERR_IPCM_(CONNECTION_CLOSED|CLIENT_CLOSED)$/) });
      }
      expect(alice.stats().sent['bob'] ?? 0).toBe(sent);
      expect(alice.stats().unwritten).toBeGreaterThan(0);
      expect(alice.stats().unwritten).toBeLessThanOrEqual(sent);
      bob.getMessages();
    });

    test('a client whose reading is paused still accepts new connections and their hellos (injected timers: no hello deadline to race)', async () => {
      const timers = new FakeTimers();
      const helloTimeoutMs = 5000;
      const bob = await h.client('bob', { maxQueuedMessages: 1, helloTimeoutMs, timers });
      const errors: unknown[] = [];
      bob.on('error', (error) => errors.push(error));
      const first = await h.client('first');
      await first.send('bob', 1);
      await first.send('bob', 2); // bob's queue is over its mark: bob pauses reading
      await waitUntil(() => bob.stats().read['first'] === 2);
      const second = await h.client('second');
      await second.send('bob', 'hello from second');
      await waitUntil(() => bob.hasConnection('second'));
      // Its hello was read while bob was paused: no hello timer is left to fire.
      timers.advance(helloTimeoutMs);
      const contents: unknown[] = [];
      for await (const message of bob) {
        contents.push(message.content);
        if (contents.length === 3) break;
      }
      expect(contents).toEqual([1, 2, 'hello from second']);
      expect(errors).toEqual([]);
    });

    test('R26: a peer re-dialled while its evicted connection still flushes gets everything in order', async () => {
      const alice = await h.client('alice', { maxConnections: 1 });
      const bob = await h.client('bob');
      await h.client('carol');
      const count = 8;
      const arrived = nextMessages(bob, count + 1);
      const big = 'e'.repeat(1024 * 1024);
      const sends = Array.from({ length: count }, (_, i) => alice.send('bob', { i, big }));
      await waitUntil(() => alice.hasConnection('bob') && alice.pendingBytes('bob') > 0);
      await alice.send('carol', 'evicts bob'); // bob's connection is busy but is the only one to evict
      await alice.send('bob', { i: count }); // a new connection to bob, behind the old one
      await Promise.all(sends);
      expect((await arrived).map((m) => (m.content as { i: number }).i)).toEqual(Array.from({ length: count + 1 }, (_, i) => i));
    });

    test('R3: before its hello, an accepted connection may send only a small frame', async () => {
      const bob = await h.client('bob');
      const errors = nextErrors(bob, 1);
      const raw = await h.raw('bob');
      const header = Buffer.alloc(4);
      header.writeUInt32BE(1024 * 1024); // far below maxFrameBytes, far above any hello
      raw.write(header);
      expect((await errors)[0]).toMatchObject({ code: 'ERR_IPCM_FRAME_TOO_LARGE' });
      await closedByPeer(raw);
    });

    test('R24: once a peer has closed its connection, the next send dials afresh', async () => {
      const alice = await h.client('alice');
      const bob = await h.client('bob');
      await alice.send('bob', 'one');
      await waitUntil(() => bob.hasConnection('alice'));
      bob.disconnectConnection('alice'); // bob ends it; alice sees the end
      await waitUntil(() => !alice.hasConnection('bob'));
      expect(bob.getMessages().map((m) => m.content)).toEqual(['one']);
      const arrived = nextMessages(bob, 1);
      await alice.send('bob', 'two');
      expect((await arrived)[0]).toMatchObject({ content: 'two' });
      expect(alice.stats().connects).toBe(2);
    });

    test('close() that cannot write its stats still closes, ends iteration, and rejects with a coded error', async () => {
      const alice = await h.client('alice');
      const iteration = alice[Symbol.asyncIterator]().next();
      await rm(h.route, { recursive: true, force: true });
      await expect(alice.close()).rejects.toMatchObject({ code: 'ERR_IPCM_ROUTE' });
      expect(alice.closed).toBe(true);
      await expect(iteration).resolves.toEqual({ value: undefined, done: true });
      await mkdir(h.route, { mode: 0o700 });
    });

    test('R25: past maxPendingBytes sends wait, past maxWaitingSends they get a coded backpressure error; accepted ones arrive', async () => {
      const alice = await h.client('alice', { maxPendingBytes: 2 * 1024 * 1024, maxWaitingSends: 8 });
      const bob = await h.client('bob', { maxQueuedMessages: 1 });
      const big = 'b'.repeat(512 * 1024);
      const outcomes = Array.from({ length: 64 }, () => alice.send('bob', big).then(() => 'sent', (error: unknown) => error));
      await waitUntil(() => alice.pendingBytes('bob') > 0);
      const rejected = await alice.send('bob', big).then(() => undefined, (error: unknown) => error);
      expect(rejected).toBeInstanceOf(BackpressureError);
      expect(rejected).toMatchObject({ code: 'ERR_IPCM_BACKPRESSURE' });
      expect(alice.pendingBytes('bob')).toBeLessThanOrEqual(2 * 1024 * 1024 + 600 * 1024);
      // Every send that was accepted, at once or after waiting, is delivered once bob reads again.
      const received: unknown[] = [];
      bob.on('message', (message: Message) => received.push(message.content));
      const settled = await Promise.all(outcomes);
      const accepted = settled.filter((outcome) => outcome === 'sent').length;
      expect(accepted).toBeGreaterThan(8);
      expect(settled.filter((outcome) => outcome instanceof BackpressureError).length).toBe(64 - accepted);
      await waitUntil(() => received.length === accepted);
      expect(received).toHaveLength(accepted);
    });
  });
}

/** Polls a condition once per event-loop turn (I/O progresses in between). */
export async function waitUntil(condition: () => boolean, turns = 100_000): Promise<void> {
  for (let i = 0; i < turns; i++) {
    if (condition()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error('condition never became true');
}
