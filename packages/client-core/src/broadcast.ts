import type { ClientEngine } from './client-engine.js';
import { reachable } from './peer-locator.js';
import type { PeerTypes } from './peer-types.js';

/** The outcome of a broadcast for one peer. */
export interface BroadcastResult {
  readonly sent: boolean;
  readonly error?: Error;
}

/**
 * Sends `content` to every peer a broadcast reaches (see `Client.broadcast`):
 * the peers connected to us or being dialled, and the live peers of the
 * directory listening on our transport, this client excepted.
 */
export async function broadcast<T extends PeerTypes>(engine: ClientEngine<T>, content: unknown): Promise<Map<string, BroadcastResult>> {
  if (engine.state !== 'open') throw engine.closedError();
  // Content that no peer could be sent is refused once, before anything is written.
  engine.encoder.encode('', content, true);
  // Peers we are connected to need no look-up; only the others are
  // inspected (alive, listening on our transport).
  const targets = new Set<string>();
  for (const record of engine.cache.records()) targets.add(record.key);
  for (const peerId of engine.dialer.dialing.keys()) targets.add(peerId);
  // The directory lists only live peers (its liveness rule, not ours).
  // Where it can name its ids cheaply, only the peers we have no
  // connection to are looked up (a broadcast to 5,000 connected peers
  // then costs one readdir, not 5,000 liveness checks).
  const directory = engine.directory();
  const locations =
    directory.ids === undefined
      ? await directory.list()
      : await Promise.all(
          (await directory.ids()).filter((id) => !targets.has(id) && id !== engine.id).map((id) => directory.lookup(id)),
        );
  for (const location of locations) {
    if (location !== undefined && reachable(location, engine.transport)) targets.add(location.id);
  }
  targets.delete(engine.id);
  const results = new Map<string, BroadcastResult>();
  await Promise.all(
    [...targets].map(async (peerId) => {
      try {
        await engine.sender.send(peerId, content, true);
        results.set(peerId, { sent: true });
      } catch (error) {
        results.set(peerId, { sent: false, error: error as Error });
      }
    }),
  );
  return results;
}
