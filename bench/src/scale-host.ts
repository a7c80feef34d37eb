// A process hosting peers for the scale suite, forked by the measuring
// process (scale-measure.ts) through the shared peer-process harness. On
// `host` it starts one @ipcm UnixClient per id in the
// route directory and one bare `net` server per id; every peer answers each
// message it receives with an ack, over the connection it came on.
import { rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import type { Client } from '@ipcm/client-core';
import { UnixClient } from '@ipcm/client-unix';
import { runPeer } from '@ipcm/peer-process';
import type { ScaleHostPeer } from './scale-protocol.js';
import { SCALE_MEASURER_ID } from './scale-wire.js';
import { bareFrameParser, bareMessage, encodeBareFrame, type Content } from './messaging-wire.js';

let clients: Client[] = [];
let servers: Server[] = [];
const sockets = new Set<Socket>();

async function startIpcmPeer(id: string, route: string): Promise<Client> {
  const client = await UnixClient.create({ id, route });
  client.on('message', (message) => {
    const { seq } = message.content as Content;
    client.send(message.from, { seq, text: 'ack' }).catch(() => {}); // the measurer may be closing
  });
  client.on('error', () => {});
  return client;
}

async function startBarePeer(id: string, path: string): Promise<Server> {
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.on(
      'data',
      bareFrameParser((message) => {
        socket.write(encodeBareFrame(bareMessage(id, SCALE_MEASURER_ID, { seq: message.content.seq, text: 'ack' })));
      }),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ path }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}

/** Runs `start` over `items`, at most `width` at a time (thousands of listens at once only queue up). */
async function inBatches<T, R>(items: readonly T[], width: number, start: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += width) {
    out.push(...(await Promise.all(items.slice(i, i + width).map((item, j) => start(item, i + j)))));
  }
  return out;
}

async function host(command: ScaleHostPeer['commands']['host']['args']): Promise<{ barePaths: string[] }> {
  clients = await inBatches(command.ids, 32, (id) => startIpcmPeer(id, command.route));
  const barePaths = command.ids.map((_, i) => join(command.bareDir, String(command.first + i)));
  servers = await inBatches(command.ids, 32, (id, i) => startBarePeer(id, barePaths[i] as string));
  return { barePaths };
}

async function unhost(): Promise<void> {
  await Promise.all(clients.map((client) => client.close()));
  for (const socket of sockets) socket.destroy();
  await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  await Promise.all(servers.map((server) => {
    const address = server.address();
    return typeof address === 'string' ? rm(address, { force: true }) : Promise.resolve();
  }));
  clients = [];
  servers = [];
}

// If the measuring process goes, so do we (its route directory goes with it).
runPeer<ScaleHostPeer>({
  start: () => ({ ready: null, commands: { host, unhost }, close: unhost }),
});
