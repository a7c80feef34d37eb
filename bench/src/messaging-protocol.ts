import type { NetConnectOpts } from 'node:net';
import type { ZmqEndpoints } from './messaging-zeromq.js';

/** Where the child's end can be reached, for the implementations the parent dials by address. */
export interface PeerAddress {
  /** bare, bare+cork and node-ipc: a socket path, or host and port. */
  readonly net?: NetConnectOpts;
  /** zeromq: the endpoints its PULL and ROUTER bound. */
  readonly zmq?: ZmqEndpoints;
}

/** Parent to child, over the IPC channel (control only). */
export type ChildCommand =
  | { readonly cmd: 'count'; readonly total: number }
  | { readonly cmd: 'echo' }
  /** Answer every request (IPC::Manager request content) with its value (@ipcm and bare only). */
  | { readonly cmd: 'respond' }
  | { readonly cmd: 'close' };

/** Child to parent, over the IPC channel. */
export type ChildReport =
  | { readonly type: 'ready'; readonly address: PeerAddress }
  | { readonly type: 'armed' }
  /** `lastAt`: the sharedNow() time the last message arrived. */
  | { readonly type: 'counted'; readonly messages: number; readonly lastAt: number }
  | { readonly type: 'failed'; readonly error: string };
