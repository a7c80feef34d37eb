import { CAST, sameIds, type Stage } from './stage.js';
import { dim } from './style.js';

/** Starts the peer processes and shows that they find each other through the route directory. */
export async function meetThePeers(stage: Stage): Promise<void> {
  stage.say(dim(`route directory ${stage.route}`));
  await stage.startPeers();
  for (const peer of stage.peers.values()) {
    const { id, transport, listen } = peer.settings;
    stage.say(`${id.padEnd(16)} ${`pid ${peer.pid}`.padEnd(10)} ${transport.padEnd(4)}  ${listen ? 'listens' : 'does not listen'}`);
  }
  for (const { id, transport, listen, client } of Object.values(stage.conductors)) {
    const limit = client.maxConnections();
    stage.say(
      `${id.padEnd(16)} ${'this one'.padEnd(10)} ${transport.padEnd(4)}  ${listen ? 'listens' : 'does not listen'}` +
        `, maxConnections ${limit}${id === 'conductor-unix' ? ', injected clock' : ''}`,
    );
  }

  const { unix, tcp, small } = stage.conductors;
  const everyone = await unix.client.peers();
  const unixListeners = await unix.client.listeningPeers();
  const tcpListeners = await tcp.client.listeningPeers();
  stage.say();
  stage.say(`conductor-unix.peers()          → ${everyone.join(', ')}`);
  stage.say(`conductor-unix.listeningPeers() → ${unixListeners.join(', ')}`);
  stage.say(`conductor-tcp.listeningPeers()  → ${tcpListeners.join(', ')}`);

  const expected = [...CAST.map((p) => p.id), tcp.id, small.id];
  stage.checks.check(
    `${CAST.length} peer processes started and all ${expected.length} other peers are in the route directory`,
    stage.peers.size === CAST.length && sameIds(everyone, expected),
  );
  const listeners = (transport: string): string[] => CAST.filter((p) => p.transport === transport && p.listen).map((p) => p.id);
  stage.checks.check(
    'listeningPeers() keeps to its transport and leaves non-listeners out',
    sameIds(unixListeners, listeners('unix')) && sameIds(tcpListeners, listeners('tcp')),
    `unix: ${unixListeners.join(', ')}; tcp: ${tcpListeners.join(', ')}`,
  );
}
