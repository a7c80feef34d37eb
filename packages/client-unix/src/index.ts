export { UnixClient } from './unix-client.js';
export type { UnixClientOptions } from './unix-client.js';
export { UnixTransport } from './unix-transport.js';
// Everything of client-core (errors, spawnRoute, types...), so one install
// and one import are enough.
export * from '@ipcm/client-core';
