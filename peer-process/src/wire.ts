// The harness's own messages on the fork IPC channel. Internal: both sides
// of the harness use them; neither a peer's handlers nor its parent sees
// them. The channel carries control only (a peer's real traffic goes over
// whatever the peer is about).

/** An error as it crosses the channel. */
export interface WireError {
  readonly code?: string;
  readonly message: string;
}

/** Parent to child. */
export type ToChild =
  /** Always the first message: the peer's settings (over the channel, not argv: large settings do not fit in argv, E2BIG). */
  | { readonly ipcmPeer: 'settings'; readonly settings: unknown }
  | { readonly ipcmPeer: 'command'; readonly seq: number; readonly cmd: string; readonly args: unknown }
  | { readonly ipcmPeer: 'close'; readonly seq: number };

/** Child to parent. */
export type ToParent =
  | { readonly ipcmPeer: 'ready'; readonly ready: unknown }
  /** The peer could not start; it exits after this. */
  | { readonly ipcmPeer: 'start-failed'; readonly error: WireError }
  | { readonly ipcmPeer: 'reply'; readonly seq: number; readonly value?: unknown; readonly error?: WireError }
  | { readonly ipcmPeer: 'event'; readonly event: { readonly type: string } }
  /** Something went wrong outside any command: every wait of the parent fails from now on. */
  | { readonly ipcmPeer: 'failed'; readonly error: WireError };

export function isToParent(value: unknown): value is ToParent {
  return typeof value === 'object' && value !== null && typeof (value as { ipcmPeer?: unknown }).ipcmPeer === 'string';
}

export function isToChild(value: unknown): value is ToChild {
  return isToParent(value);
}

/** An error (or anything thrown) as it crosses the channel: its `code` when it has a string one, and its message. */
export function toWireError(error: unknown): WireError {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  const message = error instanceof Error ? error.message : String(error);
  return typeof code === 'string' ? { code, message } : { message };
}
