import * as path from 'node:path';
import { RouteDirectory } from '@ipcm/client-core';
import { rawUnixConnect, type ConformanceTarget } from '../../client-core/test/conformance/harness.js';
import { UnixClient } from '../src/index.js';

/** The Unix transport as the conformance suite drives it. */
export const unixTarget: ConformanceTarget = {
  name: 'unix',
  create: (options, create) => UnixClient.create(options, create),
  childModule: { path: path.resolve(__dirname, '../dist/index.js'), exportName: 'UnixClient' },
  rawConnect: async (route, peerId) => {
    const dir = await RouteDirectory.open(route, { create: false });
    return rawUnixConnect(dir.entryPath(peerId));
  },
};
