import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { ConnectionRole } from '@ipcm/connection-role';

interface Entry {
  readonly socket: Socket;
  lastActive: number;
}

class PeerSockets {
  readonly #table = new Map<string, Entry>();

  /** Cache a connected socket; every byte received keeps it active. */
  add(peerId: string, socket: Socket): void {
    const entry: Entry = { socket, lastActive: Date.now() };
    socket.on('data', () => {
      entry.lastActive = Date.now();
    });
    this.#table.set(peerId, entry);
  }

  // The role's two requirements:
  connectionTable(): ReadonlyMap<string, Entry> {
    return this.#table;
  }

  closeConnection(peerId: string): void {
    this.#table.get(peerId)?.socket.destroy();
    this.#table.delete(peerId);
  }
}

class Client extends ConnectionRole(PeerSockets) {}

const client = new Client();
assert.equal(client.hasConnection('worker-1'), false);
assert.deepEqual(client.connections(), []);
assert.equal(client.lastActivity('worker-1'), undefined);
assert.equal(client.disconnectConnection('worker-1'), false);
assert.equal(client.closeIdleConnections(5 * 60_000), 0);
