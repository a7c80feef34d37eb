import type { Stage } from './stage.js';

const PEER = 'tcp-a';
const MESSAGES = 100;

/** One connection per peer: dialled on the first send, reused for every other. */
export async function reuseConnections(stage: Stage): Promise<void> {
  const { tcp } = stage.conductors;
  const had = tcp.client.hasConnection(PEER);
  const closed = tcp.client.disconnectConnection(PEER);
  const still = tcp.client.hasConnection(PEER);
  stage.say(`conductor-tcp.disconnectConnection('${PEER}') → ${closed}; hasConnection('${PEER}') → ${still}`);
  stage.checks.check('disconnectConnection() closes an open connection', had && closed && !still);

  const before = tcp.client.stats();
  await stage.pingMany(tcp, PEER, MESSAGES);
  const after = tcp.client.stats();
  const connects = after.connects - before.connects;
  const reuses = after.reuses - before.reuses;
  stage.say(`${MESSAGES} pings to ${PEER}, sent without waiting; ${MESSAGES} pongs back`);
  stage.say(`connects +${connects}, reuses +${reuses}`);
  stage.checks.check(
    `${MESSAGES} messages to one peer open one connection`,
    connects === 1 && reuses === MESSAGES - 1,
    `${connects} connect, ${reuses} reuses`,
  );
}
