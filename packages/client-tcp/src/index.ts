export { TcpClient } from './tcp-client.js';
export type { TcpClientOptions, TcpTlsOptions } from './options.js';
export { TcpTransport } from './tcp-transport.js';
export { isLoopback, MAX_TOKEN_BYTES } from './tcp-settings.js';
export type { TcpSettings } from './tcp-settings.js';
// Everything of client-core (errors, spawnRoute, types...), so one install
// and one import are enough.
export * from '@ipcm/client-core';
