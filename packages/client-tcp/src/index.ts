export { TcpClient } from './tcp-client.js';
export type { TcpClientOptions, TcpTlsOptions } from './options.js';
export { TcpTransport } from './tcp-transport.js';
export { isTcpAddress } from './tcp-address.js';
export type { TcpAddress } from './tcp-address.js';
export { MAX_TOKEN_BYTES } from './tcp-settings.js';
// isLoopback lives in client-core (directories check published hosts with
// it too); still exported here for code that imports it from client-tcp.
export { isLoopback } from '@ipcm/client-core';
export type { TcpSettings } from './tcp-settings.js';
// Everything of client-core (errors, spawnRoute, types...), so one install
// and one import are enough.
export * from '@ipcm/client-core';
