// What the demo and its peer processes say to each other on the fork IPC
// channel. This is stage direction only: everything the peers say to each
// other goes over @ipcm, never over this channel.
import type { ClientStats } from '@ipcm/client-core';

/** The transports the demo's peers use. */
export type TransportName = 'unix' | 'tcp';

/** How a peer process is set up; passed as JSON in its argv[2]. */
export interface PeerSettings {
  readonly id: string;
  readonly transport: TransportName;
  readonly listen: boolean;
  readonly route: string;
}

/** From the demo to a peer. */
export type PeerCommand =
  /** Send a "hi" to `to` (how a non-listener makes itself reachable). */
  | { readonly cmd: 'greet'; readonly to: string }
  /** Close the client, report its final stats, leave. */
  | { readonly cmd: 'close' };

/** From a peer to the demo. */
export type PeerReport =
  | { readonly type: 'ready' }
  | { readonly type: 'welcomed'; readonly from: string }
  | { readonly type: 'closed'; readonly stats: ClientStats }
  | { readonly type: 'failed'; readonly error: string };
