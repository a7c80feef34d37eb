import { once } from 'node:events';
import { connect } from 'node:net';
import * as path from 'node:path';
import { RouteDirectory } from '@ipcm/client-core';
import type { ConformanceTarget } from '../../client-core/test/conformance/harness.js';
import { TcpClient, isTcpAddress } from '../src/index.js';

/** The TCP transport as the conformance suite drives it. */
export const tcpTarget: ConformanceTarget = {
  name: 'tcp',
  create: (options, create) => TcpClient.create(options, create),
  childModule: { path: path.resolve(__dirname, '../dist/index.js'), exportName: 'TcpClient' },
  rawConnect: async (route, peerId) => {
    const dir = await RouteDirectory.open(route, { create: false });
    const entry = await dir.lookup(peerId);
    if (entry?.kind !== 'address' || !isTcpAddress(entry.address)) throw new Error(`${peerId} does not listen on TCP`);
    const socket = connect({ host: entry.address.host, port: entry.address.port });
    await once(socket, 'connect');
    return socket;
  },
};
