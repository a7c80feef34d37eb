import type { NetConnectOpts } from 'node:net';

/** Parent to child, over the IPC channel (control only). */
export type ChildCommand =
  | { readonly cmd: 'count'; readonly total: number; readonly warmup: number }
  | { readonly cmd: 'echo' }
  | { readonly cmd: 'close' };

/** Child to parent, over the IPC channel. */
export type ChildReport =
  | { readonly type: 'ready'; readonly address?: NetConnectOpts }
  | { readonly type: 'armed' }
  | { readonly type: 'counted'; readonly messages: number; readonly ms: number }
  | { readonly type: 'failed'; readonly error: string };
