import { isContent } from './content.js';
import { CAST, sameIds, type Stage } from './stage.js';
import { mark } from './style.js';

/**
 * Each conductor broadcasts to its transport: every listener in the route
 * directory plus every peer connected to it (the non-listener). Each peer
 * acks, so "sent" is backed by "received".
 */
export async function broadcast(stage: Stage): Promise<void> {
  for (const conductor of [stage.conductors.unix, stage.conductors.tcp]) {
    const expected = CAST.filter((p) => p.transport === conductor.transport).map((p) => p.id);
    const n = stage.nextNumber();
    const acks = conductor.inbox.take(
      `acks of news #${n}`,
      (m) => isContent(m.content, 'ack') && m.content.n === n,
      expected.length,
    );
    const results = await conductor.client.broadcast({ kind: 'news', n });
    const acked = new Set((await acks).map((m) => m.from));
    stage.say(`${conductor.id}.broadcast(news #${n}):`);
    for (const [peerId, { sent, error }] of [...results].sort(([a], [b]) => a.localeCompare(b))) {
      const listens = CAST.find((p) => p.id === peerId)?.listen ?? true;
      stage.say(
        `  ${peerId.padEnd(11)} sent ${mark(sent)}  ack ${mark(acked.has(peerId))}` +
          `${listens ? '' : '  (over the connection it opened)'}${error === undefined ? '' : `  ${error.message}`}`,
      );
    }
    const allSent = [...results.values()].every((r) => r.sent);
    stage.checks.check(
      `${conductor.transport} broadcast reached exactly its ${expected.length} peers, and each acked`,
      sameIds(results.keys(), expected) && allSent && sameIds(acked, expected),
      expected.join(', '),
    );
  }
}
