import * as path from 'node:path';
import { RouteDirectory } from '@ipcm/client-core';
import { rawUnixConnect, type ConformanceTarget } from '../../packages/client-core/test/conformance/harness.js';
import { AbstractClient, isAbstractAddress, socketPath } from '../src/custom-transport.js';

/** The custom-transport example as the conformance suite drives it. */
export const abstractTarget: ConformanceTarget = {
  name: 'abstract (example)',
  create: (options, create) => AbstractClient.create(options, create),
  childModule: { path: path.resolve(__dirname, '../dist/custom-transport.js'), exportName: 'AbstractClient' },
  rawConnect: async (route, peerId) => {
    const entry = await (await RouteDirectory.open(route, { create: false })).lookup(peerId);
    if (entry?.kind !== 'address' || !isAbstractAddress(entry.address)) throw new Error(`${peerId} does not listen on an abstract socket`);
    return rawUnixConnect(socketPath(entry.address.name));
  },
};
