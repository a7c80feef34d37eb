// Peers on several hosts meeting through Redis.
//
// Three "hosts" on one machine: the loopback addresses 127.0.0.2, 127.0.0.3
// and 127.0.0.4 (Linux routes all of 127/8 to lo). This process starts a
// throwaway redis-server (127.0.0.1, a free port, no persistence; from
// `@ipcm/directory-redis/testing`), then forks one TcpClient process per
// host, each bound to its own address, with a RedisDirectory as its
// directory, a shared token and no route directory: Redis is all they share.
// Each peer waits for the others, sends each a message and gets a reply;
// then one broadcasts to all. At the end every peer releases its id and
// exits with code 0, and the server is stopped.
//
// Needs `redis-server` on PATH; without it, says how to install it and
// exits with code 0.
//
// Run: node examples/dist/many-hosts.js
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { on, once } from 'node:events';
import { TcpClient } from '@ipcm/client-tcp';
import { RedisDirectory } from '@ipcm/directory-redis';
import { findRedisServer, INSTALL_HINT, RedisServer } from '@ipcm/directory-redis/testing';

const HOSTS = { alice: '127.0.0.2', bob: '127.0.0.3', carol: '127.0.0.4' } as const;
type Name = keyof typeof HOSTS;
const NAMES = Object.keys(HOSTS) as Name[];

/** What the parent tells a peer process. */
type Order = { readonly type: 'greet' } | { readonly type: 'broadcast' } | { readonly type: 'stop' };

/** What a peer process reports to the parent. */
type Report =
  | { readonly type: 'ready'; readonly id: string; readonly address: string }
  | { readonly type: 'got'; readonly id: string; readonly from: string; readonly content: unknown }
  | { readonly type: 'broadcast'; readonly id: string; readonly sent: readonly string[] };

/** A peer process: `many-hosts.js peer <id> <host> <redis url> <group> <token>`. */
async function peer(id: Name, host: string, redis: string, group: string, token: string): Promise<void> {
  const report = (message: Report): void => void process.send?.(message);
  const directory = new RedisDirectory({ redis, group, ttlMs: 3000 });
  const client = await TcpClient.create({ id, host, token, directory });
  client.on('message', ({ from, content }) => {
    report({ type: 'got', id, from, content });
    // Reply to greetings (not to replies, nor to the broadcast).
    if (typeof content === 'string' && content.startsWith('hello')) void client.send(from, { reply: `hi ${from}, ${id} here` });
  });
  const address = client.address;
  report({ type: 'ready', id, address: typeof address === 'object' && address.transport === 'tcp' ? `${address.host}:${address.port}` : String(address) });
  for await (const [order] of on(process, 'message') as AsyncIterable<[Order]>) {
    if (order.type === 'greet') {
      for (const other of NAMES.filter((name) => name !== id)) {
        // Found through Redis: waitForPeer watches the directory until it is up.
        await client.waitForPeer(other, { timeoutMs: 10_000 });
        await client.send(other, `hello ${other}, from ${id}`);
      }
    } else if (order.type === 'broadcast') {
      const results = await client.broadcast('to everyone, from alice');
      report({ type: 'broadcast', id, sent: [...results].filter(([, r]) => r.sent).map(([peerId]) => peerId) });
    } else {
      break;
    }
  }
  await client.close();
  await directory.close();
  process.disconnect();
}

export async function main(): Promise<void> {
  if (findRedisServer() === undefined) {
    console.log(`skipped: redis-server is not on PATH; ${INSTALL_HINT}`);
    return;
  }
  const server = await RedisServer.start();
  const group = `many-hosts-${randomBytes(4).toString('hex')}`;
  const token = randomBytes(16).toString('hex');
  const children = new Map<Name, ChildProcess>();
  try {
    console.log(`redis-server on ${server.url}, group ${group}`);
    const reports: Report[] = [];
    const checks = new Set<() => void>();
    const onReport = (report: Report): void => {
      reports.push(report);
      if (report.type === 'got') console.log(`${report.id} got ${JSON.stringify(report.content)} from ${report.from}`);
      for (const check of [...checks]) check();
    };
    /** Resolves once `count` reports matching `matches` have arrived (counting those already in). */
    const reported = (matches: (r: Report) => boolean, count: number): Promise<void> =>
      new Promise((resolve) => {
        const check = (): void => {
          if (reports.filter(matches).length < count) return;
          checks.delete(check);
          resolve();
        };
        checks.add(check);
        check();
      });
    let failed: (error: Error) => void = () => undefined;
    const early = new Promise<never>((_, reject) => (failed = reject));
    early.catch(() => undefined);
    for (const name of NAMES) {
      const child = fork(__filename, ['peer', name, HOSTS[name], server.url, group, token]);
      child.on('message', (report: Report) => onReport(report));
      child.once('exit', (code) => {
        if (code !== 0) failed(new Error(`${name} exited with code ${code}`));
      });
      children.set(name, child);
    }
    const tell = (name: Name, order: Order): void => void children.get(name)?.send(order);

    await Promise.race([early, reported((r) => r.type === 'ready', NAMES.length)]);
    for (const r of reports) if (r.type === 'ready') console.log(`${r.id} listens on ${r.address}`);

    // Every peer greets every other one, found through Redis; each greeting is answered.
    for (const name of NAMES) tell(name, { type: 'greet' });
    const pairs = NAMES.length * (NAMES.length - 1);
    await Promise.race([early, reported((r) => r.type === 'got' && typeof r.content === 'object', pairs)]);
    console.log(`${pairs} greetings sent across hosts, ${pairs} replies back`);

    tell('alice', { type: 'broadcast' });
    const broadcastHeard = (r: Report): boolean => r.type === 'got' && r.content === 'to everyone, from alice';
    await Promise.race([early, Promise.all([reported((r) => r.type === 'broadcast', 1), reported(broadcastHeard, NAMES.length - 1)])]);
    const broadcast = reports.find((r) => r.type === 'broadcast');
    if (broadcast?.type === 'broadcast') console.log(`alice's broadcast reached ${[...broadcast.sent].sort().join(', ')}`);

    const exits = [...children.values()].map(async (child) => (await once(child, 'exit'))[0] as number | null);
    for (const name of NAMES) tell(name, { type: 'stop' });
    console.log(`peers exited with codes: ${(await Promise.all(exits)).join(', ')}`);
  } finally {
    for (const child of children.values()) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await server.stop();
  }
}

if (require.main === module) {
  const [role, id, host, redis, group, token] = process.argv.slice(2);
  const run =
    role === 'peer' ? peer(id as Name, host as string, redis as string, group as string, token as string) : main();
  run.catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
