import type { NetConnectOpts } from 'node:net';
import type { EndpointConfig } from './messaging-endpoints.js';
import type { ZmqEndpoints } from './messaging-zeromq.js';

/** Where the child's end can be reached, for the implementations the parent dials by address. */
export interface PeerAddress {
  /** bare, bare+cork and node-ipc: a socket path, or host and port. */
  readonly net?: NetConnectOpts;
  /** zeromq: the endpoints its PULL and ROUTER bound. */
  readonly zmq?: ZmqEndpoints;
}

/**
 * The messaging suite's second process (messaging-child.ts), as a protocol
 * of the shared peer-process harness. The channel carries control only,
 * never the benchmark's messages.
 */
export type MessagingPeer = {
  readonly settings: EndpointConfig;
  /** Its listening end is open here. */
  readonly ready: { readonly address: PeerAddress };
  readonly commands: {
    /** Count the next `total` messages; reports 'counted' after the last. */
    readonly count: { readonly args: { readonly total: number }; readonly reply: void };
    /** Send every message back. */
    readonly echo: { readonly args: null; readonly reply: void };
    /** Answer every request (IPC::Manager request content) with its value (@ipcm and bare only). */
    readonly respond: { readonly args: null; readonly reply: void };
  };
  /** `lastAt`: the sharedNow() time the last counted message arrived. */
  readonly event: { readonly type: 'counted'; readonly messages: number; readonly lastAt: number };
  readonly closed: void;
};
