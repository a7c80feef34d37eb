import assert from 'node:assert/strict';
import { closeIdleConnections, connections, hasConnection, lastActivity } from '@ipcm/connection-role';
import type { ConnectionEntry, ConnectionHost } from '@ipcm/connection-role';

let time = 0; // a test clock; leave `now` out to use Date.now()
const table = new Map<string, ConnectionEntry>();

const host: ConnectionHost = {
  connectionTable: () => table,
  closeConnection: (peerId) => {
    table.delete(peerId);
  },
  // Re-inserting an entry on activity keeps the Map oldest-first, so it
  // is also the ordered view: a sweep stops at the first busy connection.
  connectionsByIdleness: () => table.entries(),
  now: () => time,
};

function touch(peerId: string): void {
  table.delete(peerId);
  table.set(peerId, { lastActive: time });
}

touch('a');
time = 1_000;
touch('b');
time = 2_000;
touch('c');

time = 10_000;
assert.equal(closeIdleConnections(host, 8_500), 2); // a and b: idle since before 1,500
assert.deepEqual(connections(host), ['c']);
assert.equal(hasConnection(host, 'a'), false);
assert.equal(lastActivity(host, 'c'), 2_000);
