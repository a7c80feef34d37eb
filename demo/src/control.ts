// What the demo and its peer processes say to each other on the fork IPC
// channel, as a protocol of the shared peer-process harness
// (@ipcm/peer-process). This is stage direction only: everything the peers
// say to each other goes over @ipcm, never over this channel.
import type { ClientStats } from '@ipcm/client-core';

/** The transports the demo's peers use. */
export type TransportName = 'unix' | 'tcp';

/** How a peer process is set up. */
export interface PeerSettings {
  readonly id: string;
  readonly transport: TransportName;
  readonly listen: boolean;
  readonly route: string;
}

/** A demo peer (peer.ts), seen from both sides of the channel. */
export type DemoPeer = {
  readonly settings: PeerSettings;
  /** Ready once its client is listening (or has claimed its id). */
  readonly ready: null;
  readonly commands: {
    /** Send a "hi" to `to` (how a non-listener makes itself reachable). */
    readonly greet: { readonly args: { readonly to: string }; readonly reply: void };
  };
  /** A welcome came back (over the peer's own connection). */
  readonly event: { readonly type: 'welcomed'; readonly from: string };
  /** Its client's final stats, once closed. */
  readonly closed: ClientStats;
};

/**
 * How long the demo waits for a peer process before calling it a failure.
 * Generous: on a busy CI machine, starting seven Node processes takes a while.
 */
export const START_TIMEOUT_MS = 20_000;
/** How long the demo waits for a peer's reply or report. */
export const REPORT_TIMEOUT_MS = 10_000;
