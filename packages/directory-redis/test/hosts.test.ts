/*
 * Several hosts on one machine (issue 14): three groups of TCP peer
 * processes, each group bound to its own loopback address (Linux routes all
 * of 127/8 to lo), with no route directory at all: they know each other
 * only through one RedisDirectory group. Each peer is client-core's peer
 * fixture running a TcpClient over Redis (fixtures/redis-tcp-client.js).
 */
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { forkPeer, type ChildPeer, type ChildSpec } from '../../client-core/test/conformance/harness';
import { describeWithRedis, RedisServer } from './redis-server';

const HOSTS = ['127.0.0.2', '127.0.0.3', '127.0.0.4'];
const PER_HOST = 2;
const FIXTURE = path.resolve(__dirname, 'fixtures/redis-tcp-client.js');

describeWithRedis('TCP peers on several hosts meet through Redis', () => {
  let server: RedisServer;
  const peers = new Map<string, ChildPeer & { ready: Record<string, unknown> }>();

  beforeAll(async () => {
    server = await RedisServer.start();
    const group = `hosts-${randomBytes(4).toString('hex')}`;
    const started = HOSTS.flatMap((host, h) =>
      Array.from({ length: PER_HOST }, async (_, k) => {
        const id = `host${h + 2}-peer${k}`;
        const spec: ChildSpec = {
          module: FIXTURE,
          exportName: 'RedisTcpClient',
          options: { id, host, redisUrl: server.url, group, ttlMs: 5000 },
          record: true,
        };
        const child = forkPeer(spec);
        peers.set(id, { ...child, ready: await child.ready });
      }),
    );
    await Promise.all(started);
  });

  afterAll(async () => {
    await Promise.all([...peers.values()].map((peer) => peer.kill()));
    await server?.stop();
  });

  test('each peer listens on its own host and publishes that host, not 127.0.0.1', () => {
    for (const [id, peer] of peers) {
      const host = HOSTS[Number(id.slice(4, 5)) - 2];
      expect(peer.ready).toMatchObject({ ready: true, address: { transport: 'tcp', host } });
    }
  });

  test('every peer waits for every other, reaches it by id, and gets its reply back', async () => {
    const ids = [...peers.keys()];
    await Promise.all(
      ids.flatMap((from) =>
        ids.filter((to) => to !== from).map(async (to) => {
          const peer = peers.get(from) as ChildPeer;
          expect(await peer.command({ cmd: 'waitForPeer', id: to, timeoutMs: 10_000 })).not.toHaveProperty('error');
          expect(await peer.command({ cmd: 'send', to, content: `${from} to ${to}` })).not.toHaveProperty('error');
        }),
      ),
    );
    // Each peer hears from each other one twice: its message, and the echo of ours.
    await Promise.all(
      ids.flatMap((at) =>
        ids.filter((from) => from !== at).map(async (from) => {
          const { contents } = await (peers.get(at) as ChildPeer).command({ cmd: 'received', from, count: 2 });
          expect(contents).toEqual(expect.arrayContaining([`${from} to ${at}`, { echo: `${at} to ${from}` }]));
        }),
      ),
    );
  });

  test('a broadcast reaches every peer on every host', async () => {
    const ids = [...peers.keys()];
    const [sender, ...others] = ids as [string, ...string[]];
    const { sent } = await (peers.get(sender) as ChildPeer).command({ cmd: 'broadcast', content: 'to everyone' });
    expect(sent).toEqual([...others].sort());
    await Promise.all(
      others.map(async (at) => {
        const { contents } = await (peers.get(at) as ChildPeer).command({ cmd: 'received', from: sender, count: 3 });
        expect(contents).toContain('to everyone');
      }),
    );
  });
});
