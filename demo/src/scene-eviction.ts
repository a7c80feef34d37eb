import type { DisconnectEvent } from '@ipcm/client-core';
import type { Stage } from './stage.js';

const TARGETS = ['unix-a', 'unix-b', 'unix-c'];
const ROUNDS = 3;

/**
 * conductor-small may keep 2 connections; talking round-robin to 3 peers,
 * each send evicts the least recently used connection and re-dials.
 */
export async function evictConnections(stage: Stage): Promise<void> {
  const { small } = stage.conductors;
  const evicted: string[] = [];
  const onDisconnect = ({ peerId, reason }: DisconnectEvent): void => {
    if (reason === 'total capacity') evicted.push(peerId);
  };
  small.client.on('disconnect', onDisconnect);
  let mostOpen = 0;
  let replies = 0;
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      const steps: string[] = [];
      for (const peerId of TARGETS) {
        const connects = small.client.stats().connects;
        evicted.length = 0;
        await stage.ping(small, peerId);
        replies++;
        mostOpen = Math.max(mostOpen, small.client.connections().length);
        const dialled = small.client.stats().connects > connects;
        steps.push(`${peerId} ${dialled ? 'dial' : 'reuse'}${evicted.length > 0 ? ` (evicts ${evicted.join(', ')})` : ''}`);
      }
      stage.say(`round ${round}: ${steps.join(', ')}`);
    }
  } finally {
    small.client.off('disconnect', onDisconnect);
  }
  const { connects, drops } = small.client.stats();
  const evictions = drops['total capacity'] ?? 0;
  const sends = ROUNDS * TARGETS.length;
  stage.say(`${replies}/${sends} pongs; connects ${connects} for ${TARGETS.length} peers; drops['total capacity'] ${evictions}; at most ${mostOpen} open`);
  stage.checks.check('maxConnections: 2 holds: never more than 2 open', mostOpen === 2);
  stage.checks.check(
    'over capacity, the least recently used connection is evicted and re-dialled on demand',
    replies === sends && connects === sends && evictions === sends - 2,
    `connects ${connects} > ${TARGETS.length} peers, drops['total capacity'] ${evictions}`,
  );
}
