import * as path from 'node:path';
import { RouteDirectory, type ClientOptions } from '@ipcm/client-core';
import { defineBehaviourSuite } from '../../client-core/test/conformance/suite.js';
import { rawUnixConnect, type ConformanceTarget } from '../../client-core/test/conformance/harness.js';
import { UnixClient } from '../src/index.js';

export const unixTarget: ConformanceTarget = {
  name: 'unix',
  create: (options: ClientOptions) => UnixClient.create(options),
  childModule: { path: path.resolve(__dirname, '../dist/index.js'), exportName: 'UnixClient' },
  rawConnect: async (route, peerId) => {
    const dir = await RouteDirectory.open(route, { create: false });
    return rawUnixConnect(dir.entryPath(peerId));
  },
};

defineBehaviourSuite(unixTarget);
