import type { Stage } from './stage.js';

const MAX_IDLE_MS = 30_000;
const ADVANCE_MS = 60_000;
const KEPT = 'unix-b';

/**
 * conductor-unix runs on an injected clock: move it a minute on, keep one
 * connection busy, and closeIdleConnections() closes the rest.
 */
export async function reapIdleConnections(stage: Stage): Promise<void> {
  const { unix } = stage.conductors;
  const { client } = unix;
  const describe = (): string =>
    client
      .connections()
      .map((id) => `${id} ${Math.round((stage.clock.now() - (client.lastActivity(id) ?? stage.clock.now())) / 1000)}s`)
      .join(', ');

  const before = client.connections();
  stage.say(`connections(), idle for:       ${describe()}`);
  stage.clock.advance(ADVANCE_MS);
  stage.say(`the clock moves on ${ADVANCE_MS / 1000} s (nobody waits)`);
  await stage.ping(unix, KEPT);
  stage.say(`after a ping to ${KEPT}:        ${describe()}`);
  const closed = client.closeIdleConnections(MAX_IDLE_MS);
  const after = client.connections();
  stage.say(`closeIdleConnections(${MAX_IDLE_MS}) → ${closed} closed`);
  stage.say(`connections() after:           ${describe()}`);
  const idleDrops = client.stats().drops['idle'] ?? 0;
  stage.checks.check(
    `idle reaping closes the connections idle over ${MAX_IDLE_MS / 1000} s and keeps the busy one`,
    before.length === 4 && closed === before.length - 1 && after.length === 1 && after[0] === KEPT && idleDrops === closed,
    `${closed} of ${before.length} closed, ${after.join(', ')} kept`,
  );
}
