export { UnixClient } from './unix-client.js';
export type { UnixClientOptions } from './unix-client.js';
export { UnixTransport } from './unix-transport.js';
